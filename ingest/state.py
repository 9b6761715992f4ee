"""Ingest state in SQLite under ``data_dir``: per-feed HTTP tokens, schedule and health, seen keys, and
dead letters (articles the broker refused for their size).

One connection shared by the poller threads behind a lock (WAL mode). ``commit_poll`` writes a feed's
new state, the keys of the articles just published (or dead-lettered) and their dead-letter records in
one transaction; the poller calls it only after the broker answered for each article, so a restart
neither loses nor republishes anything.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    name TEXT PRIMARY KEY,
    config_url TEXT NOT NULL,
    permanent_url TEXT,
    etag TEXT,
    last_modified TEXT,
    next_poll REAL,
    failures INTEGER NOT NULL DEFAULT 0,
    last_success REAL,
    last_error TEXT NOT NULL DEFAULT '',
    gone INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS seen (
    key TEXT PRIMARY KEY,
    seen_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS dead_letters (
    article_id TEXT PRIMARY KEY,
    feed TEXT NOT NULL,
    url TEXT NOT NULL,
    guid TEXT NOT NULL,
    size INTEGER NOT NULL,
    error TEXT NOT NULL,
    at REAL NOT NULL
);
"""


@dataclass(frozen=True)
class DeadLetter:
    """An article the broker refused for its size: never published, never retried, kept for the operator."""

    article_id: str
    feed: str
    url: str
    guid: str
    size: int  # encoded bytes
    error: str
    at: float


@dataclass(frozen=True)
class FeedState:
    """What the stage remembers about one feed (keyed by the feed's name)."""

    name: str
    config_url: str
    permanent_url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    next_poll: float | None = None
    failures: int = 0
    last_success: float | None = None
    last_error: str = ""
    gone: bool = False

    @property
    def url(self) -> str:
        """Where to fetch: the persisted permanent redirect target, else the configured URL."""
        return self.permanent_url or self.config_url


class State:
    """SQLite-backed ingest state; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> State:
        return cls(data_dir / "ingest.sqlite3")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def feed(self, name: str, config_url: str) -> FeedState:
        """The state of feed ``name``; a changed configured URL resets tokens, redirect and gone mark."""
        with self._lock:
            row = self._db.execute(
                "SELECT config_url, permanent_url, etag, last_modified, next_poll, failures, last_success,"
                " last_error, gone FROM feeds WHERE name = ?",
                (name,),
            ).fetchone()
        if row is None:
            return FeedState(name, config_url)
        state = FeedState(name, row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], bool(row[8]))
        if state.config_url != config_url:
            return replace(
                state, config_url=config_url, permanent_url=None, etag=None, last_modified=None, gone=False
            )
        return state

    def known(self, keys: Sequence[str], title_since: float) -> set[str]:
        """Which of ``keys`` were seen; title keys (``t:``) count only when seen after ``title_since``."""
        found: set[str] = set()
        with self._lock:
            for start in range(0, len(keys), 500):
                chunk = list(keys[start : start + 500])
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(f"SELECT key, seen_at FROM seen WHERE key IN ({marks})", chunk)
                found.update(k for k, at in rows if not k.startswith("t:") or at >= title_since)
        return found

    def commit_poll(
        self,
        feed: FeedState,
        seen_keys: Iterable[str] = (),
        seen_at: float = 0.0,
        dead: Iterable[DeadLetter] = (),
    ) -> None:
        """Write the feed's state, the published keys and the dead letters atomically."""
        rows = [(k, seen_at) for k in seen_keys]
        dead_rows = [(d.article_id, d.feed, d.url, d.guid, d.size, d.error[:500], d.at) for d in dead]
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.execute(
                    "INSERT OR REPLACE INTO feeds (name, config_url, permanent_url, etag, last_modified,"
                    " next_poll, failures, last_success, last_error, gone) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (
                        feed.name,
                        feed.config_url,
                        feed.permanent_url,
                        feed.etag,
                        feed.last_modified,
                        feed.next_poll,
                        feed.failures,
                        feed.last_success,
                        feed.last_error[:500],
                        int(feed.gone),
                    ),
                )
                if rows:
                    self._db.executemany("INSERT OR REPLACE INTO seen (key, seen_at) VALUES (?, ?)", rows)
                if dead_rows:
                    self._db.executemany(
                        "INSERT OR REPLACE INTO dead_letters (article_id, feed, url, guid, size, error, at)"
                        " VALUES (?,?,?,?,?,?,?)",
                        dead_rows,
                    )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def prune_titles(self, before: float) -> int:
        """Forget title keys older than the dedup window; return how many were removed."""
        with self._lock:
            cur = self._db.execute("DELETE FROM seen WHERE key LIKE 't:%' AND seen_at < ?", (before,))
            return cur.rowcount

    def dead_letters(self) -> list[DeadLetter]:
        """Every dead-letter record, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT article_id, feed, url, guid, size, error, at FROM dead_letters"
                " ORDER BY at, article_id"
            ).fetchall()
        return [DeadLetter(*row) for row in rows]

    def seen_count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM seen").fetchone()[0])
