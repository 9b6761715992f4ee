import json
from pathlib import Path

import pytest
import typer
import yaml
from typer.testing import CliRunner

from processors import commands
from tests.processors.fakes import FakeModel


@pytest.fixture
def app(make_settings, monkeypatch, tmp_path: Path) -> typer.Typer:  # type: ignore[no-untyped-def]
    settings = make_settings(baseline_path=tmp_path / "data" / "baseline.yaml")
    monkeypatch.setattr(commands, "load_model", lambda _settings: FakeModel())
    app = typer.Typer()

    @app.callback()
    def root(ctx: typer.Context) -> None:
        ctx.obj = settings

    commands.register(app)
    return app


LINES = [
    json.dumps({"id": "a", "text": "Tokyo supports the THAAD deployment.", "title": "t"}),
    "this is not json",
    "",
    json.dumps({"id": "b"}),
    json.dumps({"id": 7, "text": "Beijing opposes the THAAD deployment.", "url": "https://x.example/1"}),
]


def test_classify_stdin_to_stdout_in_order_with_bad_lines(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["classify", "-"], input="\n".join(LINES) + "\n")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["a", None, "b", "7"]  # blank line: no output
    assert rows[0]["stances"] == [
        {
            "country": "JP",
            "topic": "thaad",
            "stance": "support",
            "confidence": 0.8,
            "evidence": "Tokyo supports the THAAD deployment.",
        }
    ]
    assert rows[1]["line"] == 2 and rows[1]["error"].startswith("not JSON")
    assert rows[2]["line"] == 4 and "text" in rows[2]["error"]
    assert rows[3]["stances"][0]["country"] == "CN"
    assert "2 bad lines" in result.stderr


def test_classify_file_to_file(app: typer.Typer, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(app, ["classify", str(source), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert len(out.read_text(encoding="utf-8").splitlines()) == 4


def test_classify_missing_file_is_one_line(app: typer.Typer, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["classify", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 2
    assert "cannot read" in result.stderr


def test_baseline_build_writes_reviewable_yaml(app: typer.Typer, tmp_path: Path) -> None:
    article = tmp_path / "article.txt"
    article.write_text(
        "Russia strongly opposes new sanctions on North Korea.\nSeoul supports the THAAD system.\n"
        "Japan discusses sanctions.\n",
        encoding="utf-8",
    )
    out = tmp_path / "baseline.yaml"
    result = CliRunner().invoke(app, ["baseline", "build", str(article), "-o", str(out)])
    assert result.exit_code == 0, result.output
    data = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert data["model_version"] == "fake-1"
    got = {(p["country"], p["topic"], p["stance"]) for p in data["positions"]}
    assert got == {("RU", "sanctions", "oppose"), ("KR", "thaad", "support")}  # neutral JP left out
    assert all(p["evidence"] and 0 < p["confidence"] <= 1 for p in data["positions"])


def test_evaluate_with_and_without_predictions(app: typer.Typer, tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_text(
        json.dumps(
            {
                "id": "a",
                "text": "Tokyo supports the THAAD deployment.",
                "labels": [{"country": "JP", "topic": "thaad", "stance": "support"}],
            }
        )
        + "\n"
        + json.dumps({"id": "n", "text": "Beijing opposes the THAAD deployment.", "labels": []})
        + "\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["evaluate", str(gold), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["overall"]["tp"] == 1 and report["negative_false_positives"] == 1
    pred = tmp_path / "pred.jsonl"
    pred.write_text(json.dumps({"id": "a", "stances": []}) + "\n", encoding="utf-8")
    table = CliRunner().invoke(app, ["evaluate", str(gold), "--pred", str(pred)])
    assert table.exit_code == 0, table.output
    assert "Per country" in table.stdout and "Confusion" in table.stdout


@pytest.mark.parametrize("what", ["missing", "directory"])
def test_evaluate_and_classify_word_an_unreadable_input_the_same_way(
    app: typer.Typer, tmp_path: Path, what: str
) -> None:
    path = tmp_path / "in.jsonl"
    if what == "directory":
        path.mkdir()
    reason = "No such file or directory" if what == "missing" else "Is a directory"
    for command in ("classify", "evaluate"):
        result = CliRunner().invoke(app, [command, str(path)])
        assert result.exit_code == 2, (command, result.output)
        assert result.stderr.strip().splitlines() == [f"stancewatch: cannot read {path}: {reason}"], command
