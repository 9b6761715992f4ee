"""classify-stream's bounds (fake model, in-memory Kafka twins): an article's text is cut to
``CLASSIFY_MAX_CHARS`` (counted, noted on its observations), a batch stops classifying past its time
budget and a stop request ends it after the chunk in hand; what is done is published and committed,
the rest is left uncommitted and polled again."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence

from core.kafka import Record
from core.metrics import new_registry
from processors.batch import BatchCounts, classify_lines
from processors.head import StanceQuery, StanceScores
from processors.lexicon import load_lexicon
from processors.metrics import ProcessorMetrics
from processors.pipeline import Classifier
from processors.service import StanceStream
from tests.processors.fakes import FakeModel, ListConsumer, ListDeadLetters, ListPublisher
from tests.processors.test_stream import article_record

FILLER = "Weather was mild across the region on Tuesday and markets were calm. "


class ClockedModel(FakeModel):
    """The fake model, taking ``cost`` seconds of a fake clock per call; ``on_call`` runs at each call."""

    def __init__(self, clock: list[float], cost: float, on_call=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__()
        self.clock, self.cost, self.on_call = clock, cost, on_call

    def predict(self, queries: Sequence[StanceQuery], batch_size: int = 32) -> list[StanceScores]:
        self.clock[0] += self.cost
        if self.on_call is not None:
            self.on_call()
        return super().predict(queries, batch_size)


def make(records: list[Record], model: FakeModel, clock: list[float], max_chars: int = 2_000):  # type: ignore[no-untyped-def]
    registry = new_registry()
    consumer, publisher = ListConsumer(records), ListPublisher()
    stream = StanceStream(
        classifier=Classifier(model, load_lexicon()),
        consumer=consumer,
        publisher=publisher,
        dead_letters=ListDeadLetters(),
        stances_topic="stances",
        metrics=ProcessorMetrics(registry, "fake-1", "test-group"),
        batch_articles=10,
        batch_ms=50,
        max_chars=max_chars,
        batch_max_s=10.0,
        clock=lambda: clock[0],
    )
    return stream, consumer, publisher, registry


def test_a_huge_article_is_cut_counted_and_the_cut_is_noted_on_its_observations() -> None:
    huge = "Tokyo supports the THAAD deployment. " + FILLER * 80_000 + "Seoul opposes THAAD."  # ~5.6 MB
    records = [article_record(0, huge), article_record(1, "Beijing strongly opposes new sanctions.")]
    model = FakeModel()
    stream, consumer, publisher, registry = make(records, model, [0.0])
    outcome = stream.handle(stream.collect(threading.Event()))
    assert outcome.articles == 2 and [r.offset for r in consumer.committed] == [0, 1]
    by_article = {m.article_id: m for _, m in publisher.sent}  # type: ignore[attr-defined]
    cut_at = by_article["id0"].text_cut_at
    assert by_article["id0"].key() == "JP:thaad" and cut_at is not None and 1_800 <= cut_at <= 2_000
    assert by_article["id1"].text_cut_at is None and "text_cut_at" not in by_article["id1"].model_dump_json()
    read = sum(len(q.sentence) + len(q.context) for call in model.calls for q in call)
    assert read < 10_000  # the text past the cut was never read (Seoul's sentence is not in it)
    assert not any("Seoul" in q.sentence for call in model.calls for q in call)
    assert registry.get_sample_value("stancewatch_classifier_text_cut_total") == 1


def test_a_batch_stops_classifying_past_its_time_budget_and_leaves_the_rest() -> None:
    clock = [0.0]
    long = FILLER * 25  # ~1,750 chars: with a 2,000-char cut, chunks of about four such articles
    records = [article_record(i, f"Tokyo supports the THAAD deployment. {long}") for i in range(10)]
    stream, consumer, publisher, registry = make(records, ClockedModel(clock, cost=6.0), clock)
    first = stream.handle(stream.collect(threading.Event()))
    # 10 s budget, 6 s per chunk: the first two chunks run, the rest is left for the next poll
    assert 0 < first.articles < 10 and first.left == 10 - first.articles
    done = [r.offset for r in consumer.committed]
    assert done == list(range(first.articles)) and len(publisher.sent) == first.articles
    again = stream.collect(threading.Event())  # the rest comes again, in order
    assert [r.offset for r in again] == list(range(first.articles, 10))
    stream.handle(again)
    stream.handle(stream.collect(threading.Event())) if consumer.records else None
    assert sorted(m.article_id for _, m in publisher.sent) == sorted(f"id{i}" for i in range(10))  # type: ignore[attr-defined]
    assert [r.offset for r in consumer.committed] == list(range(10))
    assert registry.get_sample_value("stancewatch_classifier_batches_cut_total", {"reason": "time"}) >= 1


def test_a_stop_request_ends_the_batch_after_the_chunk_in_hand() -> None:
    clock = [0.0]
    stop = threading.Event()
    long = FILLER * 25
    records = [article_record(i, f"Tokyo supports the THAAD deployment. {long}") for i in range(10)]
    stream, consumer, publisher, registry = make(
        records, ClockedModel(clock, cost=0.1, on_call=stop.set), clock
    )
    worker = threading.Thread(target=stream.run, args=(stop,))
    worker.start()  # SIGTERM arrives while the first chunk is being classified
    worker.join(10)
    assert not worker.is_alive()
    done = [r.offset for r in consumer.committed]
    assert 0 < len(done) < 10 and done == list(range(len(done)))  # what was done is committed
    assert len(publisher.sent) == len(done)
    assert registry.get_sample_value("stancewatch_classifier_batches_cut_total", {"reason": "stop"}) == 1


def test_offline_classify_cuts_a_huge_text_too_and_says_so() -> None:
    huge = "Tokyo supports the THAAD deployment. " + FILLER * 20_000 + "Seoul opposes THAAD."
    lines = [
        json.dumps({"id": "big", "text": huge}),
        json.dumps({"id": "small", "text": "Beijing opposes THAAD."}),
    ]
    counts = BatchCounts()
    rows = [
        json.loads(r)
        for r in classify_lines(lines, Classifier(FakeModel(), load_lexicon()), 8, counts, 2_000)
    ]
    assert [r["id"] for r in rows] == ["big", "small"] and counts.cut == 1
    assert 1_800 <= rows[0]["text_cut_at"] <= 2_000 and "text_cut_at" not in rows[1]
    assert [s["country"] for s in rows[0]["stances"]] == ["JP"]  # Seoul's sentence was past the cut
