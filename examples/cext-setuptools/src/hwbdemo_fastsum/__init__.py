"""Sum integers in C."""

from hwbdemo_fastsum._speedups import fastsum

__all__ = ["fastsum"]
