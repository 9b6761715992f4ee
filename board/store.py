"""The board's read model: one SQLite file (``DATA_DIR/board.sqlite3`` by default) fed by the
``stances`` and ``alerts`` topics, and by ``deliveries`` and ``ingest-health`` (``ReadModel.report``; the
tables and their "latest wins" rule are in ``board.reports``).

``ReadModel.add`` stores a batch of StanceObservation and Alert values in one transaction and returns how
many were new. Rows are keyed by content (an observation by the SHA-256 of its wire form, an alert by its
deterministic id), so a batch delivered again after a restart (at-least-once consumption) adds nothing:
the consumer commits its offsets only after ``add`` returned. Reads return the project's own frozen values
(newest first); nothing here knows about Kafka or HTTP.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from board import reports
from board.reports import ChannelState, FeedRound
from core.messages import Alert, DeliveryReceipt, Evidence, IngestRound, StanceObservation
from core.settings import Settings

SCHEMA = """
CREATE TABLE IF NOT EXISTS observation (
    id TEXT PRIMARY KEY, country TEXT NOT NULL, topic TEXT NOT NULL, stance TEXT NOT NULL,
    confidence REAL NOT NULL, sentence TEXT NOT NULL, title TEXT NOT NULL, url TEXT NOT NULL,
    source TEXT NOT NULL, article_id TEXT NOT NULL, published REAL NOT NULL, received REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS observation_pair ON observation(country, topic, published);
CREATE INDEX IF NOT EXISTS observation_received ON observation(received);
CREATE TABLE IF NOT EXISTS alert (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, country TEXT NOT NULL, topic TEXT NOT NULL,
    baseline_stance TEXT, new_stance TEXT NOT NULL, confidence REAL NOT NULL,
    evidence TEXT NOT NULL, baseline_evidence TEXT NOT NULL, detected REAL NOT NULL, received REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS alert_pair ON alert(country, topic, detected);
"""


def db_path(settings: Settings) -> Path:
    return settings.board_db or settings.data_dir / "board.sqlite3"


def observation_id(obs: StanceObservation) -> str:
    """Content id of an observation (the same value delivered twice gets the same id)."""
    return hashlib.sha256(obs.encode()).hexdigest()[:32]


def _ts(value: datetime) -> float:
    return value.timestamp()


def _dt(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


@dataclass(frozen=True)
class Observation:
    """One stored stance observation, as the board shows it."""

    country: str
    topic: str
    stance: str
    confidence: float
    sentence: str
    title: str
    url: str
    source: str
    published: datetime


@dataclass(frozen=True)
class StoredAlert:
    """One alert from the ``alerts`` topic."""

    id: str
    kind: str
    country: str
    topic: str
    baseline_stance: str | None
    new_stance: str
    confidence: float
    evidence: tuple[Evidence, ...]
    baseline_evidence: str
    detected: datetime


@dataclass(frozen=True)
class Query:
    """Filters of the board and cell pages (all optional)."""

    countries: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    since: datetime | None = None  # inclusive, article / detection time
    until: datetime | None = None  # exclusive
    text: str = ""  # substring of the evidence sentence or the title, case-insensitive


@dataclass(frozen=True)
class Stats:
    """Figures for the health line."""

    observations: int
    alerts: int
    articles_since: int  # distinct articles received since the ``since`` given to ``stats``
    last_received: datetime | None  # when the newest observation or alert reached the board
    last_published: datetime | None  # article time of the newest observation
    last_alert: datetime | None  # detection time of the newest alert
    version: str  # changes whenever anything is added (the page polls it)


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _where(q: Query, time_col: str, text_cols: Sequence[str] = ()) -> tuple[str, list[object]]:
    parts: list[str] = []
    args: list[object] = []
    if q.countries:
        parts.append(f"country IN ({','.join('?' * len(q.countries))})")
        args += q.countries
    if q.topics:
        parts.append(f"topic IN ({','.join('?' * len(q.topics))})")
        args += q.topics
    if q.since is not None:
        parts.append(f"{time_col} >= ?")
        args.append(_ts(q.since))
    if q.until is not None:
        parts.append(f"{time_col} < ?")
        args.append(_ts(q.until))
    if q.text.strip() and text_cols:
        parts.append("(" + " OR ".join(f"{c} LIKE ? ESCAPE '\\'" for c in text_cols) + ")")
        args += [_like(q.text.strip())] * len(text_cols)
    return (" WHERE " + " AND ".join(parts)) if parts else "", args


class ReadModel:
    """The board's SQLite read model; safe to share between the consumer thread and the web server."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(path), timeout=30.0, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA busy_timeout=30000")
        self._conn.executescript(SCHEMA + reports.SCHEMA)
        self._lock = threading.Lock()

    def add(
        self,
        observations: Iterable[StanceObservation] = (),
        alerts: Iterable[Alert] = (),
        received: datetime | None = None,
    ) -> tuple[int, int]:
        """Store a batch atomically; return (new observations, new alerts). Known values are skipped."""
        at = _ts(received or datetime.now(UTC))
        obs_rows = [
            (
                observation_id(o),
                o.country,
                o.topic,
                o.stance,
                o.confidence,
                o.evidence,
                o.title,
                o.url,
                o.source,
                o.article_id,
                _ts(o.published),
                at,
            )
            for o in observations
        ]
        alert_rows = [
            (
                a.id,
                a.kind,
                a.country,
                a.topic,
                a.baseline_stance,
                a.new_stance,
                a.confidence,
                json.dumps([e.model_dump(mode="json") for e in a.evidence], ensure_ascii=False),
                a.baseline_evidence,
                _ts(a.detected_at),
                at,
            )
            for a in alerts
        ]
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                before = conn.total_changes
                conn.executemany(
                    "INSERT OR IGNORE INTO observation VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", obs_rows
                )
                new_obs = conn.total_changes - before
                before = conn.total_changes
                conn.executemany("INSERT OR IGNORE INTO alert VALUES (?,?,?,?,?,?,?,?,?,?,?)", alert_rows)
                new_alerts = conn.total_changes - before
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return new_obs, new_alerts

    def report(
        self, receipts: Sequence[DeliveryReceipt] = (), rounds: Sequence[IngestRound] = ()
    ) -> tuple[int, int]:
        """Store a batch of delivery receipts and poll rounds atomically; return how many of each
        changed the stored state (a re-read or superseded one changes nothing; ``board.reports``)."""
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                changed = reports.store_receipts(conn, receipts), reports.store_rounds(conn, rounds)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return changed

    def deliveries(self, alert_ids: Sequence[str]) -> dict[str, tuple[ChannelState, ...]]:
        """Per alert id, its channels' latest delivery states (alerts with no receipt yet are absent)."""
        with self._lock:
            return reports.deliveries(self._conn, alert_ids)

    def feed_rounds(self) -> tuple[FeedRound, ...]:
        """The latest poll round of each ingest instance, newest first."""
        with self._lock:
            return reports.rounds(self._conn)

    def observations(self, q: Query = Query(), limit: int = 200) -> list[Observation]:
        """Observations matching ``q``, newest (article time) first."""
        where, args = _where(q, "published", ("sentence", "title"))
        sql = (
            "SELECT country, topic, stance, confidence, sentence, title, url, source, published "
            f"FROM observation{where} ORDER BY published DESC, id LIMIT ?"
        )
        with self._lock:
            rows = self._conn.execute(sql, [*args, limit]).fetchall()
        return [
            Observation(
                country=r[0],
                topic=r[1],
                stance=r[2],
                confidence=r[3],
                sentence=r[4],
                title=r[5],
                url=r[6],
                source=r[7],
                published=_dt(r[8]),
            )
            for r in rows
        ]

    def alerts(self, q: Query = Query(), limit: int = 200) -> list[StoredAlert]:
        """Alerts matching ``q`` (the text filter is not applied), newest (detection time) first."""
        where, args = _where(Query(q.countries, q.topics, q.since, q.until), "detected")
        sql = (
            "SELECT id, kind, country, topic, baseline_stance, new_stance, confidence, evidence, "
            f"baseline_evidence, detected FROM alert{where} ORDER BY detected DESC, id DESC LIMIT ?"
        )
        with self._lock:
            rows = self._conn.execute(sql, [*args, limit]).fetchall()
        return [
            StoredAlert(
                id=r[0],
                kind=r[1],
                country=r[2],
                topic=r[3],
                baseline_stance=r[4],
                new_stance=r[5],
                confidence=r[6],
                evidence=tuple(Evidence.model_validate(e) for e in json.loads(r[7])),
                baseline_evidence=r[8],
                detected=_dt(r[9]),
            )
            for r in rows
        ]

    def counts(self, q: Query = Query()) -> dict[tuple[str, str], int]:
        """Observations per (country, topic) matching ``q``."""
        where, args = _where(q, "published", ("sentence", "title"))
        sql = f"SELECT country, topic, COUNT(*) FROM observation{where} GROUP BY country, topic"
        with self._lock:
            return {(c, t): n for c, t, n in self._conn.execute(sql, args)}

    def stats(self, since: datetime) -> Stats:
        """Totals and freshness; ``articles_since`` counts distinct articles received since ``since``."""
        with self._lock:
            c = self._conn
            n_obs, last_obs_rx, last_pub = c.execute(
                "SELECT COUNT(*), MAX(received), MAX(published) FROM observation"
            ).fetchone()
            n_alerts, last_alert_rx, last_alert = c.execute(
                "SELECT COUNT(*), MAX(received), MAX(detected) FROM alert"
            ).fetchone()
            (articles,) = c.execute(
                "SELECT COUNT(DISTINCT article_id) FROM observation WHERE received >= ?", (_ts(since),)
            ).fetchone()
            reported = reports.version(c)
        received = max((t for t in (last_obs_rx, last_alert_rx) if t is not None), default=None)
        return Stats(
            observations=n_obs,
            alerts=n_alerts,
            articles_since=articles,
            last_received=_dt(received) if received is not None else None,
            last_published=_dt(last_pub) if last_pub is not None else None,
            last_alert=_dt(last_alert) if last_alert is not None else None,
            version=f"{n_obs}.{n_alerts}.{reported}",
        )

    def close(self) -> None:
        with self._lock:
            self._conn.close()
