"""Builds a running alert stage from settings: store, consumer, publisher, dispatcher thread, and the
delivery receipts' publisher thread (``alerts.receipts``, its own producer).

Used by ``stancewatch alert`` and by ``stancewatch replay`` (which drives ``stage.poll_once`` itself).
Building waits for the broker when it is away (``core.outage``); setting ``stop_event`` meanwhile makes
it raise ``StopRequested`` with nothing left open.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry

from alerts import notifiers, route
from alerts.channels import Notifier
from alerts.dispatch import Dispatcher
from alerts.metrics import AlertMetrics
from alerts.outbox import Outbox
from alerts.receipts import ReceiptPublisher
from alerts.service import AlertStage
from alerts.state import Store, connect, db_path
from core.baseline import Baseline
from core.kafka import Consumer, DeadLetters, PartitionReader, Publisher, Topics, ensure_topics
from core.messages import Alert
from core.outage import BrokerWatch, StopRequested, broker_watch
from core.retry import RetryPolicy
from core.settings import Settings

log = logging.getLogger(__name__)

DIGEST_HOLD_S = 10.0
RECEIPT_WAIT_MS = 5_000


def retry_policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        attempts=settings.delivery_attempts,
        base=settings.delivery_backoff_s,
        cap=settings.delivery_backoff_cap_s,
    )


@dataclass
class AlertRuntime:
    """Everything ``stancewatch alert`` runs, started and stopped together."""

    settings: Settings
    baseline: Baseline
    bootstrap: str
    registry: CollectorRegistry
    channels: Mapping[str, Notifier]
    group_id: str | None = None
    on_alert: Callable[[Alert], None] = lambda alert: None
    stop_event: threading.Event = field(default_factory=threading.Event)
    # The watch ``core.connect.connect`` waited for the broker with (the topics are in place then);
    # None: one is built here, and waits for the broker and the topics itself.
    watch: BrokerWatch | None = None

    def __post_init__(self) -> None:
        s = self.settings
        route.validate(s.alert_routes, list(notifiers.CHANNELS))
        self.metrics = AlertMetrics.build(self.registry)
        stop, topics = self.stop_event, Topics(s.topic_prefix)
        if self.watch is None:
            self.watch = broker_watch("alerts", self.bootstrap, self.registry, s)
            self.watch.ready(stop)
            self.watch.call(stop, lambda: ensure_topics(s, self.bootstrap))
        watch = self.watch
        self.publisher = watch.call(stop, lambda: Publisher(s, self.bootstrap))
        try:
            group = self.group_id or s.alert_group
            # the hooks run inside a poll, so only after self.stage exists
            self.consumer = watch.call(
                stop,
                lambda: Consumer(
                    s,
                    group,
                    [topics.stances],
                    self.bootstrap,
                    on_assigned=lambda parts: self.stage.assigned(parts),
                    on_revoked=lambda parts: self.stage.revoked(parts),
                ),
            )
        except StopRequested:
            self.publisher.close()
            raise
        try:
            self.reader = watch.call(stop, lambda: PartitionReader(s, self.bootstrap))
        except StopRequested:
            self.consumer.close()
            self.publisher.close()
            raise
        self.store = Store(db_path(s))
        # Its own producer, bounded in how long one call may block (connect, metadata, acks), so that
        # stopping the stage during an outage waits seconds for it, not the request timeout.
        wait_ms = min(RECEIPT_WAIT_MS, s.kafka_request_timeout_ms)
        self.receipts = ReceiptPublisher(
            topics.deliveries,
            lambda: Publisher(s, self.bootstrap, max_block_ms=wait_ms, bootstrap_timeout_ms=wait_ms),
            self.metrics,
            timeout_s=wait_ms / 1000,
        )
        self.dispatcher = Dispatcher(
            Outbox(connect(db_path(s))),
            self.channels,
            retry_policy(s),
            self.metrics,
            secrets=notifiers.secrets_of(s),
            digest_threshold=s.digest_threshold,
            digest_window=s.digest_window_s,
            digest_hold=min(DIGEST_HOLD_S, s.digest_window_s),
            receipts=self.receipts,
        )
        self.stage = AlertStage(
            settings=s,
            baseline=self.baseline,
            store=self.store,
            consumer=self.consumer,
            publisher=self.publisher,
            dead_letters=DeadLetters(self.publisher, topics, "alerts"),
            metrics=self.metrics,
            channels=list(self.channels),
            routes=s.alert_routes,
            reader=self.reader,
            on_enqueued=self.dispatcher.wake.set,
            on_alert=self.on_alert,
            watch=watch,
            receipts=self.receipts,
        )
        self._thread = threading.Thread(
            target=self.dispatcher.run, args=(self.stop_event,), name="alerts-dispatch", daemon=True
        )

    def start_dispatcher(self) -> None:
        """Start the dispatcher and the receipts' publisher threads."""
        self.receipts.start()
        self._thread.start()

    def run(self) -> None:
        """Consume until ``stop_event`` is set (the dispatcher runs in its own thread meanwhile)."""
        self.start_dispatcher()
        self.stage.run(self.stop_event)

    def close(self) -> None:
        self.stop_event.set()
        self.dispatcher.wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)
        self.receipts.close()
        self.consumer.close()
        self.reader.close()
        self.publisher.close()
        self.dispatcher.close()
        self.store.close()
