"""The health line at the top of the board: pure, from the read model's stats and the consumer's status.

``ConsumerStatus`` is written by the consumer thread after each poll and read by the web server; it is
the only mutable value shared between the two (guarded by a lock, read as a frozen snapshot).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from board.store import Stats

STALE_POLL = timedelta(minutes=2)  # no successful poll for this long: the consumer is failing
LAGGING = 1_000  # records behind on stances + alerts


@dataclass(frozen=True)
class ConsumerSnapshot:
    mode: str = "live"  # "live" (consuming Kafka) or "replay" (filled once, offline)
    last_poll: datetime | None = None
    lag: int | None = None
    error: str = ""


class ConsumerStatus:
    """Thread-safe holder of the consumer's latest snapshot."""

    def __init__(self, mode: str = "live") -> None:
        self._lock = threading.Lock()
        self._snap = ConsumerSnapshot(mode=mode)

    def update(self, **changes: object) -> None:
        with self._lock:
            self._snap = replace(self._snap, **changes)  # type: ignore[arg-type]

    def snapshot(self) -> ConsumerSnapshot:
        with self._lock:
            return self._snap


@dataclass(frozen=True)
class Health:
    level: str  # ok, warn, fail (CSS class and the first word of the line)
    pipeline: str
    articles_today: int
    last_alert: datetime | None
    last_received: datetime | None
    last_article: datetime | None
    freshness: str  # "2 min ago", "no data yet"


def ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "never"
    s = max(0, int((now - when).total_seconds()))
    if s < 60:
        return f"{s} s ago"
    if s < 3600:
        return f"{s // 60} min ago"
    if s < 86400 * 2:
        return f"{s // 3600} h ago"
    return f"{s // 86400} days ago"


def health(stats: Stats, consumer: ConsumerSnapshot, now: datetime) -> Health:
    """What the line says: whether the board's consumer keeps up, and how fresh its data is."""
    if consumer.mode == "replay":
        level, pipeline = "ok", "replay (offline; filled once)"
    elif consumer.error:
        level, pipeline = "fail", f"consumer failing: {consumer.error}"
    elif consumer.last_poll is None:
        level, pipeline = "warn", "consumer starting"
    elif now - consumer.last_poll > STALE_POLL:
        level, pipeline = "fail", f"no poll since {ago(consumer.last_poll, now)}"
    elif consumer.lag is not None and consumer.lag > LAGGING:
        level, pipeline = "warn", f"lagging ({consumer.lag} records behind)"
    else:
        lag = "" if consumer.lag is None else f", lag {consumer.lag}"
        level, pipeline = "ok", f"ok{lag}"
    return Health(
        level=level,
        pipeline=pipeline,
        articles_today=stats.articles_since,
        last_alert=stats.last_alert,
        last_received=stats.last_received,
        last_article=stats.last_published,
        freshness=ago(stats.last_received, now) if stats.last_received else "no data yet",
    )
