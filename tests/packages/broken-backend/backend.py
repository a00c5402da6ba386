"""A PEP 517 backend that fails the way real ones do: some output, then an exception."""
import sys


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    print("compiling extension hwbt_broken._core")
    print("error: hwbt-broken-marker: missing header foo.h", file=sys.stderr)
    raise RuntimeError("compiler exited with status 1")


def build_sdist(sdist_directory, config_settings=None):
    raise RuntimeError("sdist not supported")
