"""Versions: PEP 440 arithmetic, release planning, changelogs, git."""
