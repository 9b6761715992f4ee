"""Positions a reference article establishes, for ``stancewatch baseline build`` (pure).

The baseline is derived from the article's text by the same classifier that reads the stream; nothing
else (in particular no hand reading of the article) is consulted. Sides (support/oppose) become
positions; neutral readings are left out unless asked for, since the alert stage treats a pair absent
from the baseline as "not established" and a neutral entry would turn every later side into a shift.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from core.baseline import Baseline, Position, built_now
from processors.pipeline import ArticleStances


def positions(result: ArticleStances, include_neutral: bool = False) -> list[Position]:
    return [
        Position(
            country=s.country,
            topic=s.topic,
            stance=s.stance,  # type: ignore[arg-type]
            confidence=s.confidence,
            evidence=s.sentence,
        )
        for s in result.stances
        if include_neutral or s.stance != "neutral"
    ]


def build(
    article: Path, result: ArticleStances, model_version: str, when: datetime, include_neutral: bool = False
) -> Baseline:
    return built_now(article, model_version, positions(result, include_neutral), when)
