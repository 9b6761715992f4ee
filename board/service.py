"""The board's consumer: ``stances``, ``alerts``, ``deliveries`` and ``ingest-health`` into the read model
(its own consumer group).

Per polled batch, on the shared consume loop (``core.consume.ConsumeLoop``; at-least-once, nothing
counted twice): decode each record by its topic (a record that does not decode is counted, logged and
skipped: the board only reads, and the alert stage dead-letters a bad stance itself), store the batch in
one read-model transaction (values already stored are skipped by content id) and its receipts and rounds
in a second (only a report that supersedes the stored one counts), then commit the offsets.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from board.health import ConsumerStatus
from board.metrics import BoardMetrics
from board.store import ReadModel
from core.consume import Batch, ConsumeLoop, Output
from core.kafka import Consumer, Record, Topics
from core.messages import Alert, DeliveryReceipt, IngestRound, StanceObservation, decode

log = logging.getLogger(__name__)

Value = StanceObservation | Alert | DeliveryReceipt | IngestRound  # what the board's topics carry


@dataclass
class BoardConsumer:
    """The board's consumer on the shared consume loop (``core.consume``): no dead-letter topic and no
    publishing; errors are shown on the health line and retried every 5 s rather than ridden out."""

    model: ReadModel
    consumer: Consumer
    topics: Topics
    metrics: BoardMetrics
    status: ConsumerStatus

    def __post_init__(self) -> None:
        self.loop: ConsumeLoop[Value | None, tuple[int, int]] = ConsumeLoop(
            stage="board",
            consumer=self.consumer,
            decode=self._decode,
            handle=self._handle,
            on_bad=self._bad,
            max_records=1000,
            timeout_ms=500,
            lag=self.update_lag,
            lag_every=10,
            on_polled=lambda: self.status.update(last_poll=datetime.now(UTC), error=""),
            commit_failed=self._commit_failed,
            on_error=self._error,
        )

    def _decode(self, record: Record) -> Value | None:
        if record.topic == self.topics.stances:
            return decode(StanceObservation, record.value)
        if record.topic == self.topics.alerts:
            return decode(Alert, record.value)
        if record.topic == self.topics.deliveries:
            return decode(DeliveryReceipt, record.value)
        if record.topic == self.topics.ingest_health:
            return decode(IngestRound, record.value)
        return None

    def _bad(self, record: Record, error: str) -> None:
        self.metrics.bad_records.labels(record.topic.removeprefix(self.topics.prefix)).inc()

    def _handle(self, batch: Batch[Value | None]) -> Output[tuple[int, int]]:
        observations = [v for _, v in batch.items if isinstance(v, StanceObservation)]
        alerts = [v for _, v in batch.items if isinstance(v, Alert)]
        receipts = [v for _, v in batch.items if isinstance(v, DeliveryReceipt)]
        rounds = [v for _, v in batch.items if isinstance(v, IngestRound)]
        new_obs, new_alerts = self.model.add(observations, alerts)
        self.metrics.stored.labels("observation").inc(new_obs)
        self.metrics.stored.labels("alert").inc(new_alerts)
        self.metrics.duplicates.labels("observation").inc(len(observations) - new_obs)
        self.metrics.duplicates.labels("alert").inc(len(alerts) - new_alerts)
        if receipts or rounds:
            new_receipts, new_rounds = self.model.report(receipts, rounds)
            self.metrics.stored.labels("receipt").inc(new_receipts)
            self.metrics.stored.labels("feed_round").inc(new_rounds)
            self.metrics.duplicates.labels("receipt").inc(len(receipts) - new_receipts)
            self.metrics.duplicates.labels("feed_round").inc(len(rounds) - new_rounds)
        return Output(result=(new_obs, new_alerts))

    @staticmethod
    def _commit_failed(records: Sequence[Record], exc: Exception) -> None:
        raise exc  # the health line shows it and the batch comes again (values stored are skipped)

    def _error(self, exc: Exception) -> None:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        log.warning("board consumer: %s", first)
        self.status.update(error=first)

    def handle(self, records: Sequence[Record]) -> tuple[int, int]:
        """Store one batch; return (new observations, new alerts)."""
        return self.loop.deliver(records).result

    def poll_once(self, max_records: int = 1000, timeout_ms: int = 500) -> int:
        """Poll, store and commit one batch; return the number of records consumed."""
        self.loop.max_records, self.loop.timeout_ms = max_records, timeout_ms
        return self.loop.poll_once()

    def update_lag(self) -> int:
        lag = self.consumer.lag()
        self.metrics.lag.update(self.consumer.group_id, lag)
        total = sum(lag.values())
        self.status.update(lag=total)
        return total

    def catch_up(self, idle_polls: int = 3) -> None:
        """Consume until the group is at the end of every partition (used by the offline replay)."""
        quiet = 0
        while quiet < idle_polls:
            if self.poll_once(timeout_ms=300) == 0 and self.update_lag() == 0:
                quiet += 1
            else:
                quiet = 0

    def run(self, stop: threading.Event) -> None:
        """Consume until ``stop`` is set; Kafka errors are reported on the health line and retried."""
        self.loop.max_records, self.loop.timeout_ms = 1000, 500
        self.loop.run(stop)
