"""Feed bytes -> clean, typed entries. Pure: feedparser on bytes, no I/O.

``parse_feed`` never raises for bad input: feedparser's bozo flag and reason are recorded and whatever
entries it recovered are kept, even partial ones (an entry needs at least one of guid, link, title or
text). Summaries and content become clean text (tags stripped, entities decoded once, whitespace
collapsed); titles are unescaped exactly once.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

import feedparser

_SPACE = re.compile(r"\s+")
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_BLOCK_TAGS = frozenset(
    {"p", "br", "div", "li", "ul", "ol", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6",
     "blockquote", "pre", "section", "article", "figure", "figcaption", "hr", "table"}
)  # fmt: skip
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template"})


@dataclass(frozen=True)
class Entry:
    """One entry as the feed gave it, reduced to clean values."""

    guid: str
    link: str
    title: str
    summary: str
    content: str
    published: datetime | None
    language: str


@dataclass(frozen=True)
class ParsedFeed:
    """The result of parsing one feed document."""

    title: str
    language: str
    ttl_seconds: float | None
    bozo: bool
    bozo_reason: str
    entries: tuple[Entry, ...]
    dropped: int  # entries with nothing usable (no guid, link, title or text)


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS and self._skip:
            self._skip -= 1
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def collapse(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def html_to_text(html: str) -> str:
    """Strip tags (dropping script/style), decode entities once, collapse whitespace."""
    if "<" not in html and "&" not in html:
        return collapse(html)
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # HTMLParser is lenient; never let odd markup stop a feed
        return collapse(re.sub(r"<[^>]*>", " ", html))
    return collapse("".join(parser.parts))


def detail_text(value: str, detail: Mapping[str, Any] | None) -> str:
    """Clean text of a feedparser text construct: HTML is reduced, plain text only collapsed."""
    kind = str((detail or {}).get("type") or "text/html").lower()
    if kind in _HTML_TYPES or "html" in kind:
        return html_to_text(value)
    return collapse(value)


def _when(entry: Mapping[str, Any]) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = dict.get(entry, key) if isinstance(entry, dict) else entry.get(key)  # no feedparser aliasing
        if parsed:
            try:
                return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
            except (OverflowError, ValueError, TypeError, OSError):
                continue
    return None


def _content(entry: Mapping[str, Any]) -> str:
    texts = [
        detail_text(str(c.get("value") or ""), c)
        for c in entry.get("content") or []
        if isinstance(c, Mapping)
    ]
    return max(texts, key=len, default="")


def _entry(raw: Mapping[str, Any], feed_language: str, base_url: str) -> Entry:
    title = detail_text(str(raw.get("title") or ""), raw.get("title_detail"))
    summary = detail_text(str(raw.get("summary") or ""), raw.get("summary_detail"))
    content = _content(raw)
    if summary and summary == content:
        summary = summary[:500]
    language = ""
    for detail in (raw.get("title_detail"), raw.get("summary_detail")):
        if isinstance(detail, Mapping) and detail.get("language"):
            language = str(detail["language"])
            break
    return Entry(
        guid=str(raw.get("id") or "").strip(),
        link=_absolute(str(raw.get("link") or "").strip(), base_url),
        title=title,
        summary=summary,
        content=content,
        published=_when(raw),
        language=(language or feed_language).strip().lower(),
    )


def _absolute(link: str, base_url: str) -> str:
    if link and base_url.startswith(("http://", "https://")) and "://" not in link:
        return urljoin(base_url, link)
    return link


def _ttl(feed: Mapping[str, Any]) -> float | None:
    raw = str(feed.get("ttl") or "").strip()
    return float(raw) * 60.0 if raw.isdigit() and int(raw) > 0 else None


def parse_feed(body: bytes, headers: Mapping[str, str] | None = None, url: str = "") -> ParsedFeed:
    """Parse feed bytes; ``headers`` are the response headers (lower-cased here for feedparser)."""
    lowered = {str(k).lower(): str(v) for k, v in (headers or {}).items()}
    # No Content-Location from the request URL: feedparser would resolve GUIDs against it, and a GUID
    # must not change when a feed moves. Relative links are resolved below instead.
    try:
        # Without HTTP headers (local files) feedparser must not be told there was a response, else it
        # flags every file as bozo for lacking a Content-Type.
        result = feedparser.parse(
            body, response_headers=lowered or None, sanitize_html=False, resolve_relative_uris=False
        )
    except Exception as exc:  # feedparser is meant not to raise; if it does, the feed is just bozo
        return ParsedFeed("", "", None, True, f"{type(exc).__name__}: {exc}", (), 0)
    feed: Mapping[str, Any] = result.get("feed") or {}
    language = str(feed.get("language") or lowered.get("content-language", "")).split(",")[0].strip().lower()
    entries: list[Entry] = []
    dropped = 0
    for raw in result.get("entries") or []:
        try:
            entry = _entry(raw, language, url)
        except Exception:  # one odd entry must not cost the others
            dropped += 1
            continue
        if entry.guid or entry.link or entry.title or entry.summary or entry.content:
            entries.append(entry)
        else:
            dropped += 1
    bozo = bool(result.get("bozo"))
    reason = ""
    if bozo:
        problem = result.get("bozo_exception")
        reason = collapse(f"{type(problem).__name__}: {problem}") if problem is not None else "ill-formed"
    title = detail_text(str(feed.get("title") or ""), feed.get("title_detail"))
    return ParsedFeed(title, language, _ttl(feed), bozo, reason[:300], tuple(entries), dropped)
