"""The APScheduler wiring: one job per feed, rescheduled after each poll, stopped cleanly."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import replace

import pytest

from core.metrics import new_registry
from core.settings import Settings
from ingest.feeds import Feed
from ingest.fetch import Fetcher
from ingest.metrics import IngestMetrics
from ingest.poller import Poller
from ingest.rounds import RoundSummary
from ingest.service import IngestService, run_once
from ingest.state import State
from tests.ingest.server import RSS_HEADERS, items, rss, serve
from tests.ingest.twins import ListPublisher


def build(settings: Settings, publisher: ListPublisher) -> Poller:
    return Poller(settings, State.in_data_dir(settings.data_dir), Fetcher(settings), publisher, "articles",
                  IngestMetrics(new_registry()))  # fmt: skip


def test_scheduler_polls_each_feed_repeatedly_and_stops(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(
        poll_interval=0.3, poll_min_interval=0.2, poll_max_interval=1.0, poll_jitter=0.05,
        poll_error_backoff=0.0, host_min_gap=0.0,
    )  # fmt: skip
    counter = {"n": 0}

    def fresh(_h: object) -> tuple[int, dict[str, str], bytes]:
        counter["n"] += 1
        return 200, RSS_HEADERS, rss(items(2, prefix=f"round{counter['n']}"))

    publisher = ListPublisher()
    poller = build(settings, publisher)
    far = time.time() + 3600
    poller.state.commit_poll(replace(poller.state.feed("later", "http://127.0.0.1:1/x"), next_poll=far))
    with serve({"/a": fresh, "/gone": lambda _h: (410, {}, b"")}) as srv:
        feeds = [
            Feed("a", srv.url("/a")),
            Feed("gone", srv.url("/gone")),
            Feed("later", "http://127.0.0.1:1/x"),
        ]
        rounds: list[RoundSummary] = []
        service = IngestService(poller, feeds, on_round=rounds.append)
        service.start()
        try:
            job = service.scheduler.get_job("a")
            assert job.max_instances == 1 and job.coalesce is True and job.misfire_grace_time == 600
            assert job.trigger.jitter == 0.05
            later = service.next_run("later")
            assert later is not None and abs(later.timestamp() - far) < 1  # persisted next poll honoured
            deadline = time.time() + 10
            while len(srv.hits("/a")) < 4 and time.time() < deadline:
                time.sleep(0.05)
            assert service.scheduler.get_job("gone") is None  # 410 removed the job
        finally:
            service.stop()
        hits_at_stop = len(srv.hits("/a"))
        time.sleep(0.5)
        assert len(srv.hits("/a")) == hits_at_stop  # nothing runs after stop
    assert hits_at_stop >= 4 and len(srv.hits("/gone")) == 1
    assert rounds and rounds[0].polled == 2 and rounds[-1].failed == 0  # each closed round reported
    assert len(publisher.articles) == 2 * hits_at_stop
    poller.fetcher.close()
    poller.state.close()


def test_run_once_polls_every_feed(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(host_min_gap=0.0)
    publisher = ListPublisher()
    poller = build(settings, publisher)
    bodies = {f"/f{i}": rss(items(3, prefix=f"f{i}")) for i in range(8)}
    routes = {path: (lambda h: (200, RSS_HEADERS, bodies[h.path])) for path in bodies}
    with serve(routes) as srv:
        outcomes = run_once(poller, [Feed(f"f{i}", srv.url(f"/f{i}")) for i in range(8)], concurrency=4)
    assert [o.feed for o in outcomes] == [f"f{i}" for i in range(8)]
    assert all(o.published == 3 for o in outcomes) and len(publisher.articles) == 24
    poller.fetcher.close()
    poller.state.close()


def test_stop_waits_for_a_poll_in_progress_without_deadlock(make_settings: Callable[..., Settings]) -> None:
    # APScheduler's shutdown(wait=True) holds the job-store lock while it waits for running jobs, and a
    # finishing poll needs that lock to reschedule itself: stop() must not wait that way.
    settings = make_settings(
        poll_interval=0.3, poll_min_interval=0.2, poll_max_interval=1.0, host_min_gap=0.0
    )
    entered, release = threading.Event(), threading.Event()

    def slow(_h: object) -> tuple[int, dict[str, str], bytes]:
        entered.set()
        release.wait(10)
        return 200, RSS_HEADERS, rss(items(1, prefix="slow"))

    publisher = ListPublisher()
    poller = build(settings, publisher)
    with serve({"/slow": slow}) as srv:
        service = IngestService(poller, [Feed("slow", srv.url("/slow"))])
        service.start()
        assert entered.wait(10)
        stopper = threading.Thread(target=service.stop)
        stopper.start()
        stopper.join(0.3)
        assert stopper.is_alive()  # the poll in progress is waited for
        release.set()
        stopper.join(10)
        assert not stopper.is_alive()
    assert len(publisher.articles) == 1  # the poll finished and published before stop() returned
    assert len(srv.hits("/slow")) == 1  # and no poll started after stop
    poller.fetcher.close()
    poller.state.close()


def test_the_service_logs_one_line_per_round_and_a_warning_when_every_feed_fails(
    make_settings: Callable[..., Settings], caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(poll_interval=600, poll_min_interval=300, poll_jitter=0, host_min_gap=0.0,
                             http_connect_timeout=2.0)  # fmt: skip
    with socket.socket() as s:  # a port nobody listens on: every poll fails at once
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    poller = build(settings, ListPublisher())
    feeds = [Feed(f"down{i}", f"http://127.0.0.1:{closed}/{i}") for i in range(3)]
    service = IngestService(poller, feeds)
    caplog.set_level(logging.DEBUG)
    service.start()
    try:
        deadline = time.monotonic() + 15
        while not [r for r in caplog.records if r.name == "ingest.service" and "failed" in r.getMessage()]:
            assert time.monotonic() < deadline, "no round line"
            time.sleep(0.05)
    finally:
        service.stop()
        poller.fetcher.close()
        poller.state.close()
    rounds = [r for r in caplog.records if r.name == "ingest.service" and "failed" in r.getMessage()]
    assert len(rounds) == 1 and rounds[0].levelno == logging.WARNING
    assert rounds[0].getMessage().startswith("ingest: 3 feeds: all 3 failed (last: down")
    # the per-poll lines are DEBUG, not INFO
    assert not [r for r in caplog.records if r.name == "ingest.poller" and r.levelno == logging.INFO]
