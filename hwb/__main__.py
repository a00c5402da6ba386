"""``python -m hwb``."""

import sys

from hwb.cli import main

if __name__ == "__main__":
    sys.exit(main())
