"""Pages of the workstation window, each a self-contained widget the shell places."""
