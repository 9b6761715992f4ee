"""Scoring predicted stances against hand labels in the korea-news-dev format (pure, plus two readers).

The unit scored is the triple (item id, country, topic, stance) with stance support or oppose:

- true positive: a predicted side that an explicit label gives for that item and pair;
- optional: a predicted side that matches an implied label (``basis: implied``: it needs outside
  knowledge): neither credited nor penalised, and an implied label not found is no miss;
- false positive: any other predicted side, including one where the label is neutral, one of the wrong
  side, and any side on an item with no labels (a negative item);
- false negative: an explicit labelled side that was not predicted.

A label without ``basis`` is explicit (the earlier format, and the project's own sets).

Neutral predictions are not scored as triples but appear in the confusion table, which crosses the
label of every labelled or predicted pair (support/oppose/neutral/none) with the prediction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from core.files import cannot_read

SIDES = ("support", "oppose")
CONFUSION_LABELS = ("support", "oppose", "neutral", "none")


class EvaluationError(ValueError):
    """A gold or prediction file is unreadable or malformed; the message is one line."""


@dataclass(frozen=True)
class Triple:
    id: str
    country: str
    topic: str
    stance: str


@dataclass(frozen=True)
class GoldItem:
    id: str
    text: str
    title: str
    labels: tuple[Triple, ...]  # every label, neutral included
    implied: tuple[Triple, ...] = ()  # the labels whose basis is "implied" (also in ``labels``)


@dataclass(frozen=True)
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True)
class Report:
    overall: Counts
    by_country: Mapping[str, Counts]
    by_topic: Mapping[str, Counts]
    confusion: Mapping[tuple[str, str], int]  # (gold label, predicted label) -> pairs
    negative_items: int
    negative_false_positives: int
    optional_matched: int = 0  # predicted sides that matched an implied label (not scored)
    true_positives: tuple[Triple, ...] = field(default=())
    false_positives: tuple[Triple, ...] = field(default=())
    false_negatives: tuple[Triple, ...] = field(default=())


def _add(counts: dict[str, Counts], key: str, tp: int = 0, fp: int = 0, fn: int = 0) -> None:
    c = counts.get(key, Counts())
    counts[key] = Counts(c.tp + tp, c.fp + fp, c.fn + fn)


def score(gold: Sequence[GoldItem], predicted: Iterable[Triple]) -> Report:
    """Score ``predicted`` (any stances; only sides are scored) against ``gold``.

    Predictions for ids that are not in ``gold`` are ignored (they cannot be judged).
    """
    gold_ids = {g.id for g in gold}
    label_of: dict[tuple[str, str, str], str] = {
        (t.id, t.country, t.topic): t.stance for g in gold for t in g.labels
    }
    implied = {(t.id, t.country, t.topic, t.stance) for g in gold for t in g.implied}
    optional = 0
    pred_of: dict[tuple[str, str, str], str] = {}
    for p in predicted:
        if p.id in gold_ids:
            pred_of[(p.id, p.country, p.topic)] = p.stance
    negatives = {g.id for g in gold if not g.labels}
    tps: list[Triple] = []
    fps: list[Triple] = []
    fns: list[Triple] = []
    for key in sorted(set(label_of) | set(pred_of)):
        gold_label, pred_label = label_of.get(key, "none"), pred_of.get(key, "none")
        if (*key, gold_label) in implied:
            optional += pred_label == gold_label
            if pred_label in SIDES and pred_label != gold_label:
                fps.append(Triple(*key, pred_label))
            continue
        if pred_label in SIDES:
            (tps if pred_label == gold_label else fps).append(Triple(*key, pred_label))
        if gold_label in SIDES and pred_label != gold_label:
            fns.append(Triple(*key, gold_label))
    by_country: dict[str, Counts] = {}
    by_topic: dict[str, Counts] = {}
    for bucket, kind in ((tps, "tp"), (fps, "fp"), (fns, "fn")):
        for t in bucket:
            _add(by_country, t.country, **{kind: 1})
            _add(by_topic, t.topic, **{kind: 1})
    confusion: dict[tuple[str, str], int] = {}
    for key in set(label_of) | set(pred_of):
        cell = (label_of.get(key, "none"), pred_of.get(key, "none"))
        confusion[cell] = confusion.get(cell, 0) + 1
    return Report(
        overall=Counts(len(tps), len(fps), len(fns)),
        by_country=dict(sorted(by_country.items())),
        by_topic=dict(sorted(by_topic.items())),
        confusion=confusion,
        negative_items=len(negatives),
        negative_false_positives=sum(1 for t in fps if t.id in negatives),
        optional_matched=optional,
        true_positives=tuple(tps),
        false_positives=tuple(fps),
        false_negatives=tuple(fns),
    )


def _jsonl(path: Path) -> Iterable[tuple[int, dict[str, object]]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise EvaluationError(cannot_read(path, exc)) from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvaluationError(f"{path}:{number}: not JSON: {exc.msg}") from None
        if not isinstance(row, dict) or not isinstance(row.get("id"), str):
            raise EvaluationError(f"{path}:{number}: expected an object with a string id")
        yield number, row


def load_gold(path: Path) -> list[GoldItem]:
    """Read labelled items (korea-news-dev format: id, text, title, labels[{country, topic, stance,
    basis?}]); ``basis`` is "explicit" (the default) or "implied"."""
    items: list[GoldItem] = []
    for number, row in _jsonl(path):
        labels = row.get("labels") or []
        if not isinstance(labels, list):
            raise EvaluationError(f"{path}:{number}: labels must be a list")
        triples, implied = [], []
        for label in labels:
            if not isinstance(label, dict) or not all(
                isinstance(label.get(k), str) for k in ("country", "topic", "stance")
            ):
                raise EvaluationError(f"{path}:{number}: each label needs country, topic and stance")
            basis = label.get("basis", "explicit")
            if basis not in ("explicit", "implied"):
                raise EvaluationError(f"{path}:{number}: basis must be explicit or implied, not {basis!r}")
            triple = Triple(str(row["id"]), label["country"], label["topic"], label["stance"])
            triples.append(triple)
            if basis == "implied":
                implied.append(triple)
        items.append(
            GoldItem(
                str(row["id"]),
                str(row.get("text") or ""),
                str(row.get("title") or ""),
                tuple(triples),
                tuple(implied),
            )
        )
    return items


def load_predictions(path: Path) -> list[Triple]:
    """Read ``stancewatch classify`` output (lines with an ``error`` instead of stances predict nothing)."""
    triples: list[Triple] = []
    for number, row in _jsonl(path):
        stances = row.get("stances") or []
        if not isinstance(stances, list):
            raise EvaluationError(f"{path}:{number}: stances must be a list")
        for s in stances:
            if not isinstance(s, dict) or not all(
                isinstance(s.get(k), str) for k in ("country", "topic", "stance")
            ):
                raise EvaluationError(f"{path}:{number}: each stance needs country, topic and stance")
            triples.append(Triple(str(row["id"]), s["country"], s["topic"], s["stance"]))
    return triples
