"""Scoring replayed alerts against hand labels (korea-news-dev format), pure.

An alert of kind ``reversal`` or ``shift`` is a true positive when one of its evidence articles (matched
by URL) carries a label for the alert's (country, topic) with ``changed: "true"`` and the alert's new
stance. Recall is reported two ways over the replayed (dated) items' changed labels:

- ``event recall``: distinct changes (country, topic, new stance) that some true-positive alert reports;
- ``label recall``: changed labels whose (country, topic, stance) some true-positive alert reports
  (hysteresis means one alert covers every later label of the same change).

Strict precision counts every other alert as false. ``precision_known`` leaves out alerts whose evidence
articles label the pair only ``changed: "unknown-baseline"`` (the labeller found no baseline position, so
such an alert is neither right nor wrong by the labels).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from core.messages import Alert

SCORED_KINDS = ("reversal", "shift")


@dataclass(frozen=True)
class Label:
    item: str
    url: str
    country: str
    topic: str
    stance: str
    changed: str


@dataclass(frozen=True)
class Score:
    alerts: int
    true_positives: int
    precision: float
    event_recall: float
    label_recall: float
    events: int
    labels: int
    precision_known: float = 0.0
    undecided: int = 0
    missed: tuple[tuple[str, str, str], ...] = ()
    false: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, object]:
        return {
            "alerts_scored": self.alerts,
            "true_positives": self.true_positives,
            "precision": round(self.precision, 3),
            "precision_known": round(self.precision_known, 3),
            "undecided_alerts": self.undecided,
            "event_recall": round(self.event_recall, 3),
            "label_recall": round(self.label_recall, 3),
            "changed_events": self.events,
            "changed_labels": self.labels,
            "missed_events": [list(m) for m in self.missed],
            "false_alerts": list(self.false),
        }


def load_labels(path: Path, items: Iterable[str] | None = None) -> list[Label]:
    """Labels of the gold file, restricted to ``items`` (the ids that were replayed) when given."""
    wanted = set(items) if items is not None else None
    out: list[Label] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue  # blank or broken lines carry no labels (the replay counted them already)
        if not isinstance(row, dict) or "id" not in row:
            continue
        if wanted is not None and str(row["id"]) not in wanted:
            continue
        for lab in row.get("labels") or []:
            out.append(
                Label(
                    str(row["id"]),
                    row.get("url") or "",
                    lab["country"],
                    lab["topic"],
                    lab["stance"],
                    str(lab.get("changed")),
                )
            )
    return out


def _norm(url: str) -> str:
    return url.strip().rstrip("/").removeprefix("https://").removeprefix("http://").removeprefix("www.")


def score(alerts: Sequence[Alert], labels: Sequence[Label]) -> Score:
    changed = [lab for lab in labels if lab.changed == "true"]
    by_url: dict[str, list[Label]] = {}
    for lab in labels:
        by_url.setdefault(_norm(lab.url), []).append(lab)
    scored = [a for a in alerts if a.kind in SCORED_KINDS]
    hits: set[tuple[str, str, str]] = set()
    false: list[str] = []
    undecided = 0
    for a in scored:
        pair = [
            lab
            for ev in a.evidence
            for lab in by_url.get(_norm(ev.url), [])
            if lab.country == a.country and lab.topic == a.topic
        ]
        if any(lab.changed == "true" and lab.stance == a.new_stance for lab in pair):
            hits.add((a.country, a.topic, a.new_stance))
            continue
        if pair and all(lab.changed == "unknown-baseline" for lab in pair):
            undecided += 1
        false.append(f"{a.kind} {a.country}:{a.topic} -> {a.new_stance}")
    events = {(lab.country, lab.topic, lab.stance) for lab in changed}
    tp = len(scored) - len(false)
    covered = [lab for lab in changed if (lab.country, lab.topic, lab.stance) in hits]
    return Score(
        alerts=len(scored),
        true_positives=tp,
        precision=tp / len(scored) if scored else 0.0,
        precision_known=tp / (len(scored) - undecided) if len(scored) > undecided else 0.0,
        undecided=undecided,
        event_recall=len(events & hits) / len(events) if events else 0.0,
        label_recall=len(covered) / len(changed) if changed else 0.0,
        events=len(events),
        labels=len(changed),
        missed=tuple(sorted(events - hits)),
        false=tuple(false),
    )
