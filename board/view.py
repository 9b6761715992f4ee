"""What the board shows per (country, topic): pure functions over the baseline and the stored alerts.

The *current side* is the alert stage's view, taken from its ``alerts`` topic (the board never imports the
alert stage): after an alert the pair stands at that alert's new stance, and moved by the alert's kind
(reversal, shift, new position) against the baseline; after a ``reverted`` alert, or with no alert at all,
it stands at the baseline's stance. An observation alone never moves a cell: the alert stage decides
what is corroborated.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from board.store import StoredAlert
from core.baseline import Baseline, Position

#: Text shown with each state, so a cell reads without its colour.
MOVED_LABEL: dict[str | None, str] = {
    "reversal": "REVERSED",
    "shift": "SHIFTED",
    "new_position": "NEW POSITION",
    None: "unchanged",
}
STANCE_SIGN: dict[str, str] = {"support": "+", "oppose": "\u2212", "neutral": "0", "mixed": "\u00b1"}


@dataclass(frozen=True)
class Cell:
    """One matrix cell."""

    country: str
    topic: str
    baseline: str | None  # the baseline's stance, None when the baseline has no entry
    current: str | None  # the alert stage's current stance (the baseline's while nothing moved)
    moved: str | None  # kind of the active change: reversal, shift, new_position; None when unmoved
    since: datetime | None  # detection time of the alert that set the current side
    observations: int  # stored observations for the pair (within the page's filters)

    @property
    def key(self) -> str:
        return f"{self.country}:{self.topic}"

    @property
    def label(self) -> str:
        return MOVED_LABEL[self.moved]


def latest_alerts(alerts: Iterable[StoredAlert]) -> dict[tuple[str, str], StoredAlert]:
    """The newest alert per (country, topic) (ties by id, so the result does not depend on order)."""
    out: dict[tuple[str, str], StoredAlert] = {}
    for a in alerts:
        key = (a.country, a.topic)
        old = out.get(key)
        if old is None or (a.detected, a.id) > (old.detected, old.id):
            out[key] = a
    return out


def cell(
    country: str,
    topic: str,
    position: Position | None,
    latest: StoredAlert | None,
    observations: int = 0,
) -> Cell:
    baseline = position.stance if position is not None else None
    if latest is None:
        return Cell(country, topic, baseline, baseline, None, None, observations)
    if latest.kind == "reverted":
        return Cell(country, topic, baseline, baseline, None, latest.detected, observations)
    return Cell(country, topic, baseline, latest.new_stance, latest.kind, latest.detected, observations)


def matrix(
    countries: Sequence[str],
    topics: Sequence[str],
    baseline: Baseline,
    alerts: Iterable[StoredAlert],
    counts: dict[tuple[str, str], int] | None = None,
) -> list[list[Cell]]:
    """Rows of cells, one row per country in ``countries``, one cell per topic in ``topics``."""
    positions = baseline.by_key()
    latest = latest_alerts(alerts)
    counts = counts or {}
    return [
        [cell(c, t, positions.get(f"{c}:{t}"), latest.get((c, t)), counts.get((c, t), 0)) for t in topics]
        for c in countries
    ]


def all_topics(known: Sequence[str], baseline: Baseline, seen: Iterable[str] = ()) -> list[str]:
    """``known`` first, then topics only the baseline or the data mention (so nothing is hidden)."""
    out = list(dict.fromkeys(known))
    for t in [*(p.topic for p in baseline.positions), *seen]:
        if t not in out:
            out.append(t)
    return out
