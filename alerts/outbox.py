"""The outbox: pending sends per (alert, channel) in SQLite; an alert survives a channel outage and a crash.

Rows are written by ``Store.commit_batch`` in the same transaction as the detector state (``enqueue``)
and drained by ``alerts.dispatch``. A row is ``pending`` until its channel acknowledged it
(``delivered``) or the send failed for good (``failed``: a permanent error, or the retry policy gave
up). Delivery is at-least-once: a process killed after a channel accepted a send but before the row was
marked delivers it again on restart (the alert id travels with it, so receivers can de-duplicate).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from core.messages import Alert, decode

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    payload BLOB NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL,
    created_at REAL NOT NULL,
    done_at REAL,
    last_error TEXT NOT NULL DEFAULT '',
    UNIQUE(alert_id, channel)
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox(status, channel, next_at);
"""


@dataclass(frozen=True)
class Row:
    """One pending send."""

    id: int
    alert: Alert
    channel: str
    attempts: int
    next_at: float
    created_at: float


def enqueue(conn: sqlite3.Connection, alert: Alert, channels: Sequence[str], now: float) -> int:
    """Insert one pending row per channel inside the caller's transaction; return rows inserted."""
    inserted = 0
    for channel in channels:
        cur = conn.execute(
            "INSERT OR IGNORE INTO outbox(alert_id, channel, payload, next_at, created_at) "
            "VALUES (?,?,?,?,?)",
            (alert.id, channel, alert.encode(), now, now),
        )
        inserted += cur.rowcount
    return inserted


class Outbox:
    """The dispatcher side of the outbox (its own connection to the shared SQLite file)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def channels_pending(self) -> list[str]:
        rows = self._conn.execute("SELECT DISTINCT channel FROM outbox WHERE status='pending'")
        return sorted(r[0] for r in rows)

    def pending(self, channel: str, limit: int = 500) -> list[Row]:
        rows = self._conn.execute(
            "SELECT id, payload, channel, attempts, next_at, created_at FROM outbox "
            "WHERE status='pending' AND channel=? ORDER BY id LIMIT ?",
            (channel, limit),
        ).fetchall()
        return [Row(r[0], decode(Alert, r[1]), r[2], r[3], r[4], r[5]) for r in rows]

    def fired_since(self, channel: str, since: float) -> int:
        """Alerts enqueued for ``channel`` at or after ``since`` (any status): the digest's burst count."""
        row = self._conn.execute(
            "SELECT COUNT(*) FROM outbox WHERE channel=? AND created_at>=?", (channel, since)
        ).fetchone()
        return int(row[0])

    def next_due(self) -> float | None:
        row = self._conn.execute("SELECT MIN(next_at) FROM outbox WHERE status='pending'").fetchone()
        return None if row[0] is None else float(row[0])

    def delivered(self, ids: Sequence[int], now: float) -> None:
        self._update("UPDATE outbox SET status='delivered', done_at=?, last_error='' WHERE id=?", now, ids)

    def failed(self, ids: Sequence[int], now: float, error: str) -> None:
        self._conn.executemany(
            "UPDATE outbox SET status='failed', done_at=?, attempts=attempts+1, last_error=? WHERE id=?",
            [(now, error[:500], i) for i in ids],
        )

    def retry(self, ids: Sequence[int], next_at: float, error: str) -> None:
        self._conn.executemany(
            "UPDATE outbox SET attempts=attempts+1, next_at=?, last_error=? WHERE id=?",
            [(next_at, error[:500], i) for i in ids],
        )

    def counts(self) -> dict[tuple[str, str], int]:
        rows = self._conn.execute("SELECT channel, status, COUNT(*) FROM outbox GROUP BY channel, status")
        return {(r[0], r[1]): int(r[2]) for r in rows}

    def _update(self, sql: str, now: float, ids: Sequence[int]) -> None:
        self._conn.executemany(sql, [(now, i) for i in ids])
