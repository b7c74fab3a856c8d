"""Entry point of the PyInstaller bundle: the same `glutelab` command as the installed console script."""

import sys

from ui.cli import main

if __name__ == "__main__":
    sys.exit(main())
