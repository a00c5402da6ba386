"""hwb test package."""
