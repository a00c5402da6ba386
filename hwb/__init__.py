"""hwb, the Headless Wheel Builder."""

__version__ = "0.1.0"
