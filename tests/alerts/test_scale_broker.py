"""Two alert instances in one group on a real broker: partitions move between them (a second instance
joins, then the first leaves) and the pair state follows them through the changelog topic, so every
alert the pure detector expects is delivered exactly once, none missed and none repeated."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from alerts import notifiers
from alerts.runtime import AlertRuntime
from alerts.service import detect_config, fold
from core.kafka import Consumer, Publisher, Topics, ensure_topics
from core.messages import Alert, StanceObservation, decode
from core.metrics import new_registry
from core.settings import Settings

from .helpers import baseline, obs

PAIRS = [(c, t) for c in ("US", "RU", "CN", "KR", "KP", "JP") for t in ("sanctions", "trade", "thaad")]
BASE = baseline(*((c, t, "oppose") for c, t in PAIRS))


def wave(stance: str, sources: tuple[str, ...], hours: float) -> list[StanceObservation]:
    """One observation per pair and source; a change needs two sources, so it spans two waves."""
    return [
        obs(stance, country=c, topic=t, source=s, hours=hours + i)
        for i, s in enumerate(sources)
        for c, t in PAIRS
    ]


def wait_until(what: str, ready: Callable[[], bool], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def value(counter: object) -> float:
    return float(counter._value.get())  # type: ignore[attr-defined]


class Instance:
    """One alert process's worth: its own data directory (SQLite cache, outbox) and JSON Lines channel."""

    def __init__(self, settings: Settings, bootstrap: str, home: Path) -> None:
        self.jsonl = home / "alerts.jsonl"
        own = settings.model_copy(update={"data_dir": home, "alerts_jsonl": self.jsonl})
        self.runtime = AlertRuntime(own, BASE, bootstrap, new_registry(), notifiers.build(own))
        self.metrics = self.runtime.metrics
        self.thread = threading.Thread(target=self.runtime.run, daemon=True)
        self.thread.start()

    def delivered(self) -> list[str]:
        if not self.jsonl.exists():
            return []
        return [decode(Alert, line.encode()).id for line in self.jsonl.read_text().splitlines()]

    def stop(self) -> None:
        self.runtime.stop_event.set()
        self.thread.join(timeout=30)
        self.runtime.close()


@pytest.mark.integration
def test_pair_state_follows_partitions_between_two_instances(
    kafka_bootstrap: str, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings(topic_partitions=4, alerts_console=False, digest_threshold=1000)
    ensure_topics(settings, kafka_bootstrap)
    topics = Topics(settings.topic_prefix)
    waves = [wave("support", ("a.example",), 0), wave("support", ("b.example",), 1)]
    waves.append(wave("oppose", ("c.example", "d.example"), 2))  # back to the baseline: "reverted"
    expected = fold({}, BASE, [o for w in waves for o in w], detect_config(settings))
    assert len(expected) == 2 * len(PAIRS)
    publisher = Publisher(settings, kafka_bootstrap)
    first = Instance(settings, kafka_bootstrap, tmp_path / "one")
    second: Instance | None = None
    try:
        publisher.publish_all(topics.stances, waves[0])  # one source per pair: state, no alert yet
        wait_until("the first wave", lambda: value(first.metrics.observations) == len(waves[0]))
        assert first.delivered() == []

        second = Instance(settings, kafka_bootstrap, tmp_path / "two")  # the group rebalances
        both = second
        wait_until("the second instance's partitions", lambda: value(both.metrics.restores) > 0)
        publisher.publish_all(topics.stances, waves[1])  # corroborates the first wave's candidates
        wait_until("the reversals", lambda: len(first.delivered()) + len(both.delivered()) >= len(PAIRS))
        fired_by_second = len(both.delivered())
        assert 0 < fired_by_second < len(PAIRS), "the partitions were shared between the two"
        assert value(both.metrics.restored) > 0, "the second restored the first's state"

        first.stop()  # every partition moves to the second instance
        publisher.publish_all(topics.stances, waves[2])
        wait_until("the reverts", lambda: len(first.delivered()) + len(both.delivered()) >= len(expected))
        time.sleep(3)  # a repeated alert would arrive meanwhile
    finally:
        publisher.close()
        if second is not None:
            second.stop()
        if first.thread.is_alive():
            first.stop()

    delivered = first.delivered() + second.delivered()
    print(
        f"\nscale: {len(expected)} alerts expected, {len(delivered)} delivered "
        f"({len(first.delivered())} by the first instance, {len(second.delivered())} by the second)"
    )
    assert sorted(delivered) == sorted(a.id for a in expected), "none lost, missed or repeated"
    kinds = {a.id: a.kind for a in expected}
    assert sorted(kinds[i] for i in second.delivered()[fired_by_second:]) == ["reverted"] * len(PAIRS)
    assert value(second.metrics.requeued) == 0, "a clean handover enqueues nothing twice"
    on_topic = consume_all(settings, kafka_bootstrap, topics.alerts, len(expected))
    assert sorted(on_topic) == sorted(a.id for a in expected), "the alerts topic holds each once"


def consume_all(settings: Settings, bootstrap: str, topic: str, n: int) -> list[str]:
    consumer = Consumer(settings, f"check-{time.monotonic_ns()}", [topic], bootstrap)
    got: list[str] = []
    try:
        deadline = time.monotonic() + 60
        while len(got) < n and time.monotonic() < deadline:
            got.extend(decode(Alert, r.value).id for r in consumer.poll_batch(500, 500) if r.value)
        got.extend(decode(Alert, r.value).id for r in consumer.poll_batch(500, 1500) if r.value)
    finally:
        consumer.close()
    return got
