"""Start-up of every stage command: one way to reach the broker, one way to serve /metrics.

``connect(settings)`` returns the bootstrap address with the project's topics in place:

1. the configured cluster (``STANCEWATCH_KAFKA_BOOTSTRAP``), or else the project's local broker, started
   when it does not run yet;
2. the broker probed (one quiet metadata round trip: kafka-python's own connection errors stay unlogged);
3. the topics created when missing and their metadata read back (``core.kafka.ensure_topics``).

Without a watch (``ingest --once``, ``board``, ``replay``) a broker that does not answer is a
``StartError``; with a ``BrokerWatch`` (the long-running stages) steps 2-3 wait for it with backoff,
for as long as it takes, and raise ``StopRequested`` when stopped meanwhile. A local broker that cannot
be started (no Java, its port taken) is a ``StartError`` either way: waiting would not help.

``serve_metrics`` serves the stage's registry, or raises a ``StartError`` naming the setting to change
when the port is taken. ``start_up(command)`` turns a ``StartError`` into the command's one line on
stderr and exit code 2.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from prometheus_client import CollectorRegistry

from core.kafka import bootstrap_of, cluster_answers, ensure_topics
from core.metrics import serve
from core.outage import BrokerWatch
from core.settings import Settings

#: The exit code of a command that could not start (as for bad configuration).
START_FAILED = 2


class StartError(RuntimeError):
    """Start-up cannot proceed; the message is one line that names the cause and the fix."""


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def start_local(settings: Settings, exit_with_pid: int | None = None) -> str:
    """The bootstrap address, starting the project's local broker when no cluster is configured (a broker
    started here stops once ``exit_with_pid`` is gone, when given). Raises StartError when it cannot."""
    if not settings.uses_local_broker:
        return bootstrap_of(settings)
    from core.broker import LocalBroker

    try:
        return LocalBroker(settings).ensure_running(exit_with_pid=exit_with_pid)
    except Exception as exc:  # BrokerError (no Java, port taken, did not come up) or an OS error
        raise StartError(f"broker at {bootstrap_of(settings)} unreachable: {_first_line(exc)}") from exc


def connect(
    settings: Settings,
    watch: BrokerWatch | None = None,
    stop: threading.Event | None = None,
    exit_with_pid: int | None = None,
) -> str:
    """The bootstrap address, broker answering and topics in place; see the module docstring."""
    bootstrap = start_local(settings, exit_with_pid)
    if watch is not None:
        stop = stop or threading.Event()
        watch.ready(stop)
        watch.call(stop, lambda: ensure_topics(settings, bootstrap))
        return bootstrap
    problem = cluster_answers(bootstrap, settings.kafka_request_timeout_ms, quiet=True)
    if problem is not None:
        raise StartError(f"broker at {bootstrap} unreachable: {(problem.strip().splitlines() or ['?'])[0]}")
    try:
        ensure_topics(settings, bootstrap)
    except Exception as exc:  # BrokerUnavailable, or kafka-python's own error types
        raise StartError(f"broker at {bootstrap} unreachable: {_first_line(exc)}") from exc
    return bootstrap


def serve_metrics(settings: Settings, registry: CollectorRegistry) -> tuple[Any, Any] | None:
    """Serve ``registry`` on the settings' metrics address (see ``core.metrics.serve``); raises StartError
    when the port cannot be bound."""
    try:
        return serve(registry, settings.metrics_host, settings.metrics_port)
    except OSError as exc:
        raise StartError(
            f"cannot serve /metrics on {settings.metrics_host}:{settings.metrics_port}: "
            f"{exc.strerror or exc} (set STANCEWATCH_METRICS_PORT)"
        ) from exc


@contextmanager
def start_up(command: str) -> Iterator[None]:
    """A ``StartError`` inside becomes ``stancewatch COMMAND: message`` on stderr and exit code 2."""
    try:
        yield
    except StartError as exc:
        print(f"stancewatch {command}: {exc}", file=sys.stderr)
        raise SystemExit(START_FAILED) from None
