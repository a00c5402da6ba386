"""Settings: the one resolver (CLI > env > [tool.hwb] > defaults) and typed settings."""
