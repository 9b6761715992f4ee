"""The alert stage's wiring: consume ``stances``, detect changes, publish ``alerts``, fill the outbox.

Per polled batch (at-least-once, nothing repeated):

1. decode each record; a poison record goes to the stage's dead-letter topic and is counted;
2. skip observations already processed (their ids are in the store), fold the rest through
   ``detect.step`` per ``COUNTRY:topic`` (state keyed so, partitions can be spread over instances);
3. publish the new alerts to ``alerts`` and wait for the acks (a crash after this re-publishes the same
   alert ids: alert ids are deterministic, so readers can de-duplicate);
4. one SQLite transaction: pair states, processed ids and outbox rows for the routed channels;
5. commit the Kafka offsets, and wake the dispatcher.

A broker outage at any step is waited out (``core.outage``): the batch in hand is handled again once
the broker is back (steps 1-4 are idempotent: processed ids and deterministic alert ids), and a failed
commit only means its records come again and are skipped as processed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from alerts import detect, route
from alerts.detect import DetectConfig, PairState
from alerts.metrics import AlertMetrics
from alerts.state import Store, observation_id
from core.baseline import Baseline
from core.kafka import Consumer, DeadLetters, Publisher, Record, Topics
from core.messages import Alert, MessageError, StanceObservation, decode
from core.outage import BrokerWatch, StopRequested
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
    positions = baseline.by_key()
    fired: list[Alert] = []
    for obs in observations:
        key = obs.key()
        states[key], alert = detect.step(states.get(key, PairState()), positions.get(key), obs, config)
        if alert is not None:
            fired.append(alert)
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
    on_enqueued: Callable[[], None] = lambda: None
    on_alert: Callable[[Alert], None] = lambda alert: None
    watch: BrokerWatch | None = None  # None: an outage raises (replay drives poll_once itself)

    def __post_init__(self) -> None:
        self.topics = Topics(self.settings.topic_prefix)
        self.config = detect_config(self.settings)
        self.positions = self.baseline.by_key()
        for pos in self.baseline.positions:
            self.metrics.board.set_baseline(pos.country, pos.topic, pos.stance)
        self._show({**{k: PairState() for k in self.positions}, **self.store.pair_states()})

    def _show(self, states: Mapping[str, PairState]) -> None:
        """Put each pair's current position (the active change, else the baseline) on the stance board."""
        for key, state in states.items():
            pos = self.positions.get(key)
            current = state.current or (pos.stance if pos is not None else None)
            if current is not None:
                country, _, topic = key.partition(":")
                self.metrics.board.set_current(country, topic, current)

    def handle(self, records: Sequence[Record]) -> list[Alert]:
        """Process one batch up to (not including) the offset commit; return the alerts fired."""
        observations: list[StanceObservation] = []
        ids: list[str] = []
        for record in records:
            try:
                obs = decode(StanceObservation, record.value)
            except MessageError as exc:
                self.dead_letters.send(record, str(exc))
                self.metrics.dead_letters.inc()
                continue
            observations.append(obs)
            ids.append(observation_id(obs))
        done = self.store.processed(ids)
        fresh: list[StanceObservation] = []
        fresh_ids: list[str] = []
        for obs, oid in zip(observations, ids, strict=True):
            if oid in done:
                self.metrics.skipped.labels("duplicate").inc()
                continue
            done.add(oid)
            fresh.append(obs)
            fresh_ids.append(oid)
        if not fresh:
            return []
        states = self.store.states(o.key() for o in fresh)
        alerts = fold(states, self.baseline, fresh, self.config)
        if alerts:
            self.publisher.publish_all(self.topics.alerts, alerts)
        routed = [(a, route.channels_for(a, self.channels, self.routes)) for a in alerts]
        self.store.commit_batch(states, fresh_ids, routed)
        self._show(states)
        self.metrics.observations.inc(len(fresh))
        for a in alerts:
            self.metrics.alerts.labels(a.kind).inc()
            log.info("alert %s: %s %s:%s -> %s", a.id, a.kind, a.country, a.topic, a.new_stance)
            self.on_alert(a)
        if routed:
            self.on_enqueued()
        return alerts

    def poll_once(self, max_records: int = 500, timeout_ms: int = 200) -> int:
        """Poll, handle and commit one batch; return the number of records consumed."""
        records = self.consumer.poll_batch(max_records, timeout_ms)
        if not records:
            return 0
        self.handle(records)
        self._commit(records)
        return len(records)

    def _commit(self, records: Sequence[Record]) -> None:
        try:
            self.consumer.commit(records)
        except Exception as exc:  # broker away or partitions moved: the records come again, as processed
            log.warning(
                "commit of %d records failed (%s); they will be skipped when seen again", len(records), exc
            )

    def run(self, stop: threading.Event) -> None:
        """Consume until ``stop`` is set, riding out broker outages (``watch`` is required here)."""
        if self.watch is None:
            raise ValueError("AlertStage.run needs a BrokerWatch")
        watch = self.watch
        lag_every = 0
        try:
            while not stop.is_set():
                records = watch.call(stop, lambda: self.consumer.poll_batch(500, 500), answered=bool)
                if not records:
                    watch.idle(stop)
                else:
                    watch.call(stop, lambda: self.handle(records))  # noqa: B023 - called at once
                    self._commit(records)
                lag_every += 1
                if lag_every % 20 == 0 and not watch.down:
                    try:
                        self.metrics.lag.update(self.consumer.group_id, self.consumer.lag())
                    except Exception as exc:  # lag is diagnostics only; never stop the stage for it
                        log.debug("lag unavailable: %s", exc)
        except StopRequested:
            log.info("alert stage: stop requested while waiting for the broker; the batch in hand is redone")
