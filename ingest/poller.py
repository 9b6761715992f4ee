"""Poll one feed: fetch -> parse -> dedup -> trim -> publish -> write state (after the broker answered).

``Poller.poll(feed)`` never raises: every outcome (new articles, 304, errors, broker down) is returned as
a ``PollOutcome`` with the delay until the next poll, counted in metrics and logged once. Each article
has its own outcome: an acknowledged one is remembered as seen; one the broker refuses for its size is
recorded as a dead letter (and seen, so it is not sent again); one not acknowledged (broker down) is
not remembered, and neither is the new ETag/Last-Modified, so it is fetched and published on a later
poll: nothing is lost and nothing acknowledged goes out twice. An article over ``ARTICLE_MAX_BYTES`` is
trimmed before publishing (``ingest.trim``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Protocol

from core.kafka import Delivery
from core.messages import Article, article_id
from core.retry import parse_retry_after
from core.settings import Settings
from ingest.dedup import Keys, keys_for, select_new
from ingest.feeds import Feed
from ingest.fetch import Fetcher, FetchResult
from ingest.metrics import IngestMetrics
from ingest.parse import Entry, ParsedFeed, parse_feed
from ingest.politeness import HostGate
from ingest.schedule import Bounds, cache_lifetime, error_delay, success_delay
from ingest.state import DeadLetter, FeedState, State
from ingest.trim import Fitted, fit
from ingest.urls import clean_url, host_of

log = logging.getLogger(__name__)


class ArticlePublisher(Protocol):
    """What the poller needs from the publisher: send all, and answer for each message, in order."""

    def publish_each(self, topic: str, messages: Sequence[Article]) -> Sequence[Delivery]: ...


@dataclass(frozen=True)
class PollOutcome:
    """The result of one poll of one feed."""

    feed: str
    result: str  # the fetch kind, or "not_a_feed" / "publish_error" / "skipped_gone" / "internal_error"
    entries: int = 0
    published: int = 0
    duplicates: int = 0
    bozo: bool = False
    error: str = ""
    next_delay: float | None = None  # None: stop polling (gone)
    moved_to: str | None = None  # a newly recorded permanent redirect target
    trimmed: int = 0  # articles cut to ARTICLE_MAX_BYTES and delivered (published or dead-lettered)
    refused: int = 0  # articles the broker refused as too large: recorded as dead letters

    @property
    def ok(self) -> bool:
        return self.result in ("ok", "not_modified")


@dataclass
class Settled:
    """The articles of one poll the broker answered for (``unsent``: those it did not)."""

    seen: list[str] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)
    unsent: list[Delivery] = field(default_factory=list)
    published: int = 0
    trimmed: int = 0


def build_article(
    feed: Feed, entry: Entry, keys: Keys, fetched_at: datetime, fallback_language: str
) -> Article:
    """The Article for a new entry; ``published`` falls back to the fetch time."""
    return Article(
        id=article_id(keys.canonical),
        feed=feed.name,
        url=clean_url(entry.link),
        title=entry.title,
        summary=entry.summary,
        content=entry.content,
        published=entry.published or fetched_at,
        fetched_at=fetched_at,
        language=entry.language or fallback_language,
        guid=entry.guid,
        tags=feed.tags,
    )


class Poller:
    """Polls feeds; thread-safe (state, gate and fetcher are), so many feeds can poll at once."""

    def __init__(
        self,
        settings: Settings,
        state: State,
        fetcher: Fetcher,
        publisher: ArticlePublisher,
        topic: str,
        metrics: IngestMetrics,
        gate: HostGate | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.state = state
        self.fetcher = fetcher
        self.publisher = publisher
        self.topic = topic
        self.metrics = metrics
        self.gate = gate or HostGate(settings.host_min_gap, settings.host_concurrency)
        self.clock = clock
        self.bounds = Bounds(
            settings.poll_interval, settings.poll_min_interval, settings.poll_max_interval,
            settings.poll_error_backoff,
        )  # fmt: skip

    def poll(self, feed: Feed) -> PollOutcome:
        """Poll ``feed`` once; never raises."""
        try:
            return self._poll(feed)
        except Exception as exc:  # a bug must not stop the other feeds; it is logged with its trace
            log.exception("feed %s: unexpected error while polling", feed.name)
            return PollOutcome(feed.name, "internal_error", error=f"{type(exc).__name__}: {exc}",
                               next_delay=error_delay(self.bounds, feed.interval, 1, None))  # fmt: skip

    def _poll(self, feed: Feed) -> PollOutcome:
        fs = self.state.feed(feed.name, feed.url)
        if fs.gone:
            self.metrics.gone.labels(feed.name).set(1)
            return PollOutcome(feed.name, "skipped_gone", error="feed answered 410 Gone earlier")
        with self.gate.slot(host_of(fs.url)):
            res = self.fetcher.fetch(fs.url, fs.etag, fs.last_modified)
        self.metrics.fetches.labels(res.kind).inc()
        self.metrics.fetch_seconds.observe(res.elapsed)
        now = self.clock()
        if res.kind == "gone":
            log.warning(
                "feed %s: %s answered 410 Gone; polling stopped (remove or fix it)", feed.name, res.url
            )
            self.metrics.gone.labels(feed.name).set(1)
            self.state.commit_poll(replace(fs, gone=True, next_poll=None, last_error=res.error))
            return PollOutcome(feed.name, "gone", error=res.error, next_delay=None)
        if not res.succeeded:
            return self._failed(feed, fs, res.kind, res.error, now, res)
        fs = self._moved(feed, fs, res)
        cache = cache_lifetime(res.headers, datetime.fromtimestamp(now, UTC))
        if res.kind == "not_modified":
            delay = success_delay(self.bounds, feed.interval, None, cache)
            self._succeeded(feed, replace(fs, next_poll=now + delay), now, ())
            return PollOutcome(feed.name, "not_modified", next_delay=delay, moved_to=res.permanent_url)
        parsed = parse_feed(res.body, res.headers, res.url)
        if parsed.bozo and not parsed.entries:
            # An HTML page or garbage where a feed used to be: a failure to report, not an empty success.
            self.metrics.bozo.inc()
            return self._failed(
                feed, fs, "not_a_feed", f"no entries, ill-formed: {parsed.bozo_reason}", now, res
            )
        return self._publish(feed, fs, res, parsed, now, cache)

    def _publish(
        self, feed: Feed, fs: FeedState, res: FetchResult, parsed: ParsedFeed, now: float, cache: float | None
    ) -> PollOutcome:
        self.metrics.entries.inc(len(parsed.entries))
        if parsed.bozo:
            self.metrics.bozo.inc()
            log.info("feed %s: ill-formed document (bozo): %s", feed.name, parsed.bozo_reason)
        candidates = [(e, keys_for(feed.name, e)) for e in parsed.entries]
        all_keys = [k for _, keys in candidates for k in keys.all()]
        window = now - self.settings.dedup_title_days * 86400.0
        selection = select_new(candidates, self.state.known(all_keys, window))
        fetched_at = datetime.fromtimestamp(now, UTC)
        limit = self.settings.article_max_bytes
        fitted = [
            fit(build_article(feed, e, k, fetched_at, parsed.language), limit) for e, k in selection.new
        ]
        articles = [f.article for f in fitted]
        try:
            deliveries = list(self.publisher.publish_each(self.topic, articles)) if articles else []
        except Exception as exc:  # a publisher bug: treat every article as not acknowledged
            deliveries = [Delivery(ok=False, error=f"{type(exc).__name__}: {exc}")] * len(articles)
        s = self._settle(feed, [k for _, k in selection.new], fitted, deliveries, now)
        self.metrics.published.inc(s.published)
        self.metrics.duplicates.inc(selection.duplicates)
        if s.unsent:
            self.metrics.publish_failures.inc()
            error = (
                f"broker did not acknowledge {len(s.unsent)} of {len(articles)} article(s): "
                f"{s.unsent[0].error}"
            )
            return self._failed(feed, fs, "publish_error", error, now, res, len(parsed.entries), s)
        delay = success_delay(self.bounds, feed.interval, parsed.ttl_seconds, cache)
        new_fs = replace(fs, etag=res.etag, last_modified=res.last_modified, next_poll=now + delay)
        self._succeeded(feed, new_fs, now, s.seen, s.dead)
        return PollOutcome(
            feed.name, "ok", len(parsed.entries), s.published, selection.duplicates, parsed.bozo,
            parsed.bozo_reason, delay, res.permanent_url, s.trimmed, len(s.dead),
        )  # fmt: skip

    def _settle(
        self,
        feed: Feed,
        keys: Sequence[Keys],
        fitted: Sequence[Fitted],
        deliveries: Sequence[Delivery],
        now: float,
    ) -> Settled:
        """Each article's own outcome: acknowledged or refused as too large (both settled, so seen, and
        trims counted and logged once) or not acknowledged (left for a later poll)."""
        s = Settled()
        for k, f, d in zip(keys, fitted, deliveries, strict=True):
            if not (d.ok or d.too_large):
                s.unsent.append(d)
                continue
            s.seen.extend(k.all())
            if f.trimmed:
                s.trimmed += 1
                self.metrics.trimmed.inc()
                log.info(
                    "feed %s: article %s (%s) was %d bytes; trimmed to %d (ARTICLE_MAX_BYTES)",
                    feed.name, f.article.id, f.article.url, f.original_bytes, len(f.article.encode()),
                )  # fmt: skip
            if d.ok:
                s.published += 1
                continue
            size = len(f.article.encode())
            s.dead.append(
                DeadLetter(f.article.id, feed.name, f.article.url, f.article.guid, size, d.error, now)
            )
            self.metrics.dead_letters.inc()
            log.warning(
                "feed %s: article %s (%s, %d bytes) %s; recorded as a dead letter, the feed goes on",
                feed.name, f.article.id, f.article.url, size, d.error,
            )  # fmt: skip
        return s

    def _moved(self, feed: Feed, fs: FeedState, res: FetchResult) -> FeedState:
        if not res.permanent_url or res.permanent_url == fs.url:
            return fs
        log.warning(
            "feed %s: moved permanently from %s to %s; now polling the new URL (update the feed list)",
            feed.name, fs.url, res.permanent_url,
        )  # fmt: skip
        self.metrics.redirects.inc()
        return replace(fs, permanent_url=res.permanent_url)

    def _succeeded(
        self, feed: Feed, fs: FeedState, now: float, seen: Sequence[str], dead: Sequence[DeadLetter] = ()
    ) -> None:
        if fs.failures >= self.settings.failure_report_after:
            log.info("feed %s: recovered after %d failed polls", feed.name, fs.failures)
        self.state.commit_poll(replace(fs, failures=0, last_success=now, last_error=""), seen, now, dead)
        self.metrics.failures.labels(feed.name).set(0)
        self.metrics.last_success.labels(feed.name).set(now)

    def _failed(
        self, feed: Feed, fs: FeedState, kind: str, error: str, now: float, res: FetchResult,
        entries: int = 0, settled: Settled | None = None,
    ) -> PollOutcome:  # fmt: skip
        """Record a failed poll; ``settled`` holds its articles the broker did answer for."""
        s = settled or Settled()
        failures = fs.failures + 1
        retry_after = None
        if res.kind == "throttled":
            retry_after = parse_retry_after(res.headers.get("retry-after"), now)
        delay = error_delay(self.bounds, feed.interval, failures, retry_after)
        self.state.commit_poll(
            replace(fs, failures=failures, last_error=error, next_poll=now + delay), s.seen, now, s.dead
        )
        self.metrics.failures.labels(feed.name).set(failures)
        if failures >= self.settings.failure_report_after:
            log.warning(
                "feed %s: %d failed polls in a row (last: %s); still retrying, next in %.0fs",
                feed.name, failures, error, delay,
            )  # fmt: skip
        else:
            # The service's round line counts it; the detail is for --verbose / DEBUG.
            log.debug("feed %s: poll failed (%s); retry in %.0fs", feed.name, error, delay)
        return PollOutcome(feed.name, kind, entries=entries, published=s.published, error=error,
                           next_delay=delay, trimmed=s.trimmed, refused=len(s.dead))  # fmt: skip
