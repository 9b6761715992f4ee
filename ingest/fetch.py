"""HTTP and local-file fetching: the only module that imports httpx.

``Fetcher.fetch(url, etag, last_modified)`` returns a frozen ``FetchResult`` and never raises for
network or server trouble (failure is data, see ``kind``). It sends an honest User-Agent and conditional
headers (ETag / Last-Modified kept as opaque tokens), follows redirects itself with a hop limit and loop
detection, reports the target of a chain of permanent (301/308) redirects so the caller can persist it,
and enforces the body cap while streaming, on both the bytes on the wire and the decompressed size: the
body is read raw and inflated incrementally with zlib, never beyond cap + 1 bytes, so a gzip bomb is cut
off instead of inflated. Local ``file://`` feeds are read with the same cap; their ETag is a content hash.
"""

from __future__ import annotations

import hashlib
import time
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urljoin, urlsplit

import httpx

from core.settings import Settings

FetchKind = Literal[
    "ok",
    "not_modified",
    "gone",
    "throttled",
    "http_error",
    "timeout",
    "network_error",
    "too_large",
    "redirect_loop",
    "bad_response",
]
PERMANENT = frozenset({301, 308})
REDIRECTS = frozenset({301, 302, 303, 307, 308})
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, "
    "text/xml;q=0.9, */*;q=0.5"
)


@dataclass(frozen=True)
class FetchResult:
    """What one fetch produced. ``headers`` are the final response's headers, names lower-cased."""

    kind: FetchKind
    url: str
    status: int | None = None
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    permanent_url: str | None = None
    error: str = ""
    elapsed: float = 0.0

    @property
    def succeeded(self) -> bool:
        return self.kind in ("ok", "not_modified")


class BodyTooLarge(Exception):
    pass


def _decoder(encoding: str) -> zlib._Decompress | None:
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(zlib.MAX_WBITS | 16)
    if encoding == "deflate":
        return zlib.decompressobj(zlib.MAX_WBITS | 32)  # zlib or gzip header, auto-detected
    raise ValueError(f"unsupported content-encoding {encoding!r}")


def read_capped(chunks: Iterable[bytes], encoding: str, cap: int, deadline: float | None = None) -> bytes:
    """Join ``chunks`` (raw wire bytes), decoding gzip/deflate incrementally; raise BodyTooLarge when the
    wire size or the decoded size passes ``cap`` (never inflating more than cap + 1 bytes), TimeoutError
    past ``deadline`` (time.monotonic), ValueError for an unknown encoding or corrupt stream."""
    decoder = _decoder(encoding.strip().lower())
    out = bytearray()
    wire = 0
    for chunk in chunks:
        wire += len(chunk)
        if wire > cap:
            raise BodyTooLarge(f"body over {cap} bytes on the wire")
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError("total fetch time exceeded")
        if decoder is None:
            out += chunk
            continue
        data = chunk
        while data:
            try:
                out += decoder.decompress(data, cap + 1 - len(out))
            except zlib.error as exc:
                raise ValueError(f"corrupt {encoding} body: {exc}") from None
            if len(out) > cap:
                raise BodyTooLarge(f"body over {cap} bytes once decompressed")
            if decoder.unconsumed_tail:
                data = decoder.unconsumed_tail
            elif decoder.eof and decoder.unused_data:  # concatenated gzip members
                data = decoder.unused_data
                decoder = _decoder(encoding.strip().lower())
                assert decoder is not None
            else:
                data = b""
    if decoder is not None:
        out += decoder.flush(cap + 1 - len(out))
        if len(out) > cap:
            raise BodyTooLarge(f"body over {cap} bytes once decompressed")
    return bytes(out)


