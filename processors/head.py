"""Stance queries, their scores and the calibrated head that maps NLI logits to a stance: pure arithmetic.

The head (``StanceHead``) takes the two hypotheses' entailment/neutral/contradiction logits, divides them
by a temperature, turns them into log-probabilities and applies a 4x7 multinomial logistic layer
(support, oppose, neutral, none). Fitting it needs torch and lives in ``processors.model``; applying it
does not, so the pipeline and the tests use these values without loading the model.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

NLI_ID2LABEL = {0: "entailment", 1: "neutral", 2: "contradiction"}
STANCES = ("support", "oppose", "neutral", "none")
HEAD_FILE = "stance_head.json"


class ModelError(RuntimeError):
    """The model cannot be loaded or used; the message is one line saying what to fix."""


@dataclass(frozen=True)
class StanceQuery:
    sentence: str  # the evidence sentence
    context: str  # neighbouring sentence(s), may be ""
    country: str  # code: US RU CN KR KP JP
    topic: str  # topic id from topics.yaml


@dataclass(frozen=True)
class StanceScores:
    """Calibrated probabilities summing to 1; ``none`` = the sentence does not address the pair."""

    support: float
    oppose: float
    neutral: float
    none: float

    def best(self) -> tuple[str, float]:
        return max(zip(STANCES, self.as_tuple(), strict=True), key=lambda kv: kv[1])

    def as_tuple(self) -> tuple[float, float, float, float]:
        return (self.support, self.oppose, self.neutral, self.none)


def heuristic_weights() -> tuple[tuple[float, ...], ...]:
    # Features: log-probs (E, N, C) of the support hypothesis, then of the oppose hypothesis, then bias.
    return (
        (1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0),  # support: support-hyp entailed, oppose-hyp contradicted
        (0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0),  # oppose
        (0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0),  # neutral and none share the both-neutral mass
        (0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0),
    )


@dataclass(frozen=True)
class StanceHead:
    """Maps the two hypotheses' NLI logits to calibrated stance probabilities (pure arithmetic)."""

    temperature: float = 1.0
    weights: tuple[tuple[float, ...], ...] = field(default_factory=heuristic_weights)
    version: str = "uncalibrated"

    def features(self, sup: Sequence[float], opp: Sequence[float]) -> list[float]:
        return [
            *log_softmax([x / self.temperature for x in sup]),
            *log_softmax([x / self.temperature for x in opp]),
            1.0,
        ]

    def scores(self, sup: Sequence[float], opp: Sequence[float]) -> StanceScores:
        feats = self.features(sup, opp)
        raw = [sum(w * f for w, f in zip(row, feats, strict=True)) for row in self.weights]
        probs = [math.exp(x) for x in log_softmax(raw)]
        return StanceScores(*probs)

    def to_json(self) -> str:
        return json.dumps(
            {
                "temperature": self.temperature,
                "weights": self.weights,
                "version": self.version,
                "stances": STANCES,
                "nli_order": list(NLI_ID2LABEL.values()),
            },
            indent=2,
        )

    @classmethod
    def from_file(cls, path: Path) -> StanceHead:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            weights = tuple(tuple(float(x) for x in row) for row in raw["weights"])
            if len(weights) != 4 or any(len(r) != 7 for r in weights):
                raise ValueError("weights must be 4 rows of 7")
            return cls(float(raw["temperature"]), weights, str(raw.get("version", "unknown")))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelError(f"bad stance head file {path}: {exc}") from None


def log_softmax(xs: Sequence[float]) -> list[float]:
    top = max(xs)
    log_sum = top + math.log(sum(math.exp(x - top) for x in xs))
    return [x - log_sum for x in xs]
