"""The application's name and version: the one place both are written (pyproject reads the version from here).

A plain module constant, not ``importlib.metadata``: it is the same in a source checkout, an installed wheel and
a PyInstaller bundle (which carries no package metadata).
"""

APP_NAME = "GluteLab"
__version__ = "0.1.0"
