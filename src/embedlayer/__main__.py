"""``python -m embedlayer``: the command line, also for ``torchrun -m embedlayer ...``."""

from __future__ import annotations

import sys

from embedlayer.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
