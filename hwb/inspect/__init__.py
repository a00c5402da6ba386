"""The pre-release checklist: archive reading, checks, and the runner."""
