"""Builds and runs the board from settings: read model, app, consumer thread, HTTP server.

Used by ``stancewatch board`` (live: consume Kafka in a background thread while serving) and by
``stancewatch board --replay`` (filled once from a replay's topics, then served).
"""

from __future__ import annotations

import ipaddress
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn
from prometheus_client import CollectorRegistry

from board.health import ConsumerStatus
from board.metrics import BoardMetrics
from board.service import BoardConsumer
from board.store import ReadModel, db_path
from board.view import all_topics
from board.web import LOOPBACK_NAMES, BoardConfig, create_app
from core import baseline as core_baseline
from core.baseline import Baseline, BaselineError
from core.kafka import Consumer, Topics
from core.settings import Settings
from core.vocabulary import Vocabulary, load_vocabulary

log = logging.getLogger(__name__)


class ExposureError(ValueError):
    """The board would listen beyond this machine without a token; the message is one line."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve anywhere


def check_exposure(host: str, token: str | None) -> None:
    """Refuse a non-loopback address without ``STANCEWATCH_BOARD_TOKEN``."""
    if not is_loopback(host) and not token:
        raise ExposureError(
            f"STANCEWATCH_BOARD_HOST={host} is not a loopback address and STANCEWATCH_BOARD_TOKEN is "
            "not set: set a token, or bind 127.0.0.1"
        )


def address(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def board_topics(vocabulary: Vocabulary, baseline: Baseline) -> tuple[str, ...]:
    """The vocabulary's topics, then any only the baseline names (so nothing is hidden)."""
    return tuple(all_topics(vocabulary.topic_ids, baseline))


class BaselineFile:
    """The baseline at ``path``, read again when the file changes; the last good one while it is bad."""

    def __init__(self, path: Path, initial: Baseline, countries: tuple[str, ...] | None = None) -> None:
        self.path = path
        self.countries = countries
        self._baseline = initial
        self._stamp = self._mtime()
        self._lock = threading.Lock()

    def _mtime(self) -> float | None:
        try:
            return self.path.stat().st_mtime
        except OSError:
            return None

    def __call__(self) -> Baseline:
        stamp = self._mtime()
        with self._lock:
            if stamp is not None and stamp != self._stamp:
                self._stamp = stamp
                try:
                    self._baseline = core_baseline.load(self.path, countries=self.countries)
                    log.info("board: baseline %s reloaded", self.path)
                except BaselineError as exc:
                    log.warning("board: keeping the previous baseline: %s", exc)
            return self._baseline


@dataclass
class BoardRuntime:
    """Everything ``stancewatch board`` runs, started and stopped together."""

    settings: Settings
    baseline: Baseline
    registry: CollectorRegistry
    mode: str = "live"
    baseline_file: Path | None = None  # follow this file (live board); None: ``baseline`` as given
    stop_event: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        s = self.settings
        token = s.board_token.get_secret_value() if s.board_token else None
        check_exposure(s.board_host, token)
        self.metrics = BoardMetrics.build(self.registry)
        self.model = ReadModel(db_path(s))
        self.status = ConsumerStatus(self.mode)
        vocabulary = load_vocabulary(s.countries_file, s.topics_file)  # checked by the command already
        codes = vocabulary.country_codes
        self.config = BoardConfig(
            baseline=self.baseline,
            topics=board_topics(vocabulary, self.baseline),
            countries=codes,
            country_names={c.code: c.label for c in vocabulary.countries},
            token=token,
            refresh_s=s.board_refresh_s,
            grafana_url=s.grafana_url,
            allowed_hosts=LOOPBACK_NAMES if is_loopback(s.board_host) and not token else None,
            baseline_source=(
                BaselineFile(self.baseline_file, self.baseline, codes)
                if self.baseline_file is not None
                else None
            ),
        )
        self.app = create_app(self.model, self.config, self.status, self.registry, self.metrics)
        self.consumer: BoardConsumer | None = None
        self._thread: threading.Thread | None = None
        self.server: uvicorn.Server | None = None

    def attach(self, bootstrap: str, group_id: str | None = None) -> BoardConsumer:
        """Join the board's consumer group on ``stances``, ``alerts``, ``deliveries`` and ``ingest-health``
        (raises when no broker; the topics are in place: ``core.connect.connect``)."""
        topics = Topics(self.settings.topic_prefix)
        wanted = [topics.stances, topics.alerts, topics.deliveries, topics.ingest_health]
        consumer = Consumer(self.settings, group_id or self.settings.board_group, wanted, bootstrap)
        self.consumer = BoardConsumer(self.model, consumer, topics, self.metrics, self.status)
        return self.consumer

    def start_consuming(self) -> None:
        assert self.consumer is not None
        self._thread = threading.Thread(
            target=self.consumer.run, args=(self.stop_event,), name="board-consume", daemon=True
        )
        self._thread.start()

    def make_server(self, port: int | None = None) -> uvicorn.Server:
        s = self.settings
        config = uvicorn.Config(
            self.app,
            host=s.board_host,
            port=s.board_port if port is None else port,
            log_level="warning",
            access_log=False,
            lifespan="off",
            server_header=False,
        )
        self.server = uvicorn.Server(config)
        return self.server

    def close(self) -> None:
        self.stop_event.set()
        if self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout=15)
        if self.consumer is not None:
            self.consumer.consumer.close()
        self.model.close()
