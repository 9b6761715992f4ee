import threading
from datetime import UTC, datetime

import pytest

from core.kafka import PublishError, Record
from core.messages import Article, StanceObservation
from core.metrics import new_registry
from core.retry import RetryPolicy
from processors.lexicon import load_lexicon
from processors.metrics import ProcessorMetrics
from processors.pipeline import Classifier
from processors.service import StanceStream
from tests.processors.fakes import FakeModel, ListConsumer, ListDeadLetters, ListPublisher


def article_record(offset: int, text: str, url: str = "https://www.news.example/a") -> Record:
    when = datetime(2026, 11, 1, tzinfo=UTC)
    art = Article(
        id=f"id{offset}", feed="f", url=url, title="T", content=text, published=when, fetched_at=when
    )
    return Record("articles", 0, offset, art.key().encode(), art.encode(), (), 0)


def make_stream(
    records: list[Record], model: FakeModel | None = None, publisher: ListPublisher | None = None
):  # type: ignore[no-untyped-def]
    registry = new_registry()
    consumer, dlq = ListConsumer(records), ListDeadLetters()
    publisher = publisher or ListPublisher()
    stream = StanceStream(
        classifier=Classifier(model or FakeModel(), load_lexicon()),
        consumer=consumer,
        publisher=publisher,
        dead_letters=dlq,
        stances_topic="stances",
        metrics=ProcessorMetrics(registry, "fake-1", "test-group"),
        batch_articles=10,
        batch_ms=50,
        retry=RetryPolicy(attempts=3, base=0.0),
        sleep=lambda _s: None,
    )
    return stream, consumer, publisher, dlq, registry


def test_batch_publishes_observations_then_commits() -> None:
    records = [article_record(0, "Tokyo supports the THAAD deployment."), article_record(1, "Nothing here.")]
    stream, consumer, publisher, _, registry = make_stream(records)
    outcome = stream.handle(stream.collect(threading.Event()))
    assert (outcome.records, outcome.articles, outcome.published) == (2, 2, 1)
    ((topic, obs),) = publisher.sent
    assert topic == "stances" and isinstance(obs, StanceObservation)
    assert obs.key() == "JP:thaad" and obs.stance == "support" and obs.source == "news.example"
    assert obs.model_version == "fake-1" and obs.article_id == "id0"
    assert [r.offset for r in consumer.committed] == [0, 1]
    assert (
        registry.get_sample_value(
            "stancewatch_classifier_observations_total",
            {"country": "JP", "topic": "thaad", "stance": "support"},
        )
        == 1
    )


def test_poison_and_failing_articles_go_to_dead_letters_and_the_rest_continue() -> None:
    poison = Record("articles", 0, 5, b"k", b"\xff not json", (), 0)
    records = [
        poison,
        article_record(6, "KABOOM Tokyo supports THAAD."),
        article_record(7, "Seoul opposes THAAD."),
    ]
    stream, consumer, publisher, dlq, registry = make_stream(records, model=FakeModel(fail_on="KABOOM"))
    outcome = stream.handle(records)
    assert outcome.dead_lettered == 2
    assert [(r.offset, e.split(":")[0]) for r, e in dlq.sent] == [
        (5, "not UTF-8 JSON"),
        (6, "classify failed"),
    ]
    assert [m.key() for _, m in publisher.sent] == ["KR:thaad"]
    assert [r.offset for r in consumer.committed] == [5, 6, 7]
    assert registry.get_sample_value("stancewatch_classifier_dead_letters_total", {"reason": "decode"}) == 1


def test_publish_is_retried_and_nothing_is_committed_when_it_keeps_failing() -> None:
    records = [article_record(0, "Tokyo supports the THAAD deployment.")]
    stream, consumer, publisher, _, _ = make_stream(records, publisher=ListPublisher(failures=1))
    stream.handle(records)
    assert len(publisher.sent) == 1 and len(consumer.committed) == 1
    stream, consumer, publisher, _, _ = make_stream(records, publisher=ListPublisher(failures=99))
    with pytest.raises(PublishError):
        stream.handle(records)
    assert consumer.committed == []


def test_a_failed_commit_is_counted_and_the_stage_keeps_going() -> None:
    records = [article_record(0, "Tokyo supports the THAAD deployment.")]
    stream, consumer, publisher, _, registry = make_stream(records)

    def lost(_records: object) -> None:
        raise RuntimeError("CommitFailedError: group rebalanced")

    consumer.commit = lost  # type: ignore[method-assign]
    outcome = stream.handle(records)
    assert outcome.published == 1 and len(publisher.sent) == 1
    assert registry.get_sample_value("stancewatch_classifier_commit_failures_total") == 1