class Fetcher:
    """Fetches feed documents; one shared httpx client (connection pooling), thread-safe."""

    def __init__(self, settings: Settings, client: httpx.Client | None = None) -> None:
        self.cap = settings.max_body_bytes
        self.max_redirects = settings.max_redirects
        self.total_timeout = settings.http_total_timeout
        self._client = client or httpx.Client(
            timeout=httpx.Timeout(
                connect=settings.http_connect_timeout,
                read=settings.http_read_timeout,
                write=settings.http_read_timeout,
                pool=settings.http_total_timeout,
            ),
            follow_redirects=False,
            limits=httpx.Limits(
                max_connections=max(settings.fetch_concurrency, 1),
                max_keepalive_connections=max(settings.fetch_concurrency, 1),
            ),
            headers={"User-Agent": settings.user_agent, "Accept": ACCEPT, "Accept-Encoding": "gzip, deflate"},
        )

    def close(self) -> None:
        self._client.close()

    def fetch(self, url: str, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        """Fetch ``url`` (http(s) or file://); never raises for network, server or size trouble."""
        started = time.monotonic()
        if url.startswith("file://"):
            result = self._fetch_file(url, etag)
        else:
            result = self._fetch_http(url, etag, last_modified, started + self.total_timeout)
        return _with_elapsed(result, time.monotonic() - started)

    def _fetch_file(self, url: str, etag: str | None) -> FetchResult:
        path = Path(unquote(urlsplit(url).path))
        try:
            if path.stat().st_size > self.cap:
                return FetchResult("too_large", url, error=f"file over {self.cap} bytes")
            body = path.read_bytes()
        except OSError as exc:
            return FetchResult("network_error", url, error=f"cannot read {path}: {exc.strerror or exc}")
        digest = '"sha256-' + hashlib.sha256(body).hexdigest()[:32] + '"'
        if etag == digest:
            return FetchResult("not_modified", url, etag=digest)
        return FetchResult("ok", url, status=200, body=body, etag=digest)

    def _fetch_http(
        self, url: str, etag: str | None, last_modified: str | None, deadline: float
    ) -> FetchResult:
        conditional: dict[str, str] = {}
        if etag:
            conditional["If-None-Match"] = etag
        if last_modified:
            conditional["If-Modified-Since"] = last_modified
        visited = {url}
        permanent: str | None = None
        only_permanent = True
        current = url
        for _hop in range(self.max_redirects + 1):
            try:
                with self._client.stream("GET", current, headers=conditional) as resp:
                    headers = {k.lower(): v for k, v in resp.headers.items()}
                    status = resp.status_code
                    if status in REDIRECTS:
                        location = headers.get("location", "").strip()
                        if not location:
                            return FetchResult("bad_response", current, status, headers=headers,
                                               error=f"HTTP {status} without Location")  # fmt: skip
                        target = urljoin(current, location)
                        if urlsplit(target).scheme not in ("http", "https"):
                            return FetchResult("bad_response", current, status, headers=headers,
                                               error=f"redirect to unsupported URL {target!r}")  # fmt: skip
                        if target in visited:
                            return FetchResult("redirect_loop", current, status, headers=headers,
                                               error=f"redirect loop back to {target}")  # fmt: skip
                        visited.add(target)
                        only_permanent = only_permanent and status in PERMANENT
                        if only_permanent:
                            permanent = target
                        current = target
                        continue
                    base = FetchResult("ok", current, status, headers=headers, permanent_url=permanent)
                    if status == 304:
                        return replace(base, kind="not_modified", etag=etag, last_modified=last_modified)
                    if status == 410:
                        return replace(base, kind="gone", error="HTTP 410 Gone")
                    if status in (429, 503):
                        return replace(base, kind="throttled", error=f"HTTP {status}")
                    if not 200 <= status <= 299:
                        return replace(base, kind="http_error", error=f"HTTP {status}")
                    length = headers.get("content-length", "")
                    if length.isdigit() and int(length) > self.cap:
                        return replace(
                            base, kind="too_large", error=f"Content-Length {length} over {self.cap}"
                        )
                    body = read_capped(
                        resp.iter_raw(), headers.get("content-encoding", ""), self.cap, deadline
                    )
                    etag_out = headers.get("etag") or None
                    modified = headers.get("last-modified") or None
                    return replace(base, body=body, etag=etag_out, last_modified=modified)
            except BodyTooLarge as exc:
                return FetchResult("too_large", current, error=str(exc), permanent_url=permanent)
            except (httpx.TimeoutException, TimeoutError) as exc:
                return FetchResult("timeout", current, error=f"timeout: {type(exc).__name__}")
            except ValueError as exc:
                return FetchResult("bad_response", current, error=str(exc))
            except httpx.HTTPError as exc:
                return FetchResult("network_error", current, error=f"{type(exc).__name__}: {exc}"[:300])
        return FetchResult("redirect_loop", current, error=f"more than {self.max_redirects} redirects")


def _with_elapsed(result: FetchResult, elapsed: float) -> FetchResult:
    return replace(result, elapsed=elapsed)
