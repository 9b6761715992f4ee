"""A real HTTP server on 127.0.0.1 (port 0) for the ingest tests; routes are plain functions.

A route gets the request handler and returns (status, headers, body); it may sleep or write itself
(returning None) to simulate slow or odd servers. Requests are recorded for assertions.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Response = tuple[int, dict[str, str], bytes] | None
Route = Callable[[BaseHTTPRequestHandler], Response]


@dataclass
class Server:
    base: str
    routes: Mapping[str, Route]
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base + path

    def hits(self, path: str) -> list[dict[str, str]]:
        return [h for p, h in self.requests if p == path]


@contextmanager
def serve(routes: Mapping[str, Route]) -> Iterator[Server]:
    state: dict[str, Server] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            server = state["server"]
            server.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            route = server.routes.get(self.path)
            if route is None:
                self._send(404, {}, b"not found")
                return
            try:
                result = route(self)
            except (BrokenPipeError, ConnectionResetError):
                return
            if result is not None:
                self._send(*result)

        def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
            try:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                if "Content-Length" not in headers:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    state["server"] = Server(f"http://127.0.0.1:{httpd.server_address[1]}", routes)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state["server"]
    finally:
        httpd.shutdown()
        httpd.server_close()


def rss(items: list[dict[str, str]], title: str = "Test feed", ttl: int | None = None) -> bytes:
    """A small RSS 2.0 document of our own; item dicts take title, link, guid, description, pubDate."""
    parts = [f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>{title}</title>"]
    parts.append("<link>http://example.test/</link><description>fixture</description>")
    if ttl is not None:
        parts.append(f"<ttl>{ttl}</ttl>")
    for item in items:
        parts.append("<item>")
        for key in ("title", "link", "guid", "description", "pubDate"):
            if key in item:
                parts.append(f"<{key}>{item[key]}</{key}>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "".join(parts).encode("utf-8")


def items(n: int, prefix: str = "story", start: int = 0) -> list[dict[str, str]]:
    return [
        {
            "title": f"{prefix.title()} number {i}",
            "link": f"http://news.example.test/{prefix}/{i}",
            "guid": f"{prefix}-{i}",
            "description": f"&lt;p&gt;Body of {prefix} {i}&lt;/p&gt;",
            "pubDate": "Tue, 03 Jun 2025 09:39:21 GMT",
        }
        for i in range(start, start + n)
    ]


RSS_HEADERS = {"Content-Type": "application/rss+xml; charset=utf-8"}
