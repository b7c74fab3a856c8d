"""Entry point of the PyInstaller bundle: the same `glutelab` command as the installed console script.

``freeze_support``: a report written from the window runs in a spawned child process
(clinic/reports/child_process.py); in the bundle that child is this executable again, and freeze_support
makes it serve the report instead of starting a second workstation."""

import multiprocessing
import sys

from ui.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
