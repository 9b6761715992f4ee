"""Small builders shared by the alerts tests (made-up text only)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.baseline import Baseline, Position
from core.messages import Alert, Evidence, StanceObservation

T0 = datetime(2020, 1, 1, tzinfo=UTC)


def obs(
    stance: str,
    *,
    country: str = "RU",
    topic: str = "sanctions",
    source: str = "a.example",
    hours: float = 0.0,
    confidence: float = 0.7,
    article: str | None = None,
    evidence: str = "A made-up sentence.",
    title: str = "A made-up title",
) -> StanceObservation:
    when = T0 + timedelta(hours=hours)
    return StanceObservation(
        article_id=article or f"{source}-{hours}-{stance}",
        url=f"https://{source}/story/{int(hours)}",
        title=title,
        published=when,
        country=country,
        topic=topic,
        stance=stance,  # type: ignore[arg-type]
        confidence=confidence,
        evidence=evidence,
        model_version="test",
        source=source,
    )


def baseline(*entries: tuple[str, str, str]) -> Baseline:
    return Baseline(
        positions=tuple(
            Position(country=c, topic=t, stance=s, evidence=f"{c} {t} {s}") for c, t, s in entries
        )  # type: ignore[arg-type]
    )


def alert(
    *,
    sentence: str = "A made-up sentence.",
    title: str = "A made-up title",
    url: str = "https://news.example/a",
    n_evidence: int = 1,
    alert_id: str = "a1",
) -> Alert:
    return Alert(
        id=alert_id,
        kind="reversal",
        country="RU",
        topic="sanctions",
        baseline_stance="oppose",
        new_stance="support",
        confidence=0.93,
        evidence=tuple(
            Evidence(sentence=sentence, title=title, url=url, published=T0, confidence=0.9)
            for _ in range(n_evidence)
        ),
        baseline_evidence="Baseline made-up evidence.",
        detected_at=T0,
    )
