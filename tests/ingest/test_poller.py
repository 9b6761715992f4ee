"""The poller end to end over real local HTTP, a real SQLite state and an in-memory publisher twin."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from core.metrics import new_registry
from core.settings import Settings
from ingest.feeds import Feed
from ingest.fetch import Fetcher
from ingest.metrics import IngestMetrics
from ingest.poller import Poller
from ingest.state import State
from tests.ingest.server import RSS_HEADERS, Response, items, rss, serve
from tests.ingest.twins import ListPublisher


@dataclass
class Rig:
    settings: Settings
    publisher: ListPublisher
    registry: CollectorRegistry
    clock: list[float]
    _open: list[tuple[State, Fetcher]]
    metrics: IngestMetrics | None = None

    def poller(self) -> Poller:
        """A fresh poller over the same data dir, as after a restart."""
        state = State.in_data_dir(self.settings.data_dir)
        fetcher = Fetcher(self.settings)
        self._open.append((state, fetcher))
        self.metrics = self.metrics or IngestMetrics(self.registry)
        return Poller(self.settings, state, fetcher, self.publisher, "articles", self.metrics,
                      clock=lambda: self.clock[0])  # fmt: skip

    def metric(self, name: str, **labels: str) -> float:
        value = self.registry.get_sample_value(name, labels or None)
        return 0.0 if value is None else value


@pytest.fixture
def rig(make_settings: Callable[..., Settings]) -> Iterator[Rig]:
    settings = make_settings(host_min_gap=0.0, failure_report_after=2, http_read_timeout=1.0)
    r = Rig(settings, ListPublisher(), new_registry(), [1_700_000_000.0], [])
    yield r
    for state, fetcher in r._open:
        fetcher.close()
        state.close()


def conditional(body: bytes, etag: str = '"e1"') -> Callable[[BaseHTTPRequestHandler], Response]:
    def route(h: BaseHTTPRequestHandler) -> Response:
        if h.headers.get("If-None-Match") == etag:
            return 304, {"ETag": etag}, b""
        return 200, {**RSS_HEADERS, "ETag": etag, "Cache-Control": "max-age=3600"}, body

    return route


def test_publishes_new_entries_then_nothing(rig: Rig) -> None:
    with serve({"/f": conditional(rss(items(5)))}) as srv:
        feed = Feed("f", srv.url("/f"), tags=("korea",))
        poller = rig.poller()
        first = poller.poll(feed)
        assert first.result == "ok" and first.published == 5 and first.entries == 5
        assert first.next_delay == 3600  # Cache-Control max-age honoured
        art = rig.publisher.articles[0]
        assert art.feed == "f" and art.tags == ("korea",) and art.summary == "Body of story 0"
        assert art.url == "http://news.example.test/story/0" and art.published.year == 2025
        assert len({a.id for a in rig.publisher.articles}) == 5
        assert poller.poll(feed).result == "not_modified"
        assert rig.poller().poll(feed).result == "not_modified"  # restart: tokens survived
    assert len(rig.publisher.articles) == 5
    assert rig.metric("stancewatch_articles_published_total") == 5
    assert rig.metric("stancewatch_feed_fetches_total", result="not_modified") == 2
    assert rig.metric("stancewatch_feed_last_success_timestamp_seconds", feed="f") == rig.clock[0]


def test_restart_republishes_nothing_even_without_conditional_get(rig: Rig) -> None:
    body = rss(items(4))
    with serve({"/f": lambda _h: (200, RSS_HEADERS, body)}) as srv:
        feed = Feed("f", srv.url("/f"))
        assert rig.poller().poll(feed).published == 4
        again = rig.poller().poll(feed)
    assert again.result == "ok" and again.published == 0 and again.duplicates == 4
    assert rig.metric("stancewatch_duplicates_skipped_total") == 4


def test_only_new_items_go_out_and_published_defaults_to_fetch_time(rig: Rig) -> None:
    bodies = [rss(items(3)), rss([*items(3), {"title": "No date", "link": "http://n.test/x?utm_source=a"}])]
    with serve({"/f": lambda _h: (200, RSS_HEADERS, bodies.pop(0))}) as srv:
        poller = rig.poller()
        poller.poll(Feed("f", srv.url("/f")))
        second = poller.poll(Feed("f", srv.url("/f")))
    assert second.published == 1 and second.duplicates == 3
    newest = rig.publisher.articles[-1]
    assert newest.url == "http://n.test/x" and newest.published == newest.fetched_at
    assert newest.published.timestamp() == rig.clock[0]


def test_broker_down_loses_nothing(rig: Rig) -> None:
    with serve({"/f": conditional(rss(items(3)))}) as srv:
        feed = Feed("f", srv.url("/f"))
        poller = rig.poller()
        rig.publisher.down = True
        failed = poller.poll(feed)
        assert failed.result == "publish_error" and failed.published == 0
        assert rig.metric("stancewatch_feed_consecutive_failures", feed="f") == 1
        rig.publisher.down = False
        later = rig.poller().poll(feed)  # the ETag was not kept, so this is a full 200, not a 304
    assert later.result == "ok" and later.published == 3
    assert len(rig.publisher.articles) == 3
    assert rig.metric("stancewatch_ingest_publish_failures_total") == 1
    assert rig.metric("stancewatch_feed_consecutive_failures", feed="f") == 0


def test_each_article_has_its_own_outcome_so_acknowledged_ones_never_go_out_twice(rig: Rig) -> None:
    body = rss(items(3))
    with serve({"/f": lambda _h: (200, RSS_HEADERS, body)}) as srv:
        feed = Feed("f", srv.url("/f"))
        rig.publisher.unacked = {"story-1"}
        first = rig.poller().poll(feed)
        assert first.result == "publish_error" and first.published == 2
        assert "1 of 3 article(s)" in first.error
        rig.publisher.unacked = set()
        second = rig.poller().poll(feed)
        third = rig.poller().poll(feed)
    assert second.result == "ok" and second.published == 1 and second.duplicates == 2
    assert third.published == 0
    assert sorted(a.guid for a in rig.publisher.articles) == ["story-0", "story-1", "story-2"]
    assert rig.metric("stancewatch_articles_published_total") == 3


def test_an_oversized_article_is_trimmed_or_dead_lettered_once_and_the_feed_goes_on(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    feed_items = items(4, prefix="big")
    feed_items[1]["description"] = "word " * 60_000  # ~300 kB
    body = rss(feed_items)
    for limit, refused in ((64 * 1024, 0), (1024 * 1024, 1)):
        # Trimmed under 64 kB it fits the twin's 100 kB limit; left at 300 kB the twin refuses it.
        settings = make_settings(host_min_gap=0.0, article_max_bytes=limit, data_dir=tmp_path / str(limit))
        publisher = ListPublisher(max_bytes=100 * 1024)
        state, fetcher = State.in_data_dir(settings.data_dir), Fetcher(settings)
        registry = new_registry()
        metrics = IngestMetrics(registry)
        try:
            poller = Poller(settings, state, fetcher, publisher, "articles", metrics)
            with serve({"/f": lambda _h: (200, RSS_HEADERS, body)}) as srv:
                first = poller.poll(Feed("f", srv.url("/f")))
                again = poller.poll(Feed("f", srv.url("/f")))
            dead = state.dead_letters()
        finally:
            fetcher.close()
            state.close()
        assert first.result == "ok" and first.refused == refused and first.trimmed == 1 - refused
        assert first.published == 4 - refused and again.published == 0 and again.duplicates == 4
        assert sorted(a.guid for a in publisher.articles) == sorted(
            f"big-{i}" for i in range(4) if not (refused and i == 1)
        )
        assert [d.guid for d in dead] == (["big-1"] if refused else [])
        get = registry.get_sample_value
        assert get("stancewatch_articles_trimmed_total") == 1 - refused
        assert get("stancewatch_ingest_dead_letters_total") == refused


def test_410_stops_polling_and_is_remembered(rig: Rig) -> None:
    with serve({"/g": lambda _h: (410, {}, b"")}) as srv:
        feed = Feed("g", srv.url("/g"))
        gone = rig.poller().poll(feed)
        skipped = rig.poller().poll(feed)
        assert len(srv.hits("/g")) == 1
    assert gone.result == "gone" and gone.next_delay is None
    assert skipped.result == "skipped_gone"
    assert rig.metric("stancewatch_feed_gone", feed="g") == 1
    # A new URL in the feed list clears the mark.
    assert rig.poller().state.feed("g", "http://elsewhere.test/").gone is False


def test_permanent_redirect_is_persisted_temporary_is_not(rig: Rig) -> None:
    body = rss(items(2))
    routes = {
        "/old": lambda _h: (301, {"Location": "/new"}, b""),
        "/new": lambda _h: (200, RSS_HEADERS, body),
        "/tmp": lambda _h: (302, {"Location": "/new"}, b""),
    }
    with serve(routes) as srv:
        moved = rig.poller().poll(Feed("m", srv.url("/old")))
        rig.poller().poll(Feed("m", srv.url("/old")))
        rig.poller().poll(Feed("t", srv.url("/tmp")))
        rig.poller().poll(Feed("t", srv.url("/tmp")))
        assert len(srv.hits("/old")) == 1 and len(srv.hits("/tmp")) == 2
    assert moved.moved_to == srv.url("/new")
    assert rig.poller().state.feed("m", srv.url("/old")).url == srv.url("/new")
    assert rig.metric("stancewatch_feed_permanent_redirects_total") == 1


def test_failures_back_off_linearly_are_reported_and_retried(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    s = rig.settings
    with serve({"/e": lambda _h: (500, {}, b"")}) as srv:
        feed = Feed("e", srv.url("/e"))
        outcomes = [rig.poller().poll(feed) for _ in range(4)]
    delays = [o.next_delay for o in outcomes]
    assert delays == [
        min(s.poll_max_interval, s.poll_interval + n * s.poll_error_backoff) for n in (1, 2, 3, 4)
    ]
    assert rig.metric("stancewatch_feed_consecutive_failures", feed="e") == 4
    reports = [r for r in caplog.records if "failed polls in a row" in r.getMessage()]
    assert len(reports) == 3  # from failure_report_after (2) on, every failure is reported
    assert rig.poller().state.feed("e", srv.url("/e")).next_poll == rig.clock[0] + (delays[-1] or 0)


def test_retry_after_sets_the_next_poll(rig: Rig) -> None:
    with serve({"/r": lambda _h: (429, {"Retry-After": "4000"}, b"")}) as srv:
        out = rig.poller().poll(Feed("r", srv.url("/r")))
    assert out.result == "throttled" and out.next_delay == 4000


def test_ttl_lengthens_the_next_poll(rig: Rig) -> None:
    with serve({"/t": lambda _h: (200, RSS_HEADERS, rss(items(1), ttl=120))}) as srv:
        out = rig.poller().poll(Feed("t", srv.url("/t")))
    assert out.next_delay == 7200


def test_bozo_feed_is_counted_and_partial_entries_published(rig: Rig) -> None:
    broken = b"<rss version='2.0'><channel><item><title>Kept</title><link>http://k.test/1</link></item><item>"
    with serve({"/b": lambda _h: (200, RSS_HEADERS, broken)}) as srv:
        out = rig.poller().poll(Feed("b", srv.url("/b")))
    assert out.result == "ok" and out.bozo and out.published >= 1
    assert rig.metric("stancewatch_bozo_feeds_total") == 1


def test_host_gate_limits_concurrency(rig: Rig) -> None:
    import threading
    import time

    from ingest.politeness import HostGate

    gate = HostGate(min_gap=0.05, concurrency=2)
    active, peak, starts = [0], [0], []
    lock = threading.Lock()

    def work() -> None:
        with gate.slot("h"):
            with lock:
                active[0] += 1
                peak[0] = max(peak[0], active[0])
                starts.append(time.monotonic())
            time.sleep(0.1)
            with lock:
                active[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    starts.sort()
    assert peak[0] == 2
    assert all(b - a >= 0.045 for a, b in itertools.pairwise(starts))


def test_title_dedup_only_within_the_window(rig: Rig) -> None:
    first = rss([{"title": "Same headline", "link": "http://w.test/1"}])
    later = rss([{"title": "Same headline", "link": "http://w.test/2"}])
    bodies = [first, later, later]
    with serve({"/w": lambda _h: (200, RSS_HEADERS, bodies.pop(0))}) as srv:
        poller = rig.poller()
        assert poller.poll(Feed("w", srv.url("/w"))).published == 1
        assert poller.poll(Feed("w", srv.url("/w"))).duplicates == 1  # same title, other URL, within days
        rig.clock[0] += (rig.settings.dedup_title_days + 1) * 86400
        assert poller.state.prune_titles(rig.clock[0] - rig.settings.dedup_title_days * 86400) == 1
        assert poller.poll(Feed("w", srv.url("/w"))).published == 1  # outside the window it is news again


def test_html_instead_of_a_feed_is_a_reported_failure(rig: Rig) -> None:
    page = b"<!doctype html><html><body><p>We moved our site</p></body></html>"
    with serve({"/h": lambda _h: (200, {"Content-Type": "text/html"}, page)}) as srv:
        out = rig.poller().poll(Feed("h", srv.url("/h")))
    assert out.result == "not_a_feed" and "ill-formed" in out.error
    assert rig.metric("stancewatch_feed_consecutive_failures", feed="h") == 1
