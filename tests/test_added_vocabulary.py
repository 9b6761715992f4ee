"""A country and a topic added in the operator's vocabulary files work end to end, with in-memory twins
(no real model, no broker): classify asks the model about them by name, their observations and alerts
travel as messages, the alert stage detects a change against a baseline that names them, and the board
shows their row and column."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
import typer
from starlette.testclient import TestClient
from typer.testing import CliRunner

from alerts import baseline as alert_baseline
from alerts.detect import DetectConfig, PairState, step
from board.runtime import BoardRuntime
from core import baseline as core_baseline
from core.baseline import BaselineError
from core.messages import Alert, StanceObservation, decode
from core.metrics import new_registry
from core.settings import Settings
from core.vocabulary import load_vocabulary
from processors import commands
from processors.head import StanceHead
from processors.model import StanceModel

INDIA = """\
countries:
  IN:
    name: India
    aliases: [India, Indian, New Delhi, Modi]
"""
PORT_CALLS = """\
  port_calls:
    description: port calls by North Korean ships
    support: favours letting North Korean ships call at its ports
    oppose: opposes North Korean ships calling at its ports
    cues: [port call, port calls]
    participants: [KP]
"""
T0 = datetime(2026, 12, 1, tzinfo=UTC)


class KeywordEncoder:
    """NLI logits from words: the hypothesis is entailed when the premise marks a country ("[New Delhi]")
    and its verb agrees with the hypothesis' (oppose/opposes, support/favours), contradicted when they
    disagree; records every (premise, hypothesis) pair it is asked."""

    def __init__(self) -> None:
        self.pairs: list[tuple[str, str]] = []

    def logits(self, pairs: Sequence[tuple[str, str]], batch_size: int = 32) -> list[tuple[float, ...]]:
        self.pairs += pairs
        out: list[tuple[float, ...]] = []
        for premise, hyp in pairs:
            said = "oppose" if " oppose" in premise else "support" if " support" in premise else None
            asked = "oppose" if " opposes " in hyp else "support"
            if "[" not in premise or said is None:
                out.append((-4.0, 4.0, -4.0))
            else:
                out.append((4.0, 0.0, -4.0) if said == asked else (-4.0, 0.0, 4.0))
        return out


@pytest.fixture
def settings(make_settings, tmp_path: Path) -> Settings:  # type: ignore[no-untyped-def]
    countries = tmp_path / "countries.yaml"
    countries.write_text(INDIA, encoding="utf-8")
    topics = tmp_path / "topics.yaml"
    shipped = (Path(__file__).resolve().parent.parent / "core" / "topics.yaml").read_text(encoding="utf-8")
    topics.write_text(shipped + PORT_CALLS, encoding="utf-8")
    built: Settings = make_settings(
        countries_file=countries, topics_file=topics, baseline_path=tmp_path / "baseline.yaml"
    )
    return built


def test_an_added_country_and_topic_go_through_classify_alerts_and_board(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    vocabulary = load_vocabulary(settings.countries_file, settings.topics_file)
    assert vocabulary.country_codes[-1] == "IN" and vocabulary.topic_ids[-1] == "port_calls"
    encoder = KeywordEncoder()
    model = StanceModel(
        encoder,  # type: ignore[arg-type]
        StanceHead(),
        "keyword-nli",
        {t.id: t for t in vocabulary.topics},
        vocabulary.country_names,
    )
    monkeypatch.setattr(commands, "load_model", lambda _settings: model)
    app = typer.Typer()

    @app.callback()
    def root(ctx: typer.Context) -> None:
        ctx.obj = settings

    commands.register(app)
    lines = [
        {"id": "a", "text": "New Delhi opposes new sanctions on North Korea.", "url": "https://a.example/1"},
        {"id": "b", "text": "India supports port calls by North Korean ships.", "url": "https://b.example/2"},
    ]
    result = CliRunner().invoke(app, ["classify", "-"], input="\n".join(map(json.dumps, lines)) + "\n")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    found = {(s["country"], s["topic"], s["stance"]) for row in rows for s in row["stances"]}
    assert ("IN", "sanctions", "oppose") in found and ("IN", "port_calls", "support") in found
    # the model was asked about India by the name the vocabulary gives, in the shipped phrasing
    hypotheses = {h for _, h in encoder.pairs}
    assert (
        "India opposes new, expanded or continued sanctions on North Korea, or wants them eased."
        in hypotheses
    )
    assert "India favours letting North Korean ships call at its ports." in hypotheses
    assert any(p.startswith("[New Delhi] opposes") for p, _ in encoder.pairs)

    # the observation and the alert are messages like any other
    row = next(r for r in rows if r["id"] == "a")
    stance = next(s for s in row["stances"] if s["topic"] == "sanctions")
    observation = StanceObservation(
        article_id="a",
        url=lines[0]["url"],
        published=T0,
        country=stance["country"],
        topic=stance["topic"],
        stance=stance["stance"],
        confidence=max(stance["confidence"], 0.9),
        evidence=stance["evidence"],
        model_version=model.version,
    )
    observation = decode(StanceObservation, observation.encode())
    assert observation.key() == "IN:sanctions"

    # a baseline naming the new country loads for the alert stage (and not against the shipped six)
    settings.baseline_path.write_text(
        "positions:\n  - {country: IN, topic: sanctions, stance: support}\n"
        "  - {country: IN, topic: port_calls, stance: oppose}\n",
        encoding="utf-8",
    )
    with pytest.raises(
        BaselineError, match=r"positions.0: unknown country 'IN'.*add it to the countries file"
    ):
        core_baseline.load(settings.baseline_path)
    base = alert_baseline.ensure(settings.baseline_path, tmp_path / "unused.txt", vocabulary.country_codes)
    _, alert = step(PairState(), base.by_key()["IN:sanctions"], observation, DetectConfig())
    assert alert is not None and (alert.kind, alert.country, alert.new_stance) == ("reversal", "IN", "oppose")
    assert decode(Alert, alert.encode()).key() == "IN:sanctions"

    # the board gives the new country a row with its name and the new topic a column
    runtime = BoardRuntime(settings, base, new_registry(), mode="replay")
    assert runtime.config.countries[-1] == "IN" and "port_calls" in runtime.config.topics
    page = TestClient(runtime.app, base_url="http://127.0.0.1").get("/").text
    assert 'data-pair="IN:port_calls"' in page and "India" in page


def test_the_served_model_asks_about_the_operators_countries_and_topics(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import processors.model as served

    class Loaded:  # an NLI model directory, minus the weights (its forward pass is never called here)
        config = SimpleNamespace(id2label={0: "entailment", 1: "neutral", 2: "contradiction"})

        def eval(self) -> Loaded:
            return self

    monkeypatch.setattr(served.AutoModelForSequenceClassification, "from_pretrained", lambda path: Loaded())
    monkeypatch.setattr(served.AutoTokenizer, "from_pretrained", lambda path: object())
    (tmp_path / "nli").mkdir()
    model = commands.load_model(settings.model_copy(update={"model_path": str(tmp_path / "nli")}))
    assert isinstance(model, StanceModel)
    assert model.hypotheses("IN", "port_calls") == (
        "India favours letting North Korean ships call at its ports.",
        "India opposes North Korean ships calling at its ports.",
    )
    assert model.hypotheses("US", "sanctions")[0].startswith("The United States favours imposing")
