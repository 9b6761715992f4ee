"""The sample alert ``stancewatch notify-test`` sends (made-up text, safe to show anywhere)."""

from __future__ import annotations

from datetime import UTC, datetime

from core.messages import Alert, Evidence


def sample_alert(now: datetime | None = None) -> Alert:
    when = now or datetime.now(UTC)
    return Alert(
        id="test-" + when.strftime("%Y%m%dT%H%M%S"),
        kind="reversal",
        country="RU",
        topic="sanctions",
        baseline_stance="oppose",
        new_stance="support",
        confidence=0.99,
        evidence=(
            Evidence(
                sentence="This is a stancewatch test alert; no stance has changed.",
                title="stancewatch notify-test",
                url="https://example.invalid/stancewatch/notify-test",
                published=when,
                confidence=0.99,
            ),
        ),
        baseline_evidence="(test) the baseline's evidence sentence appears here.",
        detected_at=when,
    )
