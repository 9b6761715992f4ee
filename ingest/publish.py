"""The ingest stage's side of publishing: a Kafka publisher created on first use.

Creating ``core.kafka.Publisher`` connects to the broker; with the broker down that raises. Deferring it
to the first ``publish_each`` makes "broker down" an ordinary failed publish (the poller keeps its seen
state unwritten and retries later) instead of a crash, and lets a later poll reconnect. With a
``BrokerWatch`` the outage and the recovery are each logged once and shown in ``stancewatch_broker_up``
(the waiting itself is the poller's per-feed backoff).

``RoundReporter`` publishes each closed poll round (``IngestRound``) to ``ingest-health`` with the same
publisher. A report the broker does not acknowledge is counted (``stancewatch_ingest_round_reports_total
{outcome="failed"}``), logged and dropped, not retried: the next round's report replaces it.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Sequence
from pathlib import Path

from core.kafka import Delivery, Publisher, PublishError
from core.messages import Message, utcnow
from core.outage import BrokerWatch
from core.settings import Settings
from ingest.metrics import IngestMetrics
from ingest.rounds import RoundSummary, round_message

log = logging.getLogger(__name__)


class LazyPublisher:
    """``publish_all`` with (re)connection on demand; raises PublishError when not acknowledged."""

    def __init__(self, settings: Settings, bootstrap: str, watch: BrokerWatch | None = None) -> None:
        self.settings = settings
        self.bootstrap = bootstrap
        self.watch = watch
        self._lock = threading.Lock()
        self._publisher: Publisher | None = None

    def _get(self) -> Publisher:
        with self._lock:
            if self._publisher is None:
                try:
                    self._publisher = Publisher(self.settings, self.bootstrap)
                except Exception as exc:  # kafka-python raises its own errors here (e.g. no brokers)
                    raise PublishError(f"cannot connect to the broker at {self.bootstrap}: {exc}") from exc
            return self._publisher

    def publish_each(self, topic: str, messages: Sequence[Message]) -> list[Delivery]:
        """Each message's delivery; all of them not acknowledged when no broker can be reached."""
        try:
            publisher = self._get()
            out = publisher.publish_each(
                topic, messages, timeout=self.settings.kafka_request_timeout_ms / 1000
            )
        except PublishError as exc:
            out = [Delivery(ok=False, error=str(exc))] * len(messages)
        if self.watch is not None and out:
            if any(d.ok or d.too_large for d in out):  # the broker answered
                self.watch.healthy()
            else:
                self.watch.failed(out[0].error)
        return out

    def close(self) -> None:
        with self._lock:
            if self._publisher is not None:
                self._publisher.close()
                self._publisher = None


def instance_name(feeds_file: Path) -> str:
    """The ``IngestRound.source`` of this process: host name and feed list file name."""
    return f"{socket.gethostname()}:{feeds_file.name}"


class RoundReporter:
    """``IngestService.on_round``: publish each closed round; never raises (see the module docstring)."""

    def __init__(self, publisher: LazyPublisher, topic: str, source: str, metrics: IngestMetrics) -> None:
        self.publisher = publisher
        self.topic = topic
        self.source = source
        self.metrics = metrics

    def __call__(self, summary: RoundSummary) -> None:
        message = round_message(summary, self.source, self.publisher.settings.poll_interval, utcnow())
        try:
            delivered = self.publisher.publish_each(self.topic, [message])[0]
        except Exception as exc:  # a publisher bug must not stop the poll that closed the round
            delivered = Delivery(ok=False, error=f"{type(exc).__name__}: {exc}")
        if delivered.ok:
            self.metrics.round_reports.labels("published").inc()
            return
        self.metrics.round_reports.labels("failed").inc()
        log.warning("ingest: round report to %s not published (%s); the next round's replaces it",
                    self.topic, (delivered.error.splitlines() or [""])[0][:200])  # fmt: skip
