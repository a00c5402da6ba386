"""A PEP 517 backend that reports a wheel it never wrote."""


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    return "hwbt_ghost-0.0.1-py3-none-any.whl"
