"""The processors stage on Kafka: ``articles`` in, ``stances`` out (``stancewatch classify-stream``).

The shared consume loop (``core.consume.ConsumeLoop``), one consumer-group member:

1. collect up to ``classify_batch_articles`` records, waiting at most ``classify_batch_ms`` in all;
2. decode each as an ``Article``; a record that does not decode is a poison message and goes to the
   dead-letter topic (``processors.dlq``) with the error in its headers;
3. classify the batch's articles, each text cut to ``max_chars`` (``CLASSIFY_MAX_CHARS``; counted, and
   noted on the article's observations as ``text_cut_at``), in chunks of a bounded amount of text; if a
   chunk fails, each of its articles alone, and an article that still fails goes to the dead-letter
   topic. Past the batch's time budget (``CLASSIFY_BATCH_MAX_S``) or on a stop request (SIGTERM), no
   further chunk is started: the articles left are neither published nor committed, and the consumer
   is rewound so that they are polled again (or read by the next owner);
4. publish a ``StanceObservation`` per (article, country, topic) to ``stances`` keyed ``COUNTRY:topic``
   and wait for every acknowledgement (retrying with backoff under ``RetryPolicy``);
5. only then commit the offsets of what was done.

So a crash or a rebalance between 4 and 5 redelivers the batch (at-least-once, never a gap), and no
batch holds the consumer past kafka's max poll interval.

With a ``watch`` (``core.outage.BrokerWatch``, as ``classify-stream`` runs it) every broker interaction
rides out an outage of any length: the stage waits with backoff and carries on with the batch in hand
when the broker is back; a stop requested meanwhile leaves the batch uncommitted for the next owner.
Without one (``replay``, tests), publishing is retried under ``retry`` and then raises ``PublishError``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from core.consume import Batch, ConsumeLoop, Output
from core.kafka import Record
from core.messages import Article, StanceObservation, decode, source_of
from core.outage import BrokerWatch
from core.retry import RetryPolicy
from processors.metrics import ProcessorMetrics
from processors.pipeline import ArticleStances, Classifier, Document
from processors.text import cut_text

log = logging.getLogger(__name__)


class ConsumerLike(Protocol):
    group_id: str

    def poll_batch(self, max_records: int, timeout_ms: int) -> list[Record]: ...
    def commit(self, records: Sequence[Record]) -> None: ...
    def rewind(self, records: Sequence[Record]) -> None: ...
    def lag(self) -> dict[tuple[str, int], int]: ...


class PublisherLike(Protocol):
    def publish_all(self, topic: str, messages: Sequence[StanceObservation]) -> None: ...


class DeadLettersLike(Protocol):
    def send(self, record: Record, error: str) -> None: ...


def observations(
    article: Article, result: ArticleStances, model_version: str, text_cut_at: int | None = None
) -> list[StanceObservation]:
    return [
        StanceObservation(
            article_id=article.id,
            url=article.url,
            title=article.title,
            published=article.published,
            country=s.country,
            topic=s.topic,
            stance=s.stance,  # type: ignore[arg-type]
            confidence=s.confidence,
            evidence=s.sentence,
            model_version=model_version,
            source=source_of(article.url),
            text_cut_at=text_cut_at,
        )
        for s in result.stances
    ]


@dataclass(frozen=True)
class Job:
    """One article of a batch, as the classifier will read it."""

    record: Record
    article: Article
    document: Document
    cut_at: int | None


def chunks(jobs: Sequence[Job], max_chars: int) -> list[list[Job]]:
    """Consecutive jobs grouped so that a chunk's text stays within ``max_chars`` (one job at least):
    the unit of classification between two checks of the batch's time budget and of a stop request."""
    out: list[list[Job]] = []
    size = 0
    for job in jobs:
        n = len(job.document.text)
        if out and size + n <= max_chars:
            out[-1].append(job)
            size += n
        else:
            out.append([job])
            size = n
    return out


@dataclass
class BatchOutcome:
    records: int = 0
    articles: int = 0
    dead_lettered: int = 0
    published: int = 0
    left: int = 0  # articles not classified (time budget or stop): not committed, polled again


