"""`python -m tests.ingest.cli_main ARGS`: the ingest commands in a process of their own.

The same root callback as stancewatch.cli (settings from the environment, logging), without importing
the other stages, so subprocess tests start fast.
"""

from __future__ import annotations

import typer

import ingest.commands
from core.logs import configure
from core.settings import load_settings

app = typer.Typer()


@app.callback()
def _root(ctx: typer.Context) -> None:
    settings = load_settings()
    configure(settings.log_level, settings.verbose)
    ctx.obj = settings


ingest.commands.register(app)

if __name__ == "__main__":
    app()
