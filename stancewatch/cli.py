"""The ``stancewatch`` command: parses arguments, loads settings once and calls into the stages.

Each stage contributes its commands through ``register(app)`` in its ``commands`` module; this module is
the only place that imports more than one stage.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

import alerts.commands
import ingest.commands
import processors.commands
from core.logs import configure
from core.settings import SettingsError, load_settings
from stancewatch import board_commands, broker_commands, demo, replay, run_commands

app = typer.Typer(
    name="stancewatch",
    help="Watch news feeds for changes in countries' Korea-policy stances against a baseline article.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    ctx: typer.Context,
    verbose: Annotated[
        bool,
        typer.Option("--verbose", "-v", help="Show the libraries' log lines too (STANCEWATCH_VERBOSE)."),
    ] = False,
) -> None:
    """Load and validate settings once; every command finds them in ``ctx.obj``."""
    settings = load_settings(verbose=True) if verbose else load_settings()
    configure(settings.log_level, settings.verbose)
    ctx.obj = settings


for module in (
    broker_commands,
    run_commands,
    ingest.commands,
    processors.commands,
    alerts.commands,
    replay,
    board_commands,
    demo,
):
    module.register(app)


def main() -> None:
    try:
        app()
    except SettingsError as exc:
        print(f"stancewatch: configuration error: {exc}", file=sys.stderr)
        sys.exit(2)
