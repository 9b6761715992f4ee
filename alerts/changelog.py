"""The alert stage's changelog entries: one pair's state as it travels on the compacted changelog topic.

Pure values and functions; ``alerts.service`` writes an ``Entry`` per changed ``COUNTRY:topic`` pair to
the changelog partition numbered like the ``stances`` partition the pair arrives on (before it commits
the input offsets), and ``alerts.state`` applies restored entries to the local SQLite cache.

An entry carries what a new owner of the partition needs to go on exactly where the last one stopped:

- ``state``: the detector's ``PairState``;
- ``seen``: ids of the observations folded in (newest ``SEEN_KEEP``, none older than the store keeps
  processed ids), so records the last owner handled but did not commit are skipped, not folded again;
- ``fired``: the last ``FIRED_KEEP`` alerts with the input offset that fired each. An alert fired at or
  after the partition's committed offset may not have reached the last owner's outbox (it can die
  between the changelog write and its SQLite transaction), so the new owner enqueues it again; alert ids
  are deterministic and the outbox ignores an id it holds, so this repeats a send only after such a
  crash, never loses one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from alerts.detect import Candidate, PairState
from core.messages import Alert, MessageError, decode

SCHEMA_VERSION = 1
SEEN_KEEP = 1000
FIRED_KEEP = 10


def encode_state(state: PairState) -> str:
    return json.dumps(
        {
            "current": state.current,
            "alerted": list(state.alerted),
            "sequence": state.sequence,
            "last_seen": state.last_seen.isoformat() if state.last_seen else None,
            "candidates": [
                {
                    "stance": c.stance,
                    "source": c.source,
                    "published": c.published.isoformat(),
                    "confidence": c.confidence,
                    "sentence": c.sentence,
                    "title": c.title,
                    "url": c.url,
                }
                for c in state.candidates
            ],
        },
        ensure_ascii=False,
    )


def decode_state(raw: str) -> PairState:
    data = json.loads(raw)
    return PairState(
        current=data["current"],
        alerted=tuple(data["alerted"]),
        sequence=int(data["sequence"]),
        last_seen=datetime.fromisoformat(data["last_seen"]) if data.get("last_seen") else None,
        candidates=tuple(
            Candidate(**{**c, "published": datetime.fromisoformat(c["published"])})
            for c in data["candidates"]
        ),
    )


class ChangelogError(ValueError):
    """A changelog record could not be read (bad JSON or an unknown schema version)."""


@dataclass(frozen=True)
class Entry:
    """One pair's changelog value."""

    state: PairState
    partition: int  # the stances partition the pair arrives on
    offset: int  # the last stances offset folded into ``state``
    seen: tuple[tuple[str, float], ...] = ()  # (observation id, processed at), oldest first
    fired: tuple[tuple[int, Alert], ...] = ()  # (stances offset that fired it, alert), oldest first


def advance(
    previous: Entry | None,
    state: PairState,
    partition: int,
    offset: int,
    seen: Sequence[tuple[str, float]],
    fired: Sequence[tuple[int, Alert]],
    keep_since: float,
) -> Entry:
    """The entry after a batch folded ``seen`` (firing ``fired``) into a pair, up to ``offset``."""
    old_seen = previous.seen if previous is not None else ()
    old_fired = previous.fired if previous is not None else ()
    kept = [(i, at) for i, at in (*old_seen, *seen) if at >= keep_since]
    return Entry(
        state=state,
        partition=partition,
        offset=offset,
        seen=tuple(kept[-SEEN_KEEP:]),
        fired=(*old_fired, *fired)[-FIRED_KEEP:],
    )


def unfinished(entry: Entry, committed: int | None) -> list[Alert]:
    """Alerts fired by input records the group has not committed (all of them when nothing is)."""
    return [a for off, a in entry.fired if committed is None or off >= committed]


def encode(entry: Entry) -> bytes:
    """The wire form: JSON with a schema version (the state as ``encode_state`` writes it)."""
    return json.dumps(
        {
            "schema_version": SCHEMA_VERSION,
            "state": json.loads(encode_state(entry.state)),
            "partition": entry.partition,
            "offset": entry.offset,
            "seen": [list(s) for s in entry.seen],
            "fired": [[off, json.loads(a.encode())] for off, a in entry.fired],
        },
        ensure_ascii=False,
    ).encode("utf-8")


def decode_entry(raw: bytes) -> Entry:
    """Read a changelog value; raises ChangelogError for one this build cannot read."""
    try:
        data = json.loads(raw)
        if data.get("schema_version") != SCHEMA_VERSION:
            raise ChangelogError(f"unknown changelog schema version {data.get('schema_version')!r}")
        return Entry(
            state=decode_state(json.dumps(data["state"])),
            partition=int(data["partition"]),
            offset=int(data["offset"]),
            seen=tuple((str(i), float(at)) for i, at in data["seen"]),
            fired=tuple((int(off), decode(Alert, json.dumps(a).encode())) for off, a in data["fired"]),
        )
    except (ValueError, KeyError, TypeError, AttributeError, MessageError) as exc:
        if isinstance(exc, ChangelogError):
            raise
        raise ChangelogError(f"unreadable changelog record: {type(exc).__name__}: {exc}") from exc
