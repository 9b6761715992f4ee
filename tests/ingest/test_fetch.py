"""Fetch behaviour against real HTTP servers on 127.0.0.1."""

from __future__ import annotations

import gzip
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from core.settings import Settings
from ingest.fetch import BodyTooLarge, Fetcher, read_capped
from ingest.parse import parse_feed
from tests.ingest.server import RSS_HEADERS, Response, items, rss, serve

FEED = rss(items(3))
MIB = 1024 * 1024


@pytest.fixture
def fetcher(make_settings: Callable[..., Settings]) -> Iterator[Fetcher]:
    f = Fetcher(
        make_settings(http_read_timeout=0.5, http_total_timeout=2.0, max_body_bytes=MIB, max_redirects=4)
    )
    yield f
    f.close()


def ok(_: BaseHTTPRequestHandler) -> Response:
    return 200, {**RSS_HEADERS, "ETag": '"v1"', "Last-Modified": "Tue, 03 Jun 2025 09:39:21 GMT"}, FEED


def conditional(h: BaseHTTPRequestHandler) -> Response:
    if h.headers.get("If-None-Match") == '"v1"':
        return 304, {"ETag": '"v1"'}, b""
    return ok(h)


def redirect(status: int, to: str) -> Callable[[BaseHTTPRequestHandler], Response]:
    return lambda _h: (status, {"Location": to}, b"")


