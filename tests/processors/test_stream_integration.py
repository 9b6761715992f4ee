"""classify-stream against a real broker: stances out keyed COUNTRY:topic, poison to the DLQ, offsets
committed only after the stances were acknowledged (a consumer that dies before that leaves no gap)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime

import httpx
import pytest

from core.kafka import Consumer, Publisher, PublishError, Topics, ensure_topics
from core.messages import Article, StanceObservation, decode
from core.metrics import new_registry
from processors.lexicon import load_lexicon
from processors.pipeline import Classifier
from processors.runtime import build_stream, run_stream
from tests.processors.fakes import FakeModel

pytestmark = pytest.mark.integration


def article(n: int, text: str) -> Article:
    when = datetime(2026, 11, 1, tzinfo=UTC)
    return Article(
        id=f"a{n}", feed="f", url=f"https://site{n}.example/x", content=text, published=when, fetched_at=when
    )


def drain(settings, bootstrap: str, topic: str, want: int, timeout: float = 60.0) -> list:  # type: ignore[no-untyped-def]
    reader = Consumer(settings, f"reader-{topic}-{time.monotonic_ns()}", [topic], bootstrap)
    got: list = []  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    try:
        while len(got) < want and time.monotonic() < deadline:
            got.extend(reader.poll_batch(100, 500))
        # anything beyond ``want`` would be a duplicate or a stray: give it a moment to show up
        got.extend(reader.poll_batch(100, 1000))
    finally:
        reader.close()
    return got


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_articles_in_stances_out_poison_to_dlq_and_metrics(kafka_bootstrap: str, make_settings) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    settings = make_settings(kafka_bootstrap=kafka_bootstrap, metrics_port=port, classify_batch_ms=200)
    topics = Topics(settings.topic_prefix)
    ensure_topics(settings, kafka_bootstrap)
    producer = Publisher(settings, kafka_bootstrap)
    producer.publish_all(topics.articles, [article(1, "Tokyo supports the THAAD deployment.")])
    producer.send_raw(topics.articles, [(b"bad", b"{not json")])
    producer.publish_all(topics.articles, [article(2, "Beijing strongly opposes new sanctions.")])
    stop = threading.Event()
    registry = new_registry()
    classifier = Classifier(FakeModel(), load_lexicon())
    codes: list[int] = []
    worker = threading.Thread(target=lambda: codes.append(run_stream(settings, classifier, stop, registry)))
    worker.start()
    try:
        stances = drain(settings, kafka_bootstrap, topics.stances, want=2)
        dead = drain(settings, kafka_bootstrap, topics.dlq("processors"), want=1)
        body = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    finally:
        stop.set()
        worker.join(30)
        producer.close()
    assert codes == [0]
    observed = {(r.key, decode(StanceObservation, r.value).stance) for r in stances}
    assert observed == {(b"JP:thaad", "support"), (b"CN:sanctions", "oppose")}
    assert len(stances) == 2
    assert [r.value for r in dead] == [b"{not json"]
    assert dict(dead[0].headers)["x-stage"] == b"processors"
    for name in (
        "stancewatch_classifier_batch_seconds_bucket",
        "stancewatch_classifier_batch_articles_bucket",
        'stancewatch_classifier_observations_total{country="JP",stance="support",topic="thaad"} 1.0',
        'stancewatch_classifier_dead_letters_total{reason="decode"} 1.0',
        "stancewatch_classifier_articles_total 2.0",
        "stancewatch_consumer_lag_records",
        'stancewatch_model_info{version="fake-1"} 1.0',
    ):
        assert name in body, name


class FailingPublisher:
    """A real publisher whose stance publishes are never acknowledged (the broker 'went away')."""

    def __init__(self, real: Publisher) -> None:
        self.real = real

    def publish_all(self, topic: str, messages: Sequence[StanceObservation]) -> None:
        raise PublishError("simulated: not acknowledged")


def test_offsets_are_committed_only_after_the_stances_are_acknowledged(
    kafka_bootstrap: str, make_settings
) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(kafka_bootstrap=kafka_bootstrap, classify_batch_ms=300)
    topics = Topics(settings.topic_prefix)
    ensure_topics(settings, kafka_bootstrap)
    producer = Publisher(settings, kafka_bootstrap)
    producer.publish_all(
        topics.articles,
        [article(n, f"Seoul opposes THAAD number {n}.") for n in range(3)],
    )
    classifier = Classifier(FakeModel(), load_lexicon())

    # First member: its stances are never acknowledged, so it must stop without committing.
    stream, consumer, publisher = build_stream(settings, classifier, kafka_bootstrap, new_registry())
    stream.publisher = FailingPublisher(publisher)
    stream.retry = type(stream.retry)(attempts=2, base=0.01)
    with pytest.raises(PublishError):
        stream.run(threading.Event())
    consumer.close()
    publisher.close()

    # Restart: the same group resumes from the last commit, so nothing is skipped.
    stream, consumer, publisher = build_stream(settings, classifier, kafka_bootstrap, new_registry())
    stop = threading.Event()
    worker = threading.Thread(target=stream.run, args=(stop,))
    worker.start()
    try:
        stances = drain(settings, kafka_bootstrap, topics.stances, want=3)
    finally:
        stop.set()
        worker.join(30)
        consumer.close()
        publisher.close()
    assert sorted(decode(StanceObservation, r.value).article_id for r in stances) == ["a0", "a1", "a2"]

    # A third member of the group starts after the committed offsets: it sees only a new article.
    producer.publish_all(topics.articles, [article(3, "Seoul opposes THAAD again.")])
    stream, consumer, publisher = build_stream(settings, classifier, kafka_bootstrap, new_registry())
    try:
        seen = []
        deadline = time.monotonic() + 60
        while not seen and time.monotonic() < deadline:
            seen = stream.collect(threading.Event())
        assert [decode(Article, r.value).id for r in seen] == ["a3"]
    finally:
        consumer.close()
        publisher.close()
        producer.close()
