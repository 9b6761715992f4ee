"""The feed list: ``feeds: [{name, url, interval?, tags?}]`` in YAML, validated once at start-up.

``load_feeds(path)`` returns frozen ``Feed`` values or raises ``FeedListError`` whose ``problems`` are one
clear line each (unknown keys, bad URLs, duplicate names or URLs, bad intervals or tags); start-up stops
on any of them. A feed URL is ``http(s)://...``, ``file://...`` or a local path (relative paths are
resolved against the feed file's folder), so the stage also works offline.

``shipped_feeds()`` is the list that comes with the package (``ingest/feeds.yaml``, read through
``importlib.resources`` so an installed wheel has it too): the default when ``STANCEWATCH_FEEDS_FILE`` is
not set.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from ingest.urls import normalize_url

ALLOWED_KEYS = frozenset({"name", "url", "interval", "tags"})
SHIPPED_FEEDS = "feeds.yaml"
_SCHEME_WITHOUT_COLON = re.compile(r"(https?|file)//", re.IGNORECASE)


@dataclass(frozen=True)
class Feed:
    """One feed to poll. ``url`` is an http(s) URL or an absolute ``file://`` URL."""

    name: str
    url: str
    interval: float | None = None
    tags: tuple[str, ...] = ()

    @property
    def is_local(self) -> bool:
        return self.url.startswith("file://")


class FeedListError(ValueError):
    """The feed list is unusable; ``problems`` holds one line per bad entry."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = tuple(problems)
        super().__init__("\n".join(f"{source}: {p}" for p in self.problems))


def feed_url(raw: str, base_dir: Path | None = None) -> str:
    """Turn a configured URL or local path into a fetchable URL; raise ValueError with the reason."""
    text = raw.strip()
    if not text:
        raise ValueError("empty url")
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    missing_colon = _SCHEME_WITHOUT_COLON.match(text)
    if not scheme and missing_colon:  # "https//host/feed" would otherwise be read as a local path
        said = missing_colon.group(1)
        raise ValueError(f"url {text!r} lacks the ':' after {said!r} (write {said}://...)")
    if scheme in ("http", "https"):
        if not parts.hostname:
            raise ValueError(f"url {text!r} has no host")
        if any(c.isspace() for c in text):
            raise ValueError(f"url {text!r} contains whitespace")
        try:
            _ = parts.port
        except ValueError:
            raise ValueError(f"url {text!r} has a bad port") from None
        return text
    if scheme == "file":
        path = Path(parts.path)
    elif scheme and len(scheme) > 1:  # a one-letter "scheme" is a Windows drive, i.e. a path
        raise ValueError(f"url {text!r}: scheme {scheme!r} is not http, https or file")
    else:
        path = Path(text).expanduser()
    if not path.is_absolute():
        path = (base_dir or Path.cwd()) / path
    path = path.resolve()
    if path.is_dir():
        raise ValueError(f"local feed file {str(path)!r} is a directory; name a feed file in it")
    if not path.exists():
        raise ValueError(f"local feed file {str(path)!r} does not exist")
    if not path.is_file():
        raise ValueError(f"local feed file {str(path)!r} is not a regular file")
    return path.as_uri()


def _interval(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ValueError(f"interval must be a positive number of seconds, got {value!r}")
    return float(value)


def _tags(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(t, str) and t.strip() for t in value):
        raise ValueError(f"tags must be a list of non-empty strings, got {value!r}")
    return tuple(t.strip() for t in value)


def parse_feed_list(data: Any, base_dir: Path | None = None, source: str = "feeds") -> tuple[Feed, ...]:
    """Validate the loaded YAML document; raise FeedListError listing every problem."""
    if not isinstance(data, dict) or "feeds" not in data:
        raise FeedListError(source, ["expected a mapping with a 'feeds' list at the top"])
    extra = sorted(set(data) - {"feeds"})
    problems: list[str] = [f"unknown top-level key {k!r} (allowed: feeds)" for k in extra]
    entries = data["feeds"]
    if not isinstance(entries, list) or not entries:
        raise FeedListError(source, [*problems, "'feeds' must be a non-empty list"])
    feeds: list[Feed] = []
    names: dict[str, int] = {}
    urls: dict[str, int] = {}
    for i, entry in enumerate(entries, start=1):
        where = f"feed #{i}"
        if not isinstance(entry, dict):
            problems.append(f"{where}: expected a mapping with name and url, got {type(entry).__name__}")
            continue
        name = entry.get("name")
        if isinstance(name, str) and name.strip():
            where = f"feed #{i} ({name.strip()!r})"
        unknown = sorted(str(k) for k in set(entry) - ALLOWED_KEYS)
        if unknown:
            allowed = ", ".join(sorted(ALLOWED_KEYS))
            problems.append(f"{where}: unknown key(s) {', '.join(unknown)} (allowed: {allowed})")
            continue
        if not isinstance(name, str) or not name.strip():
            problems.append(f"{where}: 'name' must be a non-empty string")
            continue
        name = name.strip()
        if not isinstance(entry.get("url"), str):
            problems.append(f"{where}: 'url' must be a string")
            continue
        try:
            url = feed_url(entry["url"], base_dir)
            interval = _interval(entry["interval"]) if "interval" in entry else None
            tags = _tags(entry["tags"]) if "tags" in entry else ()
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
            continue
        if name in names:
            problems.append(f"{where}: duplicate name, already used by feed #{names[name]}")
            continue
        key = normalize_url(url)
        if key in urls:
            problems.append(f"{where}: duplicate url {url!r}, already used by feed #{urls[key]}")
            continue
        names[name] = i
        urls[key] = i
        feeds.append(Feed(name=name, url=url, interval=interval, tags=tags))
    if problems:
        raise FeedListError(source, problems)
    return tuple(feeds)


def load_feeds(path: Path) -> tuple[Feed, ...]:
    """Read and validate a feed list file; raise FeedListError (one line per problem)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FeedListError(str(path), [f"cannot read the feed list: {exc.strerror or exc}"]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        at = f" at line {line + 1}" if line is not None else ""
        raise FeedListError(str(path), [f"not valid YAML{at}: {getattr(exc, 'problem', exc)}"]) from None
    return parse_feed_list(data, base_dir=path.resolve().parent, source=str(path))


def shipped_feeds() -> Path:
    """The feed list shipped with the ingest package (a file next to its modules, also when installed)."""
    return Path(str(resources.files("ingest") / SHIPPED_FEEDS))
