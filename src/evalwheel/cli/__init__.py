"""The ``evalwheel`` command line (typer + rich)."""
