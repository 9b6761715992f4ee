"""Ingest against a real Kafka broker: real feed files over local HTTP -> `ingest --once` -> `articles`."""

from __future__ import annotations

import hashlib
import socket
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from core.kafka import Consumer, Topics, ensure_topics
from core.messages import Article, decode
from core.metrics import new_registry
from core.settings import Settings
from ingest.dedup import keys_for, select_new
from ingest.feeds import Feed
from ingest.parse import parse_feed
from ingest.poller import build_article
from ingest.service import run_once
from tests.ingest.server import RSS_HEADERS, Response, items, rss, serve
from tests.ingest.test_commands import make_app

pytestmark = pytest.mark.integration
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # stands for "fetch time" in the expected articles

REAL = ["bbc-news-home_2020-05-02.xml", "cnn-international_2020-06-16.xml", "guardian-us_2018-01-31.rss",
        "uol-noticias_2018-09-24.rss"]  # fmt: skip


def consume(settings: Settings, bootstrap: str, want: int, wait: float = 20.0) -> list[Article]:
    """Read the articles topic from the start; stop at ``want`` records or after ``wait`` seconds."""
    consumer = Consumer(settings, f"check-{uuid.uuid4().hex[:8]}", [Topics(settings.topic_prefix).articles],
                        bootstrap)  # fmt: skip
    got: list[Article] = []
    deadline = time.time() + wait
    try:
        while time.time() < deadline and len(got) < want:
            got += [decode(Article, r.value) for r in consumer.poll_batch(500, 500)]
        # Linger a little so that extra (duplicate) records would be seen too.
        end = time.time() + 2.0
        while time.time() < end:
            got += [decode(Article, r.value) for r in consumer.poll_batch(500, 300)]
    finally:
        consumer.close()
    return got


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_ingest_once_publishes_real_feeds_exactly_once(
    kafka_bootstrap: str, make_settings: Callable[..., Settings], shared_dir: Path, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    bodies = {f"/{name}": (shared_dir / "data" / "feeds" / "real-news" / name).read_bytes() for name in REAL}
    mode = {"conditional": True}

    def route(h: BaseHTTPRequestHandler) -> Response:
        body = bodies[h.path]
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if mode["conditional"] and h.headers.get("If-None-Match") == etag:
            return 304, {"ETag": etag}, b""
        return 200, {"Content-Type": "application/xml", "ETag": etag}, body

    settings = make_settings(kafka_bootstrap=kafka_bootstrap, host_min_gap=0.0)
    runner = CliRunner()
    with serve(dict.fromkeys(bodies, route)) as srv:
        feeds_file = tmp_path / "feeds.yaml"
        feeds_file.write_text("feeds:\n" + "".join(f"  - {{name: n{i}, url: '{srv.url(p)}'}}\n"
                                                   for i, p in enumerate(bodies)))  # fmt: skip
        # What the entries should become: the same parse and dedup path, no broker, no state.
        expected: dict[str, Article] = {}
        taken: set[str] = set()
        for i, path in enumerate(bodies):
            parsed = parse_feed(bodies[path], {"content-type": "application/xml"}, srv.url(path))
            sel = select_new([(e, keys_for(f"n{i}", e)) for e in parsed.entries], taken)
            for e, k in sel.new:
                taken.update(k.all())
                a = build_article(Feed(f"n{i}", srv.url(path)), e, k, EPOCH, parsed.language)
                expected[a.id] = a
        app = make_app(settings)

        first = runner.invoke(app, ["ingest", "--once", "--feeds", str(feeds_file)])
        assert first.exit_code == 0, first.output
        assert f"published {len(expected)} article(s)" in first.stdout
        second = runner.invoke(app, ["ingest", "--once", "--feeds", str(feeds_file)])
        assert second.exit_code == 0 and "published 0 article(s)" in second.stdout
        assert second.stdout.count(": not_modified") == len(bodies)
        mode["conditional"] = (
            False  # a restart without any 304 help: only the SQLite seen-state stops repeats
        )
        third = runner.invoke(app, ["ingest", "--once", "--feeds", str(feeds_file)])
        assert third.exit_code == 0 and "published 0 article(s)" in third.stdout

    got = consume(settings, kafka_bootstrap, len(expected))
    assert len(got) == len(expected) > 100
    assert {a.id for a in got} == set(expected)
    for a in got:
        want = expected[a.id]
        assert (a.title, a.url, a.summary, a.content, a.feed, a.guid) == (
            want.title, want.url, want.summary, want.content, want.feed, want.guid,
        )  # fmt: skip
        if want.published != EPOCH:
            assert a.published == want.published
        else:
            assert a.published == a.fetched_at


def test_broker_down_during_a_poll_loses_nothing(
    kafka_bootstrap: str, make_settings: Callable[..., Settings]
) -> None:
    from ingest.commands import build_pipeline

    settings = make_settings(kafka_bootstrap=kafka_bootstrap, host_min_gap=0.0, kafka_request_timeout_ms=2000)
    ensure_topics(settings, kafka_bootstrap)
    body = rss(items(7, prefix="outage"))
    with serve({"/f": lambda _h: (200, RSS_HEADERS, body)}) as srv:
        feeds = [Feed("f", srv.url("/f"))]
        down = build_pipeline(settings, f"127.0.0.1:{closed_port()}", new_registry())
        try:
            outcome = run_once(down.poller, feeds, 1)[0]
        finally:
            down.close()
        assert outcome.result == "publish_error" and outcome.published == 0
        back = build_pipeline(settings, kafka_bootstrap, new_registry())
        try:
            later = run_once(back.poller, feeds, 1)[0]
            again = run_once(back.poller, feeds, 1)[0]
        finally:
            back.close()
    assert later.result == "ok" and later.published == 7
    assert again.published == 0 and again.duplicates == 7
    got = consume(settings, kafka_bootstrap, 7)
    assert sorted(a.guid for a in got) == sorted(f"outage-{i}" for i in range(7))
