"""Per-article aggregation of sentence judgements into one stance per (country, topic) (pure).

Rules, applied to the judgements of one article:

- A judgement counts when its label is support, oppose or neutral and its confidence reaches
  ``min_confidence``; "none" (the sentence does not take up the pair) never counts.
- A pair with at least one side (support/oppose) takes the side of its strongest judgement: conflicting
  evidence is resolved by confidence, and both sides are kept as evidence, strongest first.
- A pair with only neutral judgements is neutral (the text takes it up without a side).
- Pairs without a counting judgement are left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

SIDES = ("support", "oppose")
LABELS = ("support", "oppose", "neutral", "none")


@dataclass(frozen=True)
class Judgement:
    """The model's reading of one candidate: its best label and that label's calibrated probability."""

    index: int  # sentence index in the article
    sentence: str
    country: str
    topic: str
    label: str  # support | oppose | neutral | none
    confidence: float


@dataclass(frozen=True)
class EvidenceItem:
    sentence: str
    stance: str
    confidence: float
    index: int


@dataclass(frozen=True)
class PairStance:
    """An article's stance on one (country, topic) with the evidence behind it (strongest first)."""

    country: str
    topic: str
    stance: str  # support | oppose | neutral
    confidence: float
    evidence: tuple[EvidenceItem, ...]

    @property
    def sentence(self) -> str:
        """The sentence that decided the stance."""
        return self.evidence[0].sentence

    @property
    def conflicting(self) -> tuple[EvidenceItem, ...]:
        """Evidence for the other side, kept for the reader."""
        return tuple(e for e in self.evidence if e.stance in SIDES and e.stance != self.stance)


def aggregate(
    judgements: Sequence[Judgement], min_confidence: float, max_evidence: int = 3
) -> tuple[PairStance, ...]:
    """One PairStance per (country, topic) that the judgements establish, sorted by country then topic.

    ``max_evidence`` caps the evidence kept per stance label (the decisive sentence is always first).
    """
    by_pair: dict[tuple[str, str], list[Judgement]] = {}
    for j in judgements:
        if j.label == "none" or j.confidence < min_confidence:
            continue
        by_pair.setdefault((j.country, j.topic), []).append(j)
    out: list[PairStance] = []
    for (country, topic), items in sorted(by_pair.items()):
        # strongest first; among equals the earlier sentence
        items.sort(key=lambda j: (-j.confidence, j.index))
        sides = [j for j in items if j.label in SIDES]
        decisive = sides[0] if sides else items[0]
        kept: list[Judgement] = [decisive]
        for label in (decisive.label, *(x for x in SIDES if x != decisive.label)):
            same = [j for j in (sides if sides else items) if j.label == label and j is not decisive]
            kept.extend(same[: max_evidence - (1 if label == decisive.label else 0)])
        evidence = tuple(EvidenceItem(j.sentence, j.label, round(j.confidence, 4), j.index) for j in kept)
        out.append(PairStance(country, topic, decisive.label, round(decisive.confidence, 4), evidence))
    return tuple(out)
