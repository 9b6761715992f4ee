"""stancewatch replay: timeline parsing, scoring, and a run through the real broker and both stages
(the processors stage with a keyword fake model in place of the transformer)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from alerts.channels.jsonl import JsonlNotifier
from core import baseline as core_baseline
from core.messages import Alert, Evidence, decode
from stancewatch import replay
from stancewatch.replay_score import Label, score
from tests.keyword_model import KeywordModel

from .helpers import T0, baseline


def write_timeline(path: Path, rows: Sequence[dict[str, object]]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\nnot json\n", encoding="utf-8")
    return path


def test_timeline_orders_by_date_and_counts_undated_and_bad(tmp_path: Path) -> None:
    rows = [
        {"id": "b", "text": "x", "date": "2019-03-01"},
        {"id": "a", "text": "x", "date": "2018-05"},
        {"id": "u", "text": "x", "date": None},
        {"id": "c", "text": "x", "date": "2018-05-01"},
        {"text": "no id"},
    ]
    path = write_timeline(tmp_path / "t.jsonl", rows)
    skip = replay.load_timeline(path)
    assert [a.id for a in skip.articles] == ["a", "c", "b"]
    assert (skip.undated, skip.bad) == (1, 2)
    assert skip.articles[0].published == skip.articles[0].fetched_at
    last = replay.load_timeline(path, "last")
    assert [a.id for a in last.articles][-1] == "u"
    assert last.articles[-1].published > last.articles[-2].published


ROUND = {
    "record": "ingest_round", "source": "desk:feeds.yaml", "scheduled": 27, "polled": 27, "ok": 24,
    "failed": 3, "new_items": 12, "ended_at": "2019-03-01T06:00:00Z", "poll_interval_s": 900,
}  # fmt: skip
RECEIPT = {"record": "delivery", "alert_id": "x1", "channel": "slack", "state": "delivered", "attempts": 1,
           "at": "2019-03-01T06:01:00Z"}  # fmt: skip


def test_timeline_carries_rounds_and_receipts_and_counts_bad_ones(tmp_path: Path) -> None:
    rows = [
        {"id": "a", "text": "x", "date": "2019-03-01"},
        ROUND,
        RECEIPT,
        {**RECEIPT, "state": "lost"},  # not a delivery state
        {**ROUND, "ok": -1},
        {"record": "weather", "at": "2019-03-01"},
    ]
    timeline = replay.load_timeline(write_timeline(tmp_path / "t.jsonl", rows))
    assert [a.id for a in timeline.articles] == ["a"] and timeline.bad == 4  # 3 bad records + "not json"
    [feeds] = timeline.rounds
    assert (feeds.source, feeds.ok, feeds.failed, feeds.ended_at.hour) == ("desk:feeds.yaml", 24, 3, 6)
    [receipt] = timeline.receipts
    assert (receipt.alert_id, receipt.channel, receipt.state) == ("x1", "slack", "delivered")


def _alert(kind: str, country: str, topic: str, new: str, url: str) -> Alert:
    return Alert(
        id=f"{kind}{country}{topic}{new}",
        kind=kind,  # type: ignore[arg-type]
        country=country,
        topic=topic,
        baseline_stance="oppose",
        new_stance=new,  # type: ignore[arg-type]
        confidence=0.9,
        evidence=(Evidence(sentence="s", url=url),),
        detected_at=T0,
    )


def test_score_precision_and_recall() -> None:
    labels = [
        Label("1", "https://a.example/1", "RU", "sanctions", "support", "true"),
        Label("2", "https://a.example/2", "RU", "sanctions", "support", "true"),
        Label("3", "https://a.example/3", "CN", "thaad", "neutral", "true"),
        Label("4", "https://a.example/4", "US", "thaad", "support", "false"),
        Label("5", "https://a.example/5", "KP", "sanctions", "oppose", "unknown-baseline"),
    ]
    alerts = [
        _alert("reversal", "RU", "sanctions", "support", "http://www.a.example/1/"),
        _alert("reversal", "US", "thaad", "oppose", "https://a.example/4"),  # label not changed: false
        _alert("new_position", "JP", "thaad", "support", "https://a.example/9"),  # kind not scored
        _alert("shift", "KP", "sanctions", "oppose", "https://a.example/5"),  # undecided by the labels
    ]
    s = score(alerts, labels)
    assert (s.alerts, s.true_positives, s.undecided) == (3, 1, 1)
    assert s.precision == pytest.approx(1 / 3) and s.precision_known == 0.5
    assert s.event_recall == 0.5 and s.label_recall == pytest.approx(2 / 3)
    assert s.missed == (("CN", "thaad", "neutral"),)


@pytest.mark.integration
def test_replay_through_broker_and_both_stages(
    kafka_bootstrap: str, make_settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    import processors.commands

    monkeypatch.setattr(processors.commands, "load_model", lambda settings: KeywordModel())
    rows = [  # made-up texts; out of order on purpose
        {
            "id": "n3",
            "date": "2020-03-01",
            "url": "https://c.example/3",
            "text": "Russia rejects new sanctions.",
        },
        {
            "id": "n1",
            "date": "2020-01-01",
            "url": "https://a.example/1",
            "text": "Russia welcomes sanctions.",
        },
        {"id": "n2", "date": "2020-02-01", "url": "https://b.example/2", "text": "Japan hosts a trade fair."},
        {"id": "n0", "date": None, "text": "Russia welcomes sanctions again."},
    ]
    timeline = replay.load_timeline(write_timeline(tmp_path / "t.jsonl", rows))
    out = tmp_path / "alerts.jsonl"
    settings = replay.replay_settings(make_settings(kafka_bootstrap=kafka_bootstrap), tmp_path / "state", out)
    base = baseline(("RU", "sanctions", "oppose"))
    fired = replay.run(settings, timeline, base, {"jsonl": JsonlNotifier(out)}, Console(stderr=True), 300)
    assert [(a.kind, a.new_stance) for a in fired] == [("reversal", "support"), ("reverted", "oppose")]
    assert fired[0].detected_at.year == 2020 and fired[0].detected_at.month == 1  # article time
    assert fired[1].detected_at.month == 3
    written = [decode(Alert, line.encode()) for line in out.read_text().splitlines()]
    assert [a.id for a in written] == [a.id for a in fired]


@pytest.mark.integration
def test_replay_command_writes_alerts_and_scores(
    kafka_bootstrap: str, make_settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    import processors.commands

    monkeypatch.setattr(processors.commands, "load_model", lambda settings: KeywordModel())
    settings = make_settings(kafka_bootstrap=kafka_bootstrap)
    app = typer.Typer()

    @app.callback()
    def root(ctx: typer.Context) -> None:
        ctx.obj = settings

    replay.register(app)
    rows = [
        {
            "id": "g1",
            "date": "2021-05-02",
            "url": "https://a.example/g1",
            "text": "Russia welcomes sanctions.",
            "labels": [{"country": "RU", "topic": "sanctions", "stance": "support", "changed": "true"}],
        },
    ]
    timeline = write_timeline(tmp_path / "t.jsonl", rows)
    base = tmp_path / "b.yaml"
    core_baseline.save(baseline(("RU", "sanctions", "oppose")), base)
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(
        app, ["replay", str(timeline), "--baseline", str(base), "-o", str(out), "--score", str(timeline)]
    )
    assert result.exit_code == 0, result.output
    assert decode(Alert, out.read_text().splitlines()[0].encode()).kind == "reversal"
    assert '"precision": 1.0' in result.output and '"event_recall": 1.0' in result.output
    assert "invalid lines 1" in result.output
