"""``python -m midistyle.cli ...``: the same command as ``python -m midistyle``."""
import sys

from midistyle.cli import main

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
