"""The ingest stage's side of publishing: a Kafka publisher created on first use.

Creating ``core.kafka.Publisher`` connects to the broker; with the broker down that raises. Deferring it
to the first ``publish_each`` makes "broker down" an ordinary failed publish (the poller keeps its seen
state unwritten and retries later) instead of a crash, and lets a later poll reconnect. With a
``BrokerWatch`` the outage and the recovery are each logged once and shown in ``stancewatch_broker_up``
(the waiting itself is the poller's per-feed backoff).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from core.kafka import Delivery, Publisher, PublishError
from core.messages import Article
from core.outage import BrokerWatch
from core.settings import Settings


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

    def publish_each(self, topic: str, messages: Sequence[Article]) -> list[Delivery]:
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
