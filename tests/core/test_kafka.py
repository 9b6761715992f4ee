"""Kafka wiring against the real broker: topics, acknowledged publishing, commit-after-side-effect consumers
that resume where they committed, dead letters for poison messages, and PublishError without a broker."""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, NewTopic

from core.kafka import (
    Consumer,
    DeadLetters,
    Publisher,
    PublishError,
    Record,
    Topics,
    bootstrap_of,
    drop_topics_with_prefixes,
    ensure_topics,
)
from core.messages import Article, MessageError, article_id, decode
from core.settings import Settings

WHEN = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def articles(n: int, start: int = 0) -> list[Article]:
    return [
        Article(
            id=article_id(f"https://news.example.test/{i}"),
            feed="example",
            url=f"https://news.example.test/{i}",
            title=f"Item {i}",
            published=WHEN,
            fetched_at=WHEN,
        )
        for i in range(start, start + n)
    ]


def drain(consumer: Consumer, want: int, timeout: float = 30.0, batch: int = 500) -> list[Record]:
    """Poll until ``want`` records arrived (or the timeout passed)."""
    got: list[Record] = []
    deadline = time.monotonic() + timeout
    while len(got) < want and time.monotonic() < deadline:
        got.extend(consumer.poll_batch(max_records=min(batch, want - len(got)), timeout_ms=500))
    return got


def described_when_ready(admin: KafkaAdminClient, names: list[str]) -> dict[str, dict]:  # type: ignore[type-arg]
    """describe_topics once the metadata of every name shows partitions (it lags creation a little)."""
    deadline = time.monotonic() + 30
    while True:
        described = {t["name"]: t for t in admin.describe_topics(names)}
        if all(described.get(n, {}).get("partitions") for n in names) or time.monotonic() > deadline:
            return described
        time.sleep(0.2)


@pytest.fixture
def wired(
    kafka_bootstrap: str, make_settings: Callable[..., Settings]
) -> Iterator[tuple[Settings, Publisher]]:
    settings = make_settings(kafka_bootstrap=kafka_bootstrap, topic_partitions=2)
    ensure_topics(settings)
    publisher = Publisher(settings)
    yield settings, publisher
    publisher.close()


def test_topics_and_bootstrap_names() -> None:
    topics = Topics("dev.")
    assert topics.all() == (
        "dev.articles",
        "dev.stances",
        "dev.alerts",
        "dev.processors.dlq",
        "dev.alerts.dlq",
        "dev.alerts.changelog",
        "dev.deliveries",
        "dev.ingest-health",
    )


def test_bootstrap_of_prefers_the_configured_cluster(make_settings: Callable[..., Settings]) -> None:
    assert bootstrap_of(make_settings(broker_port=12345)) == "127.0.0.1:12345"
    assert bootstrap_of(make_settings(kafka_bootstrap="k1:9092,k2:9092")) == "k1:9092,k2:9092"


