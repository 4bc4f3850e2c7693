"""The app's pages, one file each (app.py navigates between them): each asks sla_core and draws with ui."""
