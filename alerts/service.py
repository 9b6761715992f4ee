"""The alert stage's wiring: consume ``stances``, detect changes, publish ``alerts``, fill the outbox.

Per polled batch, on the shared consume loop (``core.consume.ConsumeLoop``; at-least-once, nothing
repeated):

0. restore the partitions the group gave this instance since the last batch: read changelog partition
   p (from this file's checkpoint) up to its end before handling any record of ``stances`` partition p;
1. decode each record; a poison record goes to the stage's dead-letter topic and is counted;
2. skip observations already processed (their ids are in the store), fold the rest through
   ``detect.step`` per ``COUNTRY:topic`` (state keyed so, partitions can be spread over instances);
3. publish the new alerts to ``alerts`` and wait for the acks (a crash after this re-publishes the same
   alert ids: alert ids are deterministic, so readers can de-duplicate);
4. write each changed pair's entry (state, processed ids, fired alerts; ``alerts.changelog``) to the
   changelog partition numbered like its input partition and wait for the acks;
5. one SQLite transaction: pair states, processed ids, outbox rows for the routed channels, the entries
   and the changelog checkpoint;
6. commit the Kafka offsets, and wake the dispatcher (a ``queued`` delivery receipt per routed channel
   goes to ``receipts`` after step 5; see ``alerts.receipts``).

A crash between 4 and 5 leaves the changelog ahead of the file: the next owner of the partition (this
instance after a restart, or another) restores the entries, skips the uncommitted records as processed
and enqueues again the alerts they fired (``changelog.unfinished``), so no alert is lost.

A broker outage at any step is waited out (``core.outage``): the step in hand (a dead letter, the
alerts' publish, or steps 4-5 together) is done again once the broker is back (each is idempotent:
processed ids and deterministic alert ids), and a failed commit only means its records come again and
are skipped as processed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from alerts import changelog, detect, route
from alerts.changelog import ChangelogError, Entry
from alerts.detect import DetectConfig, PairState
from alerts.metrics import AlertMetrics
from alerts.receipts import NoReceipts, ReceiptSink, queued
from alerts.state import PROCESSED_KEEP_S, Store, observation_id
from core.baseline import Baseline, Position
from core.consume import Batch, ConsumeLoop, Output
from core.kafka import Consumer, DeadLetters, PartitionReader, Publisher, Record, Topics
from core.messages import Alert, StanceObservation, decode
from core.outage import BrokerWatch
from core.settings import Settings

log = logging.getLogger(__name__)


def detect_config(settings: Settings) -> DetectConfig:
    return DetectConfig(
        min_confidence=settings.alert_min_confidence,
        min_sources=settings.alert_min_sources,
        window=timedelta(hours=settings.alert_window_hours),
        high_confidence=settings.alert_high_confidence,
        evidence_max=settings.alert_evidence_max,
    )


def fold(
    states: dict[str, PairState],
    baseline: Baseline,
    observations: Sequence[StanceObservation],
    config: DetectConfig,
) -> list[Alert]:
    """Fold observations (in order) into ``states`` (updated in place); return the alerts fired."""
    return [a for _, a in fold_traced(states, baseline.by_key(), observations, config)]


def fold_traced(
    states: dict[str, PairState],
    positions: Mapping[str, Position],
    observations: Sequence[StanceObservation],
    config: DetectConfig,
) -> list[tuple[int, Alert]]:
    """``fold``, returning each alert with the index of the observation that fired it."""
    fired: list[tuple[int, Alert]] = []
    for i, obs in enumerate(observations):
        key = obs.key()
        states[key], alert = detect.step(states.get(key, PairState()), positions.get(key), obs, config)
        if alert is not None:
            fired.append((i, alert))
    return fired


@dataclass
class AlertStage:
    """One consumer-group member of the alert stage."""

    settings: Settings
    baseline: Baseline
    store: Store
    consumer: Consumer
    publisher: Publisher
    dead_letters: DeadLetters
    metrics: AlertMetrics
    channels: Sequence[str]
    routes: Mapping[str, Mapping[str, Sequence[str]]]
    reader: PartitionReader  # reads the changelog on partition assignment
    on_enqueued: Callable[[], None] = lambda: None
    on_alert: Callable[[Alert], None] = lambda alert: None
    watch: BrokerWatch | None = None  # None: an outage raises (replay drives poll_once itself)
    receipts: ReceiptSink = field(default_factory=NoReceipts)

    def __post_init__(self) -> None:
        self.topics = Topics(self.settings.topic_prefix)
        self.config = detect_config(self.settings)
        self.positions = self.baseline.by_key()
        self._unrestored: set[int] = set()  # stances partitions assigned but not yet restored
        for pos in self.baseline.positions:
            self.metrics.board.set_baseline(pos.country, pos.topic, pos.stance)
        self._show({**{k: PairState() for k in self.positions}, **self.store.pair_states()})
        self.loop: ConsumeLoop[StanceObservation, list[Alert]] = ConsumeLoop(
            stage="alerts",
            consumer=self.consumer,
            decode=lambda record: decode(StanceObservation, record.value),
            handle=self._handle,
            publisher=self.publisher,
            dead_letters=self.dead_letters,
            on_bad=lambda _record, _error: self.metrics.dead_letters.inc(),
            watch=self.watch,
            before=self._restore_pending,
            lag=lambda: self.metrics.lag.update(self.consumer.group_id, self.consumer.lag()),
            lag_every=20,
        )

    def _show(self, states: Mapping[str, PairState]) -> None:
        """Put each pair's current position (the active change, else the baseline) on the stance board."""
        for key, state in states.items():
            pos = self.positions.get(key)
            current = state.current or (pos.stance if pos is not None else None)
            if current is not None:
                country, _, topic = key.partition(":")
                self.metrics.board.set_current(country, topic, current)

    def assigned(self, partitions: Sequence[tuple[str, int]]) -> None:
        """Consumer hook (inside a poll): note the partitions to restore before their records."""
        self._unrestored.update(p for topic, p in partitions if topic == self.topics.stances)

    def revoked(self, partitions: Sequence[tuple[str, int]]) -> None:
        """Consumer hook (inside a poll): a partition taken away needs no restore any more."""
        self._unrestored.difference_update(p for topic, p in partitions if topic == self.topics.stances)

    def restore_assigned(self) -> None:
        """Bring every newly assigned partition's pair state up to the end of its changelog partition.

        Raises BrokerUnavailable when the broker does not answer (the partitions stay to be restored).
        """
        for partition in sorted(self._unrestored):
            self._restore(partition)
            self._unrestored.discard(partition)

    def _restore(self, partition: int) -> None:
        start = self.store.checkpoint(partition)
        records, end = self.reader.read(self.topics.alert_changelog, partition, start)
        latest: dict[str, Entry] = {}
        for r in records:
            if r.key is None or r.value is None:
                continue
            try:
                latest[r.key.decode("utf-8")] = changelog.decode_entry(r.value)
            except (ChangelogError, UnicodeDecodeError) as exc:
                log.warning("changelog %s[%d]@%d unreadable, skipped: %s", r.topic, partition, r.offset, exc)
        committed = self.consumer.committed(self.topics.stances, partition) if latest else None
        routed = [
            (a, route.channels_for(a, self.channels, self.routes))
            for entry in latest.values()
            for a in changelog.unfinished(entry, committed)
        ]
        requeued = self.store.restore(latest, partition, end, routed)
        self.receipts.offer(queued(routed))
        self.metrics.restores.inc()
        self.metrics.restored.inc(len(records))
        self.metrics.requeued.inc(requeued)
        self._show({k: e.state for k, e in latest.items()})
        log.log(
            logging.INFO if records else logging.DEBUG,  # a rebalance that moved nothing stays quiet
            "alerts: partition %d restored from the changelog (offsets %s..%d: %d records, %d pairs, "
            "%d sends enqueued again)",
            partition,
            "start" if start is None else start,
            end,
            len(records),
            len(latest),
            requeued,
        )
        if requeued:
            self.on_enqueued()

    def _write_changelog(
        self,
        states: Mapping[str, PairState],
        fresh: Sequence[tuple[StanceObservation, str, Record]],
        fired: Sequence[tuple[int, Alert]],
        now: float,
    ) -> tuple[dict[str, Entry], dict[int, int]]:
        """Write the changed pairs' entries to the changelog and wait for the acks (step 4); return
        the entries and the changelog checkpoints reached (partition -> next offset)."""
        seen: dict[str, list[tuple[str, float]]] = {}
        last: dict[str, Record] = {}
        for obs, oid, record in fresh:
            seen.setdefault(obs.key(), []).append((oid, now))
            last[obs.key()] = record
        fired_by: dict[str, list[tuple[int, Alert]]] = {}
        for i, alert in fired:
            fired_by.setdefault(alert.key(), []).append((fresh[i][2].offset, alert))
        previous = self.store.entries(seen)
        entries = {
            key: changelog.advance(
                previous.get(key),
                states[key],
                last[key].partition,
                last[key].offset,
                seen[key],
                fired_by.get(key, []),
                keep_since=now - PROCESSED_KEEP_S,
            )
            for key in seen
        }
        by_partition: dict[int, list[tuple[bytes, bytes]]] = {}
        for key, entry in entries.items():
            by_partition.setdefault(entry.partition, []).append((key.encode(), changelog.encode(entry)))
        checkpoints = {
            p: self.publisher.send_to_partition(self.topics.alert_changelog, p, items) + 1
            for p, items in sorted(by_partition.items())
        }
        return entries, checkpoints

    def _restore_pending(self) -> bool:
        """Restore the partitions assigned since the last poll; whether there were any."""
        if not self._unrestored:
            return False
        self.restore_assigned()
        return True

    def handle(self, records: Sequence[Record]) -> list[Alert]:
        """Process one batch up to (not including) the offset commit; return the alerts fired."""
        return self.loop.deliver(records).result

    def _handle(self, batch: Batch[StanceObservation]) -> Output[list[Alert]]:
        """Fold the batch's new observations; the alerts to publish, then (``settle``, once they are
        acknowledged) the changelog entries and the store's transaction."""
        self.loop.broker(self.restore_assigned)
        observations = [(obs, record) for record, obs in batch.items]
        ids = [observation_id(obs) for obs, _ in observations]
        done = self.store.processed(ids)
        fresh: list[tuple[StanceObservation, str, Record]] = []
        for (obs, record), oid in zip(observations, ids, strict=True):
            if oid in done:
                self.metrics.skipped.labels("duplicate").inc()
                continue
            done.add(oid)
            fresh.append((obs, oid, record))
        if not fresh:
            return Output(result=[])
        now = time.time()
        states = self.store.states(o.key() for o, _, _ in fresh)
        fired = fold_traced(states, self.positions, [o for o, _, _ in fresh], self.config)
        alerts = [a for _, a in fired]

        def settle() -> None:
            entries, checkpoints = self._write_changelog(states, fresh, fired, now)
            routed = [(a, route.channels_for(a, self.channels, self.routes)) for a in alerts]
            self.store.commit_batch(
                states, [oid for _, oid, _ in fresh], routed, now, entries=entries, checkpoints=checkpoints
            )
            self.receipts.offer(queued(routed))
            self._show(states)
            self.metrics.observations.inc(len(fresh))
            for a in alerts:
                self.metrics.alerts.labels(a.kind).inc()
                log.info("alert %s: %s %s:%s -> %s", a.id, a.kind, a.country, a.topic, a.new_stance)
                self.on_alert(a)
            if routed:
                self.on_enqueued()

        return Output(result=alerts, publish=((self.topics.alerts, alerts),), settle=settle)

    def poll_once(self, max_records: int = 500, timeout_ms: int = 200) -> int:
        """Poll, handle and commit one batch; return the number of records consumed."""
        self.loop.max_records, self.loop.timeout_ms = max_records, timeout_ms
        return self.loop.poll_once()

    def run(self, stop: threading.Event) -> None:
        """Consume until ``stop`` is set, riding out broker outages (``watch`` is required here)."""
        if self.watch is None:
            raise ValueError("AlertStage.run needs a BrokerWatch")
        self.loop.max_records, self.loop.timeout_ms = 500, 500
        self.loop.run(stop)
