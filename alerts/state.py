"""Persistent detector state: one SQLite file per instance (under ``settings.data_dir`` by default).

Holds the per-``COUNTRY:topic`` detector state, the ids of observations already folded in (so a restart
that re-reads uncommitted records repeats nothing), and - in the same file, so one local transaction
covers both - the outbox of pending sends (see ``alerts.outbox``). ``Store.commit_batch`` writes a
batch's state, processed ids and outbox rows atomically; the consumer commits its Kafka offsets only
after it returned.

The pair state is a local cache of the compacted changelog topic (``alerts.changelog``): the file also
keeps each pair's last changelog entry and, per changelog partition, the offset up to which it has
applied the changelog (its checkpoint), so a restore on partition assignment reads only what other
instances wrote since (``Store.restore``).
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from alerts import changelog, outbox
from alerts.changelog import Entry, decode_state, encode_state
from alerts.detect import PairState
from core.messages import Alert, StanceObservation
from core.settings import Settings

SCHEMA = """
CREATE TABLE IF NOT EXISTS pair_state (key TEXT PRIMARY KEY, state TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS processed (obs_id TEXT PRIMARY KEY, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS pair_log (key TEXT PRIMARY KEY, entry BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS changelog_offset (partition INTEGER PRIMARY KEY, next INTEGER NOT NULL);
"""

PROCESSED_KEEP_S = 30 * 86400.0


def db_path(settings: Settings) -> Path:
    return settings.alert_state_db or settings.data_dir / "alerts.sqlite3"


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating) the store with WAL, so the consumer and the dispatcher can share the file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=30.0, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA busy_timeout=30000")
    conn.executescript(SCHEMA + outbox.SCHEMA)
    return conn


def observation_id(obs: StanceObservation) -> str:
    return hashlib.sha256(obs.encode()).hexdigest()[:32]


class Store:
    """The consumer side of the SQLite file: pair state, processed ids, and enqueuing to the outbox."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn = connect(path)
        self._lock = threading.Lock()

    def states(self, keys: Iterable[str]) -> dict[str, PairState]:
        keys = list(dict.fromkeys(keys))
        out: dict[str, PairState] = {}
        with self._lock:
            for key in keys:
                row = self._conn.execute("SELECT state FROM pair_state WHERE key=?", (key,)).fetchone()
                out[key] = decode_state(row[0]) if row else PairState()
        return out

    def processed(self, obs_ids: Sequence[str]) -> set[str]:
        with self._lock:
            found: set[str] = set()
            for i in range(0, len(obs_ids), 500):
                chunk = obs_ids[i : i + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._conn.execute(f"SELECT obs_id FROM processed WHERE obs_id IN ({marks})", chunk)
                found.update(r[0] for r in rows)
            return found

    def entries(self, keys: Iterable[str]) -> dict[str, Entry]:
        """The last changelog entry written or restored for each of ``keys`` that has one."""
        out: dict[str, Entry] = {}
        with self._lock:
            for key in dict.fromkeys(keys):
                row = self._conn.execute("SELECT entry FROM pair_log WHERE key=?", (key,)).fetchone()
                if row:
                    out[key] = changelog.decode_entry(row[0])
        return out

    def checkpoint(self, partition: int) -> int | None:
        """The changelog offset of ``partition`` this file has applied up to (None: never read)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT next FROM changelog_offset WHERE partition=?", (partition,)
            ).fetchone()
        return None if row is None else int(row[0])

    def commit_batch(
        self,
        states: Mapping[str, PairState],
        obs_ids: Sequence[str],
        alerts: Sequence[tuple[Alert, Sequence[str]]],
        now: float | None = None,
        entries: Mapping[str, Entry] | None = None,
        checkpoints: Mapping[int, int] | None = None,
    ) -> int:
        """Atomically save states, mark observations processed and enqueue (alert, channels) rows;
        with them the changelog ``entries`` already written and the changelog ``checkpoints``
        (partition -> next offset) they reached.

        Returns the number of outbox rows inserted (an alert id already enqueued is not enqueued again).
        """
        at = time.time() if now is None else now
        with self._transaction() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO pair_state(key, state) VALUES (?, ?)",
                [(k, encode_state(s)) for k, s in states.items()],
            )
            self._log(entries or {}, checkpoints or {})
            conn.executemany(
                "INSERT OR IGNORE INTO processed(obs_id, at) VALUES (?, ?)", [(i, at) for i in obs_ids]
            )
            inserted = sum(outbox.enqueue(conn, alert, channels, at) for alert, channels in alerts)
            conn.execute("DELETE FROM processed WHERE at < ?", (at - PROCESSED_KEEP_S,))
        return inserted

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction under the lock: committed when the block ends, rolled back if it raises."""
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def restore(
        self,
        entries: Mapping[str, Entry],
        partition: int,
        end: int,
        alerts: Sequence[tuple[Alert, Sequence[str]]],
        now: float | None = None,
    ) -> int:
        """Apply entries read from changelog ``partition`` up to offset ``end`` in one transaction:
        pair states, their processed ids, the alerts to enqueue again (``changelog.unfinished``) and
        the checkpoint. Returns the number of outbox rows inserted."""
        at = time.time() if now is None else now
        with self._transaction() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO pair_state(key, state) VALUES (?, ?)",
                [(k, encode_state(e.state)) for k, e in entries.items()],
            )
            conn.executemany(
                "INSERT OR IGNORE INTO processed(obs_id, at) VALUES (?, ?)",
                [s for e in entries.values() for s in e.seen],
            )
            self._log(entries, {partition: end})
            inserted = sum(outbox.enqueue(conn, alert, channels, at) for alert, channels in alerts)
        return inserted

    def _log(self, entries: Mapping[str, Entry], checkpoints: Mapping[int, int]) -> None:
        self._conn.executemany(
            "INSERT OR REPLACE INTO pair_log(key, entry) VALUES (?, ?)",
            [(k, changelog.encode(e)) for k, e in entries.items()],
        )
        self._conn.executemany(
            "INSERT OR REPLACE INTO changelog_offset(partition, next) VALUES (?, ?)",
            list(checkpoints.items()),
        )

    def pair_states(self) -> dict[str, PairState]:
        with self._lock:
            return {k: decode_state(s) for k, s in self._conn.execute("SELECT key, state FROM pair_state")}

    def close(self) -> None:
        with self._lock:
            self._conn.close()
