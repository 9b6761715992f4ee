"""Command-line entry points of the processors stage (registered by stancewatch.cli)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the stancewatch CLI."""
