"""The window's screens, one module each; ``ui.main_window`` is the slim shell that navigates between them."""
