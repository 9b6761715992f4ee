"""Deduplication keys and the new/duplicate decision. Pure: the caller looks the keys up in the state.

An entry is a duplicate when any of its keys is already known: its GUID (scoped to the feed, since
GUIDs are only unique per publisher in practice), its normalized URL (global, so one story in two feeds
is published once), or its normalized-title hash within the feed (checked by the state only within
``dedup_title_days``). Entries repeated inside one document are caught too.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ingest.parse import Entry
from ingest.urls import normalize_url

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalize_title(title: str) -> str:
    """Case-, accent-width-, punctuation- and whitespace-insensitive form of a title."""
    text = unicodedata.normalize("NFKC", title).casefold()
    return _NON_WORD.sub(" ", text).strip()


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


@dataclass(frozen=True)
class Keys:
    """The dedup keys of one entry and the canonical string its article id derives from."""

    guid: str | None
    url: str | None
    title: str | None
    canonical: str

    def all(self) -> tuple[str, ...]:
        return tuple(k for k in (self.guid, self.url, self.title) if k)


def keys_for(feed: str, entry: Entry) -> Keys:
    """Keys of ``entry`` in ``feed``: g:<feed>:<guid>, u:<normalized url>, t:<feed>:<title hash>."""
    url = normalize_url(entry.link) if entry.link else ""
    norm_title = normalize_title(entry.title)
    guid_key = f"g:{feed}:{entry.guid}" if entry.guid else None
    url_key = f"u:{url}" if url else None
    title_key = f"t:{feed}:{_digest(norm_title)}" if norm_title else None
    if url:
        canonical = url
    elif entry.guid:
        canonical = f"guid:{feed}:{entry.guid}"
    elif norm_title:
        canonical = f"title:{feed}:{norm_title}"
    else:
        canonical = f"text:{feed}:{_digest(entry.summary or entry.content)}"
    if not (guid_key or url_key or title_key):
        title_key = f"t:{feed}:{_digest('text ' + (entry.summary or entry.content))}"
    return Keys(guid_key, url_key, title_key, canonical)


@dataclass(frozen=True)
class Selection:
    """Entries to publish (with their keys) and how many were duplicates."""

    new: tuple[tuple[Entry, Keys], ...]
    duplicates: int


def select_new(candidates: Sequence[tuple[Entry, Keys]], known: Iterable[str]) -> Selection:
    """Keep entries none of whose keys is known (or was taken by an earlier entry of the batch)."""
    taken = set(known)
    new: list[tuple[Entry, Keys]] = []
    duplicates = 0
    for entry, keys in candidates:
        ks = keys.all()
        if any(k in taken for k in ks):
            duplicates += 1
            continue
        taken.update(ks)
        new.append((entry, keys))
    return Selection(tuple(new), duplicates)
