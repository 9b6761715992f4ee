"""Builders shared by the board tests (made-up text only)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.baseline import Baseline, Position
from core.messages import Alert, Evidence, StanceObservation

T0 = datetime(2021, 3, 1, tzinfo=UTC)


def obs(
    stance: str = "support",
    *,
    country: str = "RU",
    topic: str = "sanctions",
    source: str = "a.example",
    hours: float = 0.0,
    confidence: float = 0.9,
    sentence: str = "A made-up sentence.",
    title: str = "A made-up title",
    url: str | None = None,
) -> StanceObservation:
    return StanceObservation(
        article_id=f"{source}-{hours}",
        url=url if url is not None else f"https://{source}/story/{int(hours)}",
        title=title,
        published=T0 + timedelta(hours=hours),
        country=country,
        topic=topic,
        stance=stance,  # type: ignore[arg-type]
        confidence=confidence,
        evidence=sentence,
        model_version="test",
        source=source,
    )


def alert(
    kind: str = "reversal",
    *,
    country: str = "RU",
    topic: str = "sanctions",
    new: str = "support",
    base: str | None = "oppose",
    hours: float = 0.0,
    sentence: str = "A made-up sentence.",
    title: str = "A made-up title",
) -> Alert:
    return Alert(
        id=f"{kind}-{country}-{topic}-{new}-{hours}",
        kind=kind,  # type: ignore[arg-type]
        country=country,
        topic=topic,
        baseline_stance=base,  # type: ignore[arg-type]
        new_stance=new,  # type: ignore[arg-type]
        confidence=0.9,
        evidence=(Evidence(sentence=sentence, title=title, url="https://a.example/x", published=T0),),
        baseline_evidence=f"Baseline sentence for {country} {topic}.",
        detected_at=T0 + timedelta(hours=hours),
    )


def baseline(*entries: tuple[str, str, str]) -> Baseline:
    return Baseline(
        positions=tuple(
            Position(country=c, topic=t, stance=s, evidence=f"Baseline sentence for {c} {t}.")  # type: ignore[arg-type]
            for c, t, s in entries
        )
    )
