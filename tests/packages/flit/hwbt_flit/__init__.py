"""hwb test package built with flit."""

__version__ = "2.1.0"
VALUE = "flit"
