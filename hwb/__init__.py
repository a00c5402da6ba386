"""hwb, the Headless Wheel Builder."""

__version__ = "0.1.0"

#: The name hwb is published under (``pip install headless-wheel-builder``); the command and the
#: import package are both ``hwb``.
DISTRIBUTION = "headless-wheel-builder"
