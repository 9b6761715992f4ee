"""The detector on real labelled history, with the labels as a perfect classifier.

With the baseline the labeller assumed (each label's ``baseline_stance``) and every label as a
confident observation in date order, reversal/shift alerts must match the ``changed: "true"`` labels
exactly: this isolates the alert stage (kinds, hysteresis, reverts, scoring) from classifier errors.
"""

from __future__ import annotations

import json
from pathlib import Path

from alerts.detect import DetectConfig
from alerts.service import fold
from core.baseline import Baseline, Position
from core.messages import StanceObservation
from stancewatch.replay import load_timeline
from stancewatch.replay_score import load_labels, score


def test_oracle_observations_give_perfect_change_alerts(shared_dir: Path) -> None:
    data = shared_dir / "data" / "korea-news-dev" / "korea-news-dev.jsonl"
    rows = {r["id"]: r for r in map(json.loads, data.read_text(encoding="utf-8").splitlines())}
    assumed: dict[tuple[str, str], str] = {}
    for row in rows.values():
        for lab in row["labels"]:
            if lab.get("baseline_stance"):
                assumed.setdefault((lab["country"], lab["topic"]), lab["baseline_stance"])
    base = Baseline(positions=tuple(Position(country=c, topic=t, stance=s) for (c, t), s in assumed.items()))  # type: ignore[arg-type]
    timeline = load_timeline(data)
    observations = [
        StanceObservation(
            article_id=a.id,
            url=a.url,
            published=a.published,
            country=lab["country"],
            topic=lab["topic"],
            stance=lab["stance"],
            confidence=0.95,
            evidence="(label)",
            model_version="oracle",
        )
        for a in timeline.articles
        for lab in rows[a.id]["labels"]
    ]
    alerts = fold({}, base, observations, DetectConfig())
    result = score(alerts, load_labels(data, [a.id for a in timeline.articles]))
    assert result.events > 0
    assert (result.precision, result.event_recall, result.label_recall) == (1.0, 1.0, 1.0), result.false
