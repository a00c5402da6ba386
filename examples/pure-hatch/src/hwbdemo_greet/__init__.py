"""A tiny greeting library."""

__version__ = "1.0.0"


def greet(name: str) -> str:
    return f"Hello, {name}!"
