"""The health line at the top of the board: pure, from the read model's stats, the consumer's status and
the ingest stage's latest poll rounds (``feeds_line``).

``ConsumerStatus`` is written by the consumer thread after each poll and read by the web server; it is
the only mutable value shared between the two (guarded by a lock, read as a frozen snapshot).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from board.reports import FeedRound
from board.store import Stats

STALE_POLL = timedelta(minutes=2)  # no successful poll for this long: the consumer is failing
LAGGING = 1_000  # records behind on all its topics together
LATE_ROUNDS = 3  # an ingest instance's report is late after this many of its poll intervals


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
    feeds: str = "feeds: no report yet"  # see ``feeds_line``
    feeds_level: str = "warn"  # ok, warn, fail (of the feeds part only)


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


def feeds_line(rounds: Sequence[FeedRound], now: datetime, replay: bool = False) -> tuple[str, str]:
    """(level, text) of the feeds part, from each ingest instance's latest round.

    "feeds 24 ok · 3 failing" sums the instances whose latest round ended within ``LATE_ROUNDS`` of
    their poll intervals (level warn when any failed); an instance later than that adds "· 1 ingest
    silent N min"; when none is on time: "feeds: no report for N min" (fail); none ever: "feeds: no
    report yet". A replay is not live, so nothing in it is late: its rounds are summed "as of" the last.
    """
    if not rounds:
        return "warn", "feeds: no report yet"
    if replay:
        last = max(r.ended for r in rounds)
        ok, failed = sum(r.ok for r in rounds), sum(r.failed for r in rounds)
        stamp = last.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        return ("warn" if failed else "ok"), f"feeds {ok} ok \u00b7 {failed} failing (as of {stamp})"
    on_time = [r for r in rounds if now - r.ended <= timedelta(seconds=LATE_ROUNDS * r.interval_s)]
    late = [r for r in rounds if r not in on_time]
    if not on_time:
        newest = max(r.ended for r in rounds)
        return "fail", f"feeds: no report for {_minutes(now - newest)} min"
    ok, failed = sum(r.ok for r in on_time), sum(r.failed for r in on_time)
    text = f"feeds {ok} ok \u00b7 {failed} failing"
    if late:
        oldest = min(r.ended for r in late)
        text += f" \u00b7 {len(late)} ingest silent {_minutes(now - oldest)} min"
    return ("warn" if failed or late else "ok"), text


def _minutes(span: timedelta) -> int:
    return max(0, int(span.total_seconds() // 60))


def health(
    stats: Stats, consumer: ConsumerSnapshot, now: datetime, rounds: Sequence[FeedRound] = ()
) -> Health:
    """What the line says: whether the board's consumer keeps up, how fresh its data is, and how the
    feeds fared in the ingest stage's latest round (``feeds_line``)."""
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
    feeds = feeds_line(rounds, now, replay=consumer.mode == "replay")
    return Health(
        level=level,
        pipeline=pipeline,
        articles_today=stats.articles_since,
        last_alert=stats.last_alert,
        last_received=stats.last_received,
        last_article=stats.last_published,
        freshness=ago(stats.last_received, now) if stats.last_received else "no data yet",
        feeds=feeds[1],
        feeds_level=feeds[0],
    )
