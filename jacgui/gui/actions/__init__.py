"""What the user can do, as plain functions of the window state and the services they need.

Menus, toolbars and buttons call these; none of them knows about the main window.
"""
