"""Fixtures of the alerts tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from alerts.dispatch import Dispatcher
from alerts.metrics import AlertMetrics
from alerts.outbox import Outbox
from alerts.state import Store, connect
from core.metrics import new_registry
from core.retry import RetryPolicy


class Clock:
    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def outbox_env(tmp_path: Path) -> Callable[..., tuple[Store, Dispatcher, Clock, AlertMetrics]]:
    """A store + dispatcher on a temp SQLite file with a fake clock (sends are real)."""

    def build(notifiers, policy: RetryPolicy | None = None, secrets=(), **kw):  # type: ignore[no-untyped-def]
        db = tmp_path / "alerts.sqlite3"
        store = Store(db)
        clock = Clock()
        metrics = AlertMetrics.build(new_registry())
        disp = Dispatcher(
            Outbox(connect(db)),
            notifiers,
            policy or RetryPolicy(attempts=3, base=1.0, cap=60.0),
            metrics,
            secrets=secrets,
            clock=clock,
            **kw,
        )
        return store, disp, clock, metrics

    return build