@dataclass
class Classified:
    """A batch after the loop published and committed it: what the stage counts and logs."""

    outcome: BatchOutcome
    classified: list[tuple[Job, ArticleStances]]
    messages: list[StanceObservation]


class StanceStream:
    """The processors stage on the shared consume loop (``core.consume``): decode an article, classify,
    publish its stances, commit."""

    def __init__(
        self,
        classifier: Classifier,
        consumer: ConsumerLike,
        publisher: PublisherLike,
        dead_letters: DeadLettersLike,
        stances_topic: str,
        metrics: ProcessorMetrics,
        batch_articles: int,
        batch_ms: int,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        watch: BrokerWatch | None = None,
        max_chars: int = 20_000,
        batch_max_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.classifier = classifier
        self.consumer = consumer
        self.dead_letters = dead_letters
        self.stances_topic = stances_topic
        self.metrics = metrics
        self.batch_articles = batch_articles
        self.batch_ms = batch_ms
        self.watch = watch
        self.max_chars = max_chars
        # A chunk holds a few articles' worth of text: large enough to keep the model's batches full,
        # small enough that the budget and a stop request are checked every few seconds.
        self.chunk_chars = 4 * max_chars
        self.batch_max_s = batch_max_s
        self.clock = clock
        self.loop: ConsumeLoop[Article, Classified] = ConsumeLoop(
            stage="processors",
            consumer=consumer,
            decode=lambda record: decode(Article, record.value),
            handle=self._handle,
            publisher=publisher,
            dead_letters=dead_letters,
            on_bad=lambda _record, _error: self.metrics.dead_letters.labels("decode").inc(),
            watch=watch,
            retry=retry or RetryPolicy(attempts=6, base=0.5, cap=30.0),
            sleep=sleep,
            max_records=batch_articles,
            fill_ms=batch_ms,
            lag=lambda: self.metrics.lag.update(self.consumer.group_id, self.consumer.lag()),
            on_batch=self._done,
            on_publish_failure=self.metrics.publish_failures.inc,
            on_commit_failure=self.metrics.commit_failures.inc,
        )

    # The publisher and the retry policy live in the loop; tests swap them on the stream.
    @property
    def publisher(self) -> PublisherLike:
        assert self.loop.publisher is not None
        return self.loop.publisher

    @publisher.setter
    def publisher(self, value: PublisherLike) -> None:
        self.loop.publisher = value

    @property
    def retry(self) -> RetryPolicy:
        assert self.loop.retry is not None
        return self.loop.retry

    @retry.setter
    def retry(self, value: RetryPolicy) -> None:
        self.loop.retry = value

    @property
    def _stop(self) -> threading.Event:
        return self.loop._stop

    def collect(self, stop: threading.Event) -> list[Record]:
        """Up to ``batch_articles`` records, waiting at most ``batch_ms`` in all (less when it is full)."""
        return self.loop.collect(stop)

    def _jobs(self, articles: Sequence[tuple[Record, Article]]) -> list[Job]:
        jobs = []
        for record, article in articles:
            text, cut_at = cut_text(article.text or article.title, self.max_chars)
            if cut_at is not None:
                self.metrics.text_cut.inc()
                log.info(
                    "article %s: text of %d characters cut to %d (CLASSIFY_MAX_CHARS)",
                    article.id, len(article.text or article.title), cut_at,
                )  # fmt: skip
            jobs.append(Job(record, article, Document(article.id, text, article.title), cut_at))
        return jobs

    def _classify(self, jobs: list[Job]) -> tuple[list[tuple[Job, ArticleStances]], list[Job]]:
        """(classified jobs, jobs left): chunk after chunk until the time budget or a stop request."""
        deadline = self.clock() + self.batch_max_s
        done: list[tuple[Job, ArticleStances]] = []
        parts = chunks(jobs, self.chunk_chars)
        for i, part in enumerate(parts):
            reason = "stop" if self._stop.is_set() else "time" if self.clock() >= deadline else ""
            if i and reason:  # the first chunk always runs, so every batch makes progress
                left = [job for rest in parts[i:] for job in rest]
                self.metrics.batches_cut.labels(reason).inc()
                log.info(
                    "batch cut short (%s): %d article(s) classified, %d left for the next poll",
                    "stop requested" if reason == "stop" else f"over {self.batch_max_s:.0f} s",
                    len(done), len(left),
                )  # fmt: skip
                return done, left
            done += self._classify_chunk(part)
        return done, []

    def _classify_chunk(self, jobs: list[Job]) -> list[tuple[Job, ArticleStances]]:
        try:
            results = self.classifier.classify([j.document for j in jobs])
            return list(zip(jobs, results, strict=True))
        except Exception as exc:  # a model failure: find the article that causes it, keep the others
            log.warning("chunk of %d failed to classify (%s); retrying one by one", len(jobs), exc)
        out = []
        for job in jobs:
            try:
                out.append((job, self.classifier.classify_one(job.document)))
            except Exception as exc:
                self.metrics.dead_letters.labels("classify").inc()
                error = f"classify failed: {type(exc).__name__}: {exc}"
                self.loop.broker(lambda: self.dead_letters.send(job.record, error))  # noqa: B023
        return out

    def _handle(self, batch: Batch[Article]) -> Output[Classified]:
        """Classify the decoded articles; the stances to publish and the records finished."""
        records = batch.records
        outcome = BatchOutcome(records=len(records), dead_lettered=batch.bad)
        articles = batch.items
        started = time.perf_counter()
        classified, left = self._classify(self._jobs(articles)) if articles else ([], [])
        outcome.dead_lettered += len(articles) - len(classified) - len(left)
        messages: list[StanceObservation] = []
        for job, result in classified:
            messages.extend(observations(job.article, result, self.classifier.version, job.cut_at))
            self.metrics.sentences.inc(result.sentences)
        if articles:
            self.metrics.batch_seconds.observe(time.perf_counter() - started)
            self.metrics.batch_articles.observe(len(articles))
            self.metrics.batch_queries.observe(sum(res.queries for _, res in classified))
        done: tuple[Record, ...] | None = None
        cut: list[Record] = []
        if left:
            # Commit only below each partition's first article left; rewind so the rest comes again.
            first_left: dict[tuple[str, int], int] = {}
            for job in left:
                key = (job.record.topic, job.record.partition)
                first_left[key] = min(first_left.get(key, job.record.offset), job.record.offset)
            beyond = [r.offset >= first_left.get((r.topic, r.partition), r.offset + 1) for r in records]
            done = tuple(r for r, c in zip(records, beyond, strict=True) if not c)
            cut = [r for r, c in zip(records, beyond, strict=True) if c]
            outcome.left = len(left)
        outcome.articles, outcome.published = len(classified), len(messages)
        return Output(
            result=Classified(outcome, classified, messages),
            publish=((self.stances_topic, messages),),
            done=done,
            settle=(lambda: self.consumer.rewind(cut)) if cut else None,
        )

    def _count(self, result: Classified) -> None:
        self.metrics.articles.inc(len(result.classified))
        for m in result.messages:
            self.metrics.observations.labels(m.country, m.topic, m.stance).inc()

    def _done(self, result: Classified) -> None:
        self._count(result)
        outcome = result.outcome
        log.info(
            "batch: %d records, %d articles, %d stances, %d dead-lettered",
            outcome.records,
            outcome.articles,
            outcome.published,
            outcome.dead_lettered,
        )

    def handle(self, records: Sequence[Record]) -> BatchOutcome:
        """Process one batch end to end and commit it.

        Without a watch, raises PublishError when the broker is lost; with one, waits for it, and raises
        StopRequested (nothing committed) when the stage is stopped meanwhile.
        """
        result = self.loop.process(records)
        self._count(result)
        return result.outcome

    def run(self, stop: threading.Event) -> None:
        """Consume until ``stop`` is set. A stop request ends the batch in hand after its current chunk:
        what is done is published and committed, the rest left for the next owner (so is the whole
        batch when the broker is away)."""
        self.loop.run(stop)
