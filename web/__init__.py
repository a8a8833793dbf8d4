"""The composition root: settings, the app factory, the CLI, the database server."""
