"""``stancewatch broker start|stop|status``: the project's local Kafka broker (see core.broker).

``start`` prints the bootstrap address ``host:port`` as the last line of stdout (so scripts can use
``$(stancewatch broker start | tail -1)``); progress goes to stderr. All three are idempotent.
Exit codes: 0 done; 1 the broker could not be started or stopped; ``status`` exits 3 when stopped.
"""

from __future__ import annotations

import logging
import sys

import typer

from core.broker import BrokerError, LocalBroker
from core.settings import from_context

log = logging.getLogger(__name__)

broker_app = typer.Typer(help="Start, stop or query the project's local Kafka broker (single KRaft node).")


@broker_app.command("start")
def start(
    ctx: typer.Context,
    exit_with_pid: int | None = typer.Option(
        None, "--exit-with-pid", help="Stop the broker once the process with this pid exits."
    ),
) -> None:
    """Start the local broker unless it runs; print its bootstrap address host:port last."""
    settings = from_context(ctx)
    if not settings.uses_local_broker:
        log.warning(
            "STANCEWATCH_KAFKA_BOOTSTRAP=%s is set: the stages use that cluster, not this local broker",
            settings.kafka_bootstrap,
        )
    try:
        address = LocalBroker(settings).ensure_running(exit_with_pid=exit_with_pid)
    except BrokerError as exc:
        print(f"stancewatch broker: {exc}", file=sys.stderr)
        raise typer.Exit(1) from None
    print(address)


@broker_app.command("stop")
def stop(ctx: typer.Context) -> None:
    """Stop the local broker cleanly (SIGTERM, then SIGKILL after 30 s); nothing to do when stopped."""
    broker = LocalBroker(from_context(ctx))
    try:
        stopped = broker.stop()
    except BrokerError as exc:
        print(f"stancewatch broker: {exc}", file=sys.stderr)
        raise typer.Exit(1) from None
    print(f"stopped {broker.address}" if stopped else f"not running ({broker.address})")


@broker_app.command("status")
def status(ctx: typer.Context) -> None:
    """Print whether the local broker runs, its address, pid and log file; exit 3 when stopped."""
    state = LocalBroker(from_context(ctx)).status()
    print(state.describe())
    if not state.running:
        raise typer.Exit(3)


def register(app: typer.Typer) -> None:
    """Add ``stancewatch broker ...`` to the CLI."""
    app.add_typer(broker_app, name="broker")
