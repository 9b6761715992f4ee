"""The pair-state changelog without a broker: entries, the SQLite cache, and a partition moving between
two alert stages (in-memory twins of the Kafka boundary; the real broker is in test_scale_broker.py)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from alerts import changelog
from alerts.changelog import ChangelogError, Entry
from alerts.detect import PairState
from alerts.metrics import AlertMetrics
from alerts.service import AlertStage
from alerts.state import Store, observation_id
from core.kafka import Record, Topics
from core.messages import Alert, Message
from core.metrics import new_registry
from core.settings import load_settings

from .helpers import alert, baseline, obs

PREFIX = "t."
TOPICS = Topics(PREFIX)


def test_advance_keeps_recent_ids_and_the_last_fired_alerts() -> None:
    first = changelog.advance(None, PairState(), 0, 4, [("a", 10.0), ("b", 20.0)], [(3, alert())], 0.0)
    assert first.seen == (("a", 10.0), ("b", 20.0)) and first.offset == 4
    later = changelog.advance(first, PairState(sequence=1), 0, 9, [("c", 30.0)], [], keep_since=15.0)
    assert later.seen == (("b", 20.0), ("c", 30.0)), "ids older than the keep window go"
    assert later.fired == first.fired and later.state.sequence == 1
    many = [(f"id{i}", 100.0) for i in range(changelog.SEEN_KEEP + 5)]
    fired = [(i, alert(alert_id=f"x{i}")) for i in range(changelog.FIRED_KEEP + 2)]
    capped = changelog.advance(later, PairState(), 0, 99, many, fired, 0.0)
    assert len(capped.seen) == changelog.SEEN_KEEP and capped.seen[-1] == many[-1]
    assert [a.id for _, a in capped.fired] == [a.id for _, a in fired[-changelog.FIRED_KEEP :]]


def test_unfinished_is_what_the_group_has_not_committed() -> None:
    entry = Entry(PairState(), 0, 9, fired=((3, alert(alert_id="old")), (7, alert(alert_id="new"))))
    assert [a.id for a in changelog.unfinished(entry, 7)] == ["new"]
    assert [a.id for a in changelog.unfinished(entry, 8)] == []
    assert [a.id for a in changelog.unfinished(entry, None)] == ["old", "new"]


def test_entry_round_trip_and_unreadable_records() -> None:
    states: dict[str, PairState] = {}
    from alerts.detect import DetectConfig
    from alerts.service import fold

    fold(states, baseline(("RU", "sanctions", "oppose")), [obs("support", source="a.x")], DetectConfig())
    entry = Entry(states["RU:sanctions"], 2, 41, (("i1", 5.0),), ((40, alert()),))
    assert changelog.decode_entry(changelog.encode(entry)) == entry
    for raw in (b"{not json", b'{"schema_version": 99}', b'{"schema_version": 1, "state": {}}', b"[]"):
        with pytest.raises(ChangelogError):
            changelog.decode_entry(raw)


def test_store_restore_applies_entries_once(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite3")
    state = PairState(current="support", alerted=("support",), sequence=1)
    entry = Entry(state, 1, 12, (("obs-1", 5.0), ("obs-2", 6.0)), ((12, alert()),))
    assert store.checkpoint(1) is None
    assert store.restore({"RU:sanctions": entry}, 1, 13, [(alert(), ["slack"])]) == 1
    assert store.states(["RU:sanctions"])["RU:sanctions"] == state
    assert store.processed(["obs-1", "obs-2", "obs-3"]) == {"obs-1", "obs-2"}
    assert store.entries(["RU:sanctions", "CN:thaad"]) == {"RU:sanctions": entry}
    assert store.checkpoint(1) == 13 and store.checkpoint(0) is None
    assert store.restore({"RU:sanctions": entry}, 1, 13, [(alert(), ["slack"])]) == 0, "same alert id"
    store.close()


# ---- two stages sharing one partition through in-memory twins of the Kafka boundary ----


class Log:
    """A partitioned topic in memory: topic -> partition -> [(key, value)]."""

    def __init__(self) -> None:
        self.topics: dict[str, dict[int, list[tuple[bytes, bytes]]]] = {}

    def append(self, topic: str, partition: int, key: bytes, value: bytes) -> int:
        part = self.topics.setdefault(topic, {}).setdefault(partition, [])
        part.append((key, value))
        return len(part) - 1


class TwinPublisher:
    def __init__(self, log: Log) -> None:
        self.log = log
        self.fail_changelog = False

    def publish_all(self, topic: str, messages: Sequence[Message]) -> None:
        for m in messages:
            self.log.append(topic, 0, m.key().encode(), m.encode())

    def send_to_partition(self, topic: str, partition: int, items: Sequence[tuple[bytes, bytes]]) -> int:
        return max(self.log.append(topic, partition, k, v) for k, v in items)


class TwinReader:
    def __init__(self, log: Log) -> None:
        self.log = log

    def read(self, topic: str, partition: int, start: int | None) -> tuple[list[Record], int]:
        part = self.log.topics.get(topic, {}).get(partition, [])
        first = start or 0
        got = [Record(topic, partition, i, k, v, (), 0) for i, (k, v) in enumerate(part) if i >= first]
        return got, len(part)


class TwinConsumer:
    group_id = "twin"

    def __init__(self) -> None:
        self.commits: dict[int, int] = {}

    def committed(self, topic: str, partition: int) -> int | None:
        return self.commits.get(partition)


def stage(tmp_path: Path, name: str, log: Log, consumer: TwinConsumer) -> AlertStage:
    settings = load_settings(data_dir=tmp_path / name, topic_prefix=PREFIX, metrics_port=0)
    return AlertStage(
        settings=settings,
        baseline=baseline(("RU", "sanctions", "oppose")),
        store=Store(tmp_path / name / "alerts.sqlite3"),
        consumer=consumer,  # type: ignore[arg-type]
        publisher=TwinPublisher(log),  # type: ignore[arg-type]
        dead_letters=None,  # type: ignore[arg-type]
        metrics=AlertMetrics.build(new_registry()),
        channels=["webhook"],
        routes={},
        reader=TwinReader(log),  # type: ignore[arg-type]
    )


def records(observations: Sequence[object], first_offset: int) -> list[Record]:
    return [
        Record(TOPICS.stances, 0, first_offset + i, o.key().encode(), o.encode(), (), 0)  # type: ignore[attr-defined]
        for i, o in enumerate(observations)
    ]


def outbox_ids(store: Store) -> list[str]:
    rows = store._conn.execute("SELECT alert_id FROM outbox ORDER BY id").fetchall()
    return [r[0] for r in rows]


def test_state_follows_the_partition_to_a_new_owner(tmp_path: Path) -> None:
    log, consumer = Log(), TwinConsumer()
    first = stage(tmp_path, "a", log, consumer)
    first.assigned([(TOPICS.stances, 0)])
    batch1 = records([obs("support", source="a.x", hours=0)], 0)  # one source: no alert yet
    assert first.handle(batch1) == []
    consumer.commits[0] = 1
    second = stage(tmp_path, "b", log, consumer)
    second.assigned([(TOPICS.stances, 0)])
    batch2 = records([obs("support", source="b.x", hours=1)], 1)  # corroborates the first owner's
    fired = second.handle(batch1 + batch2)  # batch1 again: a redelivery is skipped as processed
    assert [(a.kind, a.new_stance) for a in fired] == [("reversal", "support")]
    assert second.metrics.skipped.labels("duplicate")._value.get() == 1
    assert second.metrics.restored._value.get() == 1
    assert outbox_ids(second.store) == [fired[0].id]
    assert second.store.checkpoint(0) == 2  # its own write is applied already
    # the partition comes back: the first owner reads only what the second wrote, and fires nothing again
    first.assigned([(TOPICS.stances, 0)])
    consumer.commits[0] = 2
    assert first.handle(batch2 + records([obs("support", source="c.x", hours=2)], 2)) == []
    assert first.store.states(["RU:sanctions"])["RU:sanctions"].current == "support"
    assert first.metrics.restored._value.get() == 1 and outbox_ids(first.store) == []


def test_an_owner_dying_after_the_changelog_write_loses_no_alert(tmp_path: Path) -> None:
    log, consumer = Log(), TwinConsumer()
    first = stage(tmp_path, "a", log, consumer)
    first.assigned([(TOPICS.stances, 0)])
    batch = records([obs("support", source="a.x"), obs("support", source="b.x", hours=1)], 0)

    def die(*args: object, **kw: object) -> int:
        raise RuntimeError("killed between the changelog write and the SQLite transaction")

    first.store.commit_batch = die  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        first.handle(batch)
    assert outbox_ids(first.store) == [] and TOPICS.alert_changelog in log.topics
    fired = [Alert.model_validate_json(v) for _, v in log.topics[TOPICS.alerts][0]]
    second = stage(tmp_path, "b", log, consumer)  # offsets were never committed
    second.assigned([(TOPICS.stances, 0)])
    assert second.handle(batch) == [], "the records are processed already"
    assert outbox_ids(second.store) == [fired[0].id], "but their alert is enqueued again"
    assert second.metrics.requeued._value.get() == 1
    assert second.store.processed([observation_id(o) for o in (obs("support", source="a.x"),)])
