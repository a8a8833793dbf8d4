"""The domain: tables, the schedule walk, ord arithmetic and the editors' commands."""
