"""Commands: broker_commands (registered by stancewatch.cli)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add these commands to the stancewatch CLI."""