@pytest.mark.integration
def test_ensure_topics_creates_all_with_configured_partitions(
    kafka_bootstrap: str, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(kafka_bootstrap=kafka_bootstrap, topic_partitions=3)
    topics = Topics(settings.topic_prefix)
    assert sorted(ensure_topics(settings)) == sorted(topics.all())
    assert ensure_topics(settings) == [], "a second call creates nothing"
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    try:
        described = described_when_ready(admin, list(topics.all()))
        configs = admin.describe_configs([ConfigResource("TOPIC", topics.alert_changelog)])
    finally:
        admin.close()
    for name in topics.all():
        assert len(described[name]["partitions"]) == 3, name
        assert all(p["replica_nodes"] == [1] for p in described[name]["partitions"])
    assert "'cleanup.policy'" in repr(configs) and "'compact'" in repr(configs), configs


@pytest.mark.integration
def test_alert_changelog_takes_the_partition_count_stances_has(
    kafka_bootstrap: str, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(kafka_bootstrap=kafka_bootstrap, topic_partitions=3)
    topics = Topics(settings.topic_prefix)
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    try:
        admin.create_topics([NewTopic(topics.stances, 2, 1)])  # made by hand, not by the setting
        assert topics.alert_changelog in ensure_topics(settings)
        described = described_when_ready(admin, [topics.stances, topics.alert_changelog])
    finally:
        admin.close()
    assert len(described[topics.alert_changelog]["partitions"]) == 2
    assert len(described[topics.stances]["partitions"]) == 2


@pytest.mark.integration
def test_a_consumer_of_topics_created_a_moment_ago_gets_their_partitions_at_once(
    kafka_bootstrap: str, make_settings: Callable[..., Settings], caplog: pytest.LogCaptureFixture
) -> None:
    """No "No partition metadata for topic ..." and no empty first assignment right after creation (a race
    with the broker's metadata: without the wait it showed up in most of a few tries)."""
    caplog.set_level(logging.WARNING, logger="kafka")
    for _ in range(3):
        settings = make_settings(kafka_bootstrap=kafka_bootstrap, topic_partitions=3)
        articles_topic = Topics(settings.topic_prefix).articles
        ensure_topics(settings)
        consumer = Consumer(settings, f"{settings.topic_prefix}g", [articles_topic])
        try:
            deadline = time.monotonic() + 30
            while not consumer.lag() and time.monotonic() < deadline:  # lag() lists the assigned partitions
                consumer.poll_batch(10, 200)
            assigned = set(consumer.lag())
        finally:
            consumer.close()
        assert assigned == {(articles_topic, p) for p in range(3)}
    assert [r.getMessage() for r in caplog.records if "No partition metadata" in r.getMessage()] == []


@pytest.mark.integration
def test_drop_topics_with_prefixes_deletes_only_those(
    kafka_bootstrap: str, make_settings: Callable[..., Settings]
) -> None:
    doomed = make_settings(kafka_bootstrap=kafka_bootstrap)
    kept = make_settings(kafka_bootstrap=kafka_bootstrap)
    ensure_topics(doomed)
    ensure_topics(kept)
    dropped = drop_topics_with_prefixes(doomed, [doomed.topic_prefix, ""])
    assert sorted(dropped) == sorted(Topics(doomed.topic_prefix).all())
    assert drop_topics_with_prefixes(doomed, []) == []
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # deletion completes asynchronously on the broker
            names = set(admin.list_topics())
            if not names & set(dropped):
                break
            time.sleep(0.2)
    finally:
        admin.close()
    assert not names & set(dropped)
    assert set(Topics(kept.topic_prefix).all()) <= names


@pytest.mark.integration
def test_publish_all_then_consume_everything_keyed(wired: tuple[Settings, Publisher]) -> None:
    settings, publisher = wired
    topic = Topics(settings.topic_prefix).articles
    sent = articles(30)
    publisher.publish_all(topic, sent)  # returns only once every message is acknowledged
    consumer = Consumer(settings, "test-read", [topic])
    try:
        got = drain(consumer, 30)
        assert drain(consumer, 1, timeout=1.5) == [], "nothing beyond what was published"
    finally:
        consumer.close()
    assert {a.id: a for a in (decode(Article, r.value) for r in got)} == {a.id: a for a in sent}
    for record in got:
        assert record.key == decode(Article, record.value).id.encode()
    # same key -> same partition: the key decides the partition, deterministically
    by_key = {r.key: r.partition for r in got}
    publisher.publish_all(topic, articles(30))
    consumer = Consumer(settings, "test-read-2", [topic])
    try:
        again = drain(consumer, 60)
    finally:
        consumer.close()
    assert all(by_key[r.key] == r.partition for r in again)


@pytest.mark.integration
def test_commit_after_side_effect_resumes_without_loss(wired: tuple[Settings, Publisher]) -> None:
    settings, publisher = wired
    topic = Topics(settings.topic_prefix).articles
    sent = {a.id for a in articles(40)}
    publisher.publish_all(topic, articles(40))

    processed: list[str] = []
    first = Consumer(settings, "test-group", [topic], max_poll_records=7)
    try:
        batch = drain(first, 7, batch=7)
        processed.extend(decode(Article, r.value).id for r in batch)  # the side effect ...
        first.commit(batch)  # ... then the commit
        # polled but never committed: a crash here must not lose these
        uncommitted = drain(first, 5, batch=5)
        assert uncommitted
    finally:
        first.close()

    second = Consumer(settings, "test-group", [topic])
    try:
        rest = drain(second, 40 - len(processed))
        assert drain(second, 1, timeout=1.5) == []
        second.commit(rest)
        processed.extend(decode(Article, r.value).id for r in rest)
    finally:
        second.close()
    assert set(processed) == sent, "every message processed after the restart"
    assert len(processed) == 40, "committed messages are not delivered again"
    assert {decode(Article, r.value).id for r in uncommitted} <= {decode(Article, r.value).id for r in rest}

    third = Consumer(settings, "test-group", [topic])
    try:
        assert drain(third, 1, timeout=3) == [], "everything was committed"
    finally:
        third.close()


@pytest.mark.integration
def test_lag_counts_unconsumed_records(wired: tuple[Settings, Publisher]) -> None:
    settings, publisher = wired
    topic = Topics(settings.topic_prefix).articles
    publisher.publish_all(topic, articles(10))
    consumer = Consumer(settings, "test-lag", [topic])
    try:
        got = drain(consumer, 4, batch=4)
        assert len(got) == 4
        assert sum(consumer.lag().values()) == 6
    finally:
        consumer.close()


@pytest.mark.integration
def test_poison_messages_go_to_the_dead_letter_topic_and_the_consumer_goes_on(
    wired: tuple[Settings, Publisher],
) -> None:
    settings, publisher = wired
    topics = Topics(settings.topic_prefix)
    good = articles(3)
    future = good[0].model_dump(mode="json") | {"schema_version": 99}

    publisher.send_raw(
        topics.articles,
        [
            (good[0].key().encode(), good[0].encode()),
            (b"poison-1", b"\xff not json at all"),
            (b"poison-2", json.dumps(future).encode()),
            (b"poison-3", None),
            (good[1].key().encode(), good[1].encode()),
            (good[2].key().encode(), good[2].encode()),
        ],
        headers=[("trace", b"t-1")],
    )
    consumer = Consumer(settings, "test-dlq", [topics.articles])
    dead = DeadLetters(publisher, topics, "processors")
    handled: list[Article] = []
    try:
        records = drain(consumer, 6)
        for record in records:
            try:
                handled.append(decode(Article, record.value))
            except MessageError as exc:
                dead.send(record, str(exc))
        consumer.commit(records)
    finally:
        consumer.close()
    assert sorted(a.id for a in handled) == sorted(a.id for a in good)

    reader = Consumer(settings, "test-dlq-reader", [topics.dlq("processors")])
    try:
        dlq = drain(reader, 3)
        assert drain(reader, 1, timeout=1.5) == []
    finally:
        reader.close()
    assert sorted(r.key for r in dlq if r.key) == [b"poison-1", b"poison-2", b"poison-3"]
    for record in dlq:
        headers = dict(record.headers)
        assert headers["trace"] == b"t-1", "original headers are kept"
        assert headers["x-stage"] == b"processors"
        assert headers["x-origin-topic"] == topics.articles.encode()
        assert headers["x-origin-partition"].isdigit() and headers["x-origin-offset"].isdigit()
    errors = {r.key: dict(r.headers)["x-error"].decode() for r in dlq}
    assert "not UTF-8 JSON" in errors[b"poison-1"]
    assert "unknown schema_version 99" in errors[b"poison-2"]
    assert "empty message value" in errors[b"poison-3"]
    values = {r.key: r.value for r in dlq}
    assert values[b"poison-1"] == b"\xff not json at all", "the record is dead-lettered unchanged"


def test_publisher_without_broker_raises_publish_error(make_settings: Callable[..., Settings]) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    settings = make_settings(kafka_bootstrap=f"127.0.0.1:{closed}", kafka_request_timeout_ms=1_500)
    started = time.monotonic()
    with pytest.raises(PublishError, match=f"127.0.0.1:{closed}"):
        Publisher(settings)
    assert time.monotonic() - started < 15, "the configured timeout bounds the wait"


def test_publish_each_answers_per_message_and_fails_fast_when_the_broker_goes_away(
    own_broker: tuple[Settings, object],
) -> None:
    import time

    base, broker = own_broker
    settings = base.model_copy(update={"kafka_request_timeout_ms": 2000})
    ensure_topics(settings)
    topic = Topics(settings.topic_prefix).articles
    huge = articles(1, start=100)[0].model_copy(update={"content": "x" * (2 * 1024 * 1024)})
    publisher = Publisher(settings)
    try:
        out = publisher.publish_each(topic, [*articles(2), huge, *articles(2, start=2)], timeout=10)
        assert [(d.ok, d.too_large) for d in out] == [(True, False)] * 2 + [(False, True)] + [
            (True, False)
        ] * 2
        assert "refused: too large" in out[2].error
        broker.stop()  # type: ignore[attr-defined]
        began = time.monotonic()
        # To a topic this producer has no metadata for yet, send() waits max_block_ms (2 s) for it:
        # once, not once per message (8 x 2 s).
        out = publisher.publish_each(Topics(settings.topic_prefix).alerts, articles(8, start=10), timeout=2)
        assert not any(d.ok or d.too_large for d in out) and time.monotonic() - began < 8
        broker.start()  # type: ignore[attr-defined]
        out = publisher.publish_each(topic, articles(2, start=20), timeout=30)
        assert all(d.ok for d in out)
    finally:
        publisher.close()
