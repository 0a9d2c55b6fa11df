"""Qt widgets of the jacgui desktop application."""
