"""Building distributions: the build service, isolated environments, interpreters."""
