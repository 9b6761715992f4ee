"""The board's consumer: ``stances``, ``alerts``, ``deliveries`` and ``ingest-health`` into the read model
(its own consumer group).

Per polled batch (at-least-once, nothing counted twice): decode each record by its topic (a record that
does not decode is counted, logged and skipped: the board only reads, and the alert stage dead-letters a
bad stance itself), store the batch in one read-model transaction (values already stored are skipped by
content id) and its receipts and rounds in a second (only a report that supersedes the stored one
counts), then commit the offsets.
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
from core.kafka import Consumer, Record, Topics
from core.messages import Alert, DeliveryReceipt, IngestRound, MessageError, StanceObservation, decode

log = logging.getLogger(__name__)


@dataclass
class BoardConsumer:
    model: ReadModel
    consumer: Consumer
    topics: Topics
    metrics: BoardMetrics
    status: ConsumerStatus

    def handle(self, records: Sequence[Record]) -> tuple[int, int]:
        """Store one batch; return (new observations, new alerts)."""
        observations: list[StanceObservation] = []
        alerts: list[Alert] = []
        receipts: list[DeliveryReceipt] = []
        rounds: list[IngestRound] = []
        for r in records:
            try:
                if r.topic == self.topics.stances:
                    observations.append(decode(StanceObservation, r.value))
                elif r.topic == self.topics.alerts:
                    alerts.append(decode(Alert, r.value))
                elif r.topic == self.topics.deliveries:
                    receipts.append(decode(DeliveryReceipt, r.value))
                elif r.topic == self.topics.ingest_health:
                    rounds.append(decode(IngestRound, r.value))
            except MessageError as exc:
                self.metrics.bad_records.labels(r.topic.removeprefix(self.topics.prefix)).inc()
                log.warning("board: skipped %s[%d]@%d: %s", r.topic, r.partition, r.offset, exc)
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
        return new_obs, new_alerts

    def poll_once(self, max_records: int = 1000, timeout_ms: int = 500) -> int:
        """Poll, store and commit one batch; return the number of records consumed."""
        records = self.consumer.poll_batch(max_records, timeout_ms)
        if records:
            self.handle(records)
            self.consumer.commit(records)
        return len(records)

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
        polls = 0
        while not stop.is_set():
            try:
                self.poll_once()
                polls += 1
                if polls % 10 == 1:
                    self.update_lag()
                self.status.update(last_poll=datetime.now(UTC), error="")
            except Exception as exc:  # kafka-python raises many types; the board keeps serving
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
                log.warning("board consumer: %s", first)
                self.status.update(error=first)
                stop.wait(5.0)
