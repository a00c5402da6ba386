"""``python -m hwb``."""

from hwb.cli import run

if __name__ == "__main__":
    run()
