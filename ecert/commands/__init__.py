"""Operator command groups; each module holds a ``typer.Typer`` named ``app``."""
