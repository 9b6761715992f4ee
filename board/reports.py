"""The read model's tables for what the other stages report about themselves: the alert stage's delivery
receipts (``deliveries``) and the ingest stage's poll rounds (``ingest-health``).

Both keep only the latest report per key, and "latest" is decided by the report, not by arrival: a
receipt replaces the stored one of its (alert id, channel) only when it ``supersedes`` it (final over
not final, then more attempts, then the later time; ``core.messages.DeliveryReceipt``), a round replaces
its instance's only when it ended later. So a record read twice (redelivery after a restart) or late
(an older receipt after a newer one) changes nothing. The functions run inside ``ReadModel``'s
transaction and lock; they return how many rows changed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from core.messages import DeliveryReceipt, IngestRound

SCHEMA = """
CREATE TABLE IF NOT EXISTS delivery (
    alert_id TEXT NOT NULL, channel TEXT NOT NULL, state TEXT NOT NULL, final INTEGER NOT NULL,
    attempts INTEGER NOT NULL, error TEXT NOT NULL, at REAL NOT NULL, PRIMARY KEY (alert_id, channel)
);
CREATE TABLE IF NOT EXISTS feed_round (
    source TEXT PRIMARY KEY, scheduled INTEGER NOT NULL, polled INTEGER NOT NULL, ok INTEGER NOT NULL,
    failed INTEGER NOT NULL, new_items INTEGER NOT NULL, ended REAL NOT NULL, interval_s REAL NOT NULL
);
"""

# The row-value comparison is DeliveryReceipt.order() in SQL: (final, attempts, at).
_UPSERT_DELIVERY = """
INSERT INTO delivery(alert_id, channel, state, final, attempts, error, at) VALUES (?,?,?,?,?,?,?)
ON CONFLICT(alert_id, channel) DO UPDATE SET
    state=excluded.state, final=excluded.final, attempts=excluded.attempts, error=excluded.error,
    at=excluded.at
WHERE (excluded.final, excluded.attempts, excluded.at) > (delivery.final, delivery.attempts, delivery.at)
"""
_UPSERT_ROUND = """
INSERT INTO feed_round(source, scheduled, polled, ok, failed, new_items, ended, interval_s)
VALUES (?,?,?,?,?,?,?,?)
ON CONFLICT(source) DO UPDATE SET
    scheduled=excluded.scheduled, polled=excluded.polled, ok=excluded.ok, failed=excluded.failed,
    new_items=excluded.new_items, ended=excluded.ended, interval_s=excluded.interval_s
WHERE excluded.ended > feed_round.ended
"""


@dataclass(frozen=True)
class ChannelState:
    """One channel's latest delivery state of one alert, as the board shows it."""

    channel: str
    state: str  # queued, delivered, retrying, failed
    attempts: int
    error: str
    at: datetime

    @property
    def text(self) -> str:
        """E.g. ``slack delivered``, ``email retrying (2)``, ``webhook failed``."""
        if self.state == "retrying":
            return f"{self.channel} retrying ({self.attempts})"
        return f"{self.channel} {self.state}"


@dataclass(frozen=True)
class FeedRound:
    """The latest poll round of one ingest instance."""

    source: str
    scheduled: int
    polled: int
    ok: int
    failed: int
    new_items: int
    ended: datetime
    interval_s: float


def store_receipts(conn: sqlite3.Connection, receipts: Iterable[DeliveryReceipt]) -> int:
    """Keep each receipt that supersedes the stored one of its (alert, channel); return how many did."""
    before = conn.total_changes
    conn.executemany(
        _UPSERT_DELIVERY,
        [
            (r.alert_id, r.channel, r.state, int(r.final), r.attempts, r.error, r.at.timestamp())
            for r in receipts
        ],
    )
    return conn.total_changes - before


def store_rounds(conn: sqlite3.Connection, rounds: Iterable[IngestRound]) -> int:
    """Keep each round that ended after the stored one of its instance; return how many did."""
    before = conn.total_changes
    conn.executemany(
        _UPSERT_ROUND,
        [
            (
                r.source,
                r.scheduled,
                r.polled,
                r.ok,
                r.failed,
                r.new_items,
                r.ended_at.timestamp(),
                r.poll_interval_s,
            )
            for r in rounds
        ],
    )
    return conn.total_changes - before


def deliveries(conn: sqlite3.Connection, alert_ids: Sequence[str]) -> dict[str, tuple[ChannelState, ...]]:
    """Each listed alert's channel states, by channel name; alerts without a receipt are left out."""
    out: dict[str, list[ChannelState]] = {}
    for i in range(0, len(alert_ids), 500):
        chunk = list(alert_ids[i : i + 500])
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            "SELECT alert_id, channel, state, attempts, error, at FROM delivery "
            f"WHERE alert_id IN ({marks}) ORDER BY alert_id, channel",
            chunk,
        )
        for alert_id, channel, state, attempts, error, at in rows:
            out.setdefault(alert_id, []).append(
                ChannelState(channel, state, attempts, error, datetime.fromtimestamp(at, UTC))
            )
    return {k: tuple(v) for k, v in out.items()}


def rounds(conn: sqlite3.Connection) -> tuple[FeedRound, ...]:
    """The latest round of every ingest instance that reported, newest first."""
    rows = conn.execute(
        "SELECT source, scheduled, polled, ok, failed, new_items, ended, interval_s FROM feed_round "
        "ORDER BY ended DESC, source"
    )
    return tuple(
        FeedRound(s, sch, pol, ok, fail, new, datetime.fromtimestamp(end, UTC), iv)
        for s, sch, pol, ok, fail, new, end, iv in rows
    )


def version(conn: sqlite3.Connection) -> str:
    """Changes whenever a stored receipt or round changes (for the page's poll)."""
    n, total = conn.execute("SELECT COUNT(*), TOTAL(at + attempts + final) FROM delivery").fetchone()
    (ended,) = conn.execute("SELECT TOTAL(ended) FROM feed_round").fetchone()
    return f"{n}.{total:.3f}.{ended:.3f}"