def bomb(size: int = 256 * MIB) -> bytes:
    comp = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    zeros = bytes(MIB)
    return b"".join(comp.compress(zeros) for _ in range(size // MIB)) + comp.flush()


def test_200_then_304_with_opaque_tokens_and_user_agent(fetcher: Fetcher) -> None:
    with serve({"/feed": conditional}) as srv:
        first = fetcher.fetch(srv.url("/feed"))
        assert first.kind == "ok" and first.status == 200 and first.body == FEED
        assert first.etag == '"v1"' and first.last_modified == "Tue, 03 Jun 2025 09:39:21 GMT"
        second = fetcher.fetch(srv.url("/feed"), first.etag, first.last_modified)
        assert second.kind == "not_modified" and second.status == 304 and second.etag == '"v1"'
        sent = srv.hits("/feed")
    assert sent[0]["user-agent"].startswith("stancewatch/") and "if-none-match" not in sent[0]
    assert sent[1]["if-none-match"] == '"v1"' and sent[1]["if-modified-since"] == first.last_modified
    assert "gzip" in sent[0]["accept-encoding"]


def test_gzip_body_is_decoded(fetcher: Fetcher) -> None:
    route = lambda _h: (200, {**RSS_HEADERS, "Content-Encoding": "gzip"}, gzip.compress(FEED))  # noqa: E731
    with serve({"/gz": route}) as srv:
        assert fetcher.fetch(srv.url("/gz")).body == FEED


def test_301_and_308_are_reported_as_permanent(fetcher: Fetcher) -> None:
    with serve({"/old": redirect(301, "/mid"), "/mid": redirect(308, "/new"), "/new": ok}) as srv:
        res = fetcher.fetch(srv.url("/old"))
    assert res.kind == "ok" and res.url == srv.url("/new") and res.permanent_url == srv.url("/new")


def test_302_and_307_are_not_persisted(fetcher: Fetcher) -> None:
    routes = {"/t": redirect(302, "/u"), "/u": redirect(307, "/new"), "/new": ok,
              "/p": redirect(301, "/q"), "/q": redirect(302, "/new")}  # fmt: skip
    with serve(routes) as srv:
        temporary = fetcher.fetch(srv.url("/t"))
        mixed = fetcher.fetch(srv.url("/p"))
    assert temporary.kind == "ok" and temporary.permanent_url is None and temporary.url == srv.url("/new")
    assert mixed.kind == "ok" and mixed.permanent_url == srv.url("/q")  # only the permanent part counts


def test_redirect_loops_and_long_chains_stop(fetcher: Fetcher) -> None:
    chain = {f"/c{i}": redirect(302, f"/c{i + 1}") for i in range(10)}
    with serve({"/a": redirect(301, "/b"), "/b": redirect(302, "/a"), **chain}) as srv:
        loop = fetcher.fetch(srv.url("/a"))
        long = fetcher.fetch(srv.url("/c0"))
        assert len(srv.hits("/c0")) == 1 and len(srv.requests) == 2 + 5
    assert loop.kind == "redirect_loop" and "loop" in loop.error
    assert long.kind == "redirect_loop" and "more than 4" in long.error


def test_410_429_503_and_other_statuses(fetcher: Fetcher) -> None:
    routes = {
        "/gone": lambda _h: (410, {}, b"gone"),
        "/slowdown": lambda _h: (429, {"Retry-After": "120"}, b""),
        "/busy": lambda _h: (503, {"Retry-After": "Wed, 21 Oct 2037 07:28:00 GMT"}, b""),
        "/missing": lambda _h: (404, {}, b""),
        "/broken": lambda _h: (500, {}, b""),
    }
    with serve(routes) as srv:
        got = {p: fetcher.fetch(srv.url(p)) for p in routes}
    assert got["/gone"].kind == "gone"
    assert got["/slowdown"].kind == "throttled" and got["/slowdown"].headers["retry-after"] == "120"
    assert got["/busy"].kind == "throttled" and got["/busy"].status == 503
    assert got["/missing"].kind == "http_error" and got["/missing"].error == "HTTP 404"
    assert got["/broken"].kind == "http_error"


def test_slow_response_times_out(fetcher: Fetcher) -> None:
    def slow(_h: BaseHTTPRequestHandler) -> Response:
        time.sleep(1.5)
        return ok(_h)

    def trickle(h: BaseHTTPRequestHandler) -> Response:
        h.send_response(200)
        h.send_header("Content-Type", "application/rss+xml")
        h.end_headers()
        for _ in range(40):  # each byte well within the read timeout, the whole far beyond the total
            h.wfile.write(b" ")
            h.wfile.flush()
            time.sleep(0.1)
        return None

    with serve({"/slow": slow, "/trickle": trickle}) as srv:
        started = time.monotonic()
        slow_res = fetcher.fetch(srv.url("/slow"))
        trickle_res = fetcher.fetch(srv.url("/trickle"))
        took = time.monotonic() - started
    assert slow_res.kind == "timeout" and trickle_res.kind == "timeout"
    assert took < 4.0


def test_connection_refused_is_a_network_error(fetcher: Fetcher) -> None:
    res = fetcher.fetch("http://127.0.0.1:1/feed")
    assert res.kind == "network_error" and "Connect" in res.error


def test_oversized_bodies_are_cut(fetcher: Fetcher) -> None:
    big = b"<rss>" + b"x" * (2 * MIB)

    def chunked(h: BaseHTTPRequestHandler) -> Response:  # no Content-Length: the cap bites while streaming
        h.send_response(200)
        h.send_header("Content-Type", "application/rss+xml")
        h.send_header("Connection", "close")
        h.end_headers()
        for i in range(0, len(big), 64 * 1024):
            h.wfile.write(big[i : i + 64 * 1024])
        h.close_connection = True
        return None

    routes = {"/declared": lambda _h: (200, RSS_HEADERS, big), "/streamed": chunked}
    with serve(routes) as srv:
        declared = fetcher.fetch(srv.url("/declared"))
        streamed = fetcher.fetch(srv.url("/streamed"))
    assert declared.kind == "too_large" and "Content-Length" in declared.error
    assert streamed.kind == "too_large" and "on the wire" in streamed.error and streamed.body == b""


def test_gzip_bomb_is_cut_off_over_http(fetcher: Fetcher) -> None:
    payload = bomb()
    assert len(payload) < MIB  # small on the wire: only the decompressed-size cap can catch it
    headers = {**RSS_HEADERS, "Content-Encoding": "gzip"}
    with serve({"/bomb": lambda _h: (200, headers, payload)}) as srv:
        tracemalloc.start()
        res = fetcher.fetch(srv.url("/bomb"))
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert res.kind == "too_large" and "decompressed" in res.error
    assert peak < 8 * MIB  # the 256 MiB were never inflated


def test_read_capped_stops_consuming_the_bomb() -> None:
    payload = bomb()
    consumed = 0

    def chunks() -> Iterator[bytes]:
        nonlocal consumed
        for i in range(0, len(payload), 4096):
            consumed += 4096
            yield payload[i : i + 4096]

    with pytest.raises(BodyTooLarge):
        read_capped(chunks(), "gzip", MIB)
    assert consumed < len(payload) / 10  # cut off after ~1 MiB inflated, not after all 256 MiB
    assert read_capped([gzip.compress(b"a" * 100)], "gzip", MIB) == b"a" * 100
    assert read_capped([gzip.compress(b"ab"), gzip.compress(b"cd")], "gzip", MIB) == b"abcd"
    assert read_capped([zlib.compress(b"deflated")], "deflate", MIB) == b"deflated"
    with pytest.raises(ValueError, match="unsupported"):
        read_capped([b"x"], "br", MIB)


def test_non_xml_and_html_pages_fetch_and_parse_without_error(fetcher: Fetcher) -> None:
    html = b"<!doctype html><html><head><title>Home</title></head><body><p>Welcome</p></body></html>"
    routes = {
        "/html": lambda _h: (200, {"Content-Type": "text/html; charset=utf-8"}, html),
        "/json": lambda _h: (200, {"Content-Type": "application/json"}, b'{"not": "a feed"}'),
        "/binary": lambda _h: (200, {"Content-Type": "application/octet-stream"}, bytes(range(256)) * 4),
    }
    with serve(routes) as srv:
        for path in routes:
            res = fetcher.fetch(srv.url(path))
            assert res.kind == "ok", path
            parsed = parse_feed(res.body, res.headers, res.url)
            assert parsed.bozo and parsed.entries == (), path


def test_local_files(fetcher: Fetcher, tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(FEED)
    first = fetcher.fetch(path.as_uri())
    assert first.kind == "ok" and first.body == FEED and first.etag
    assert fetcher.fetch(path.as_uri(), first.etag).kind == "not_modified"
    path.write_bytes(rss(items(4)))
    assert fetcher.fetch(path.as_uri(), first.etag).kind == "ok"
    assert fetcher.fetch((tmp_path / "absent.xml").as_uri()).kind == "network_error"
    (tmp_path / "big.xml").write_bytes(b"x" * (MIB + 1))
    assert fetcher.fetch((tmp_path / "big.xml").as_uri()).kind == "too_large"
