"""What the clinician sees and does: the `glutelab` command line and the PySide6 + pyqtgraph workstation.

Headless commands import no Qt; the window modules are imported only when the window opens.
"""
