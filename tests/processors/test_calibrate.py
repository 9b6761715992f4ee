"""``stancewatch model calibrate``: a trained model's calibration layer refitted with news-style items."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from processors.training import news_style

ITEMS = [
    {
        "id": "t-1",
        "title": "Moscow rejects new penalties",
        "text": "Russia said on Friday it would vote against any further sanctions on North Korea.",
        "labels": [{"country": "RU", "topic": "sanctions", "stance": "oppose"}],
    },
    {
        "id": "t-2",
        "title": None,
        "text": "Seoul and Washington held their spring drills as planned, while Beijing said nothing.",
        "labels": [
            {"country": "KR", "topic": "military_exercises", "stance": "support"},
            {"country": "US", "topic": "military_exercises", "stance": "support"},
        ],
    },
]


def _news(tmp_path: Path) -> Path:
    path = tmp_path / "news.jsonl"
    path.write_text("".join(json.dumps(item) + "\n" for item in ITEMS), encoding="utf-8")
    return path


def _invoke(*args: str) -> tuple[int, str]:
    from stancewatch.cli import app

    result = CliRunner().invoke(app, ["model", "calibrate", *args])
    return result.exit_code, result.output


def test_a_missing_news_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    code, output = _invoke("mpnet-nli-v2", "--out", str(tmp_path / "o"), "--news", str(tmp_path / "x.jsonl"))
    assert code == 2
    assert output.strip() == f"stancewatch model calibrate: no such file: {tmp_path / 'x.jsonl'}"
    assert not (tmp_path / "o").exists()


def test_a_folder_without_an_adapter_is_refused(tmp_path: Path) -> None:
    code, output = _invoke(str(tmp_path), "--out", str(tmp_path / "o"), "--news", str(_news(tmp_path)))
    assert code == 2
    assert "not a trained model folder (no adapter_config.json)" in output
    assert len(output.strip().splitlines()) == 1


def test_an_unknown_precision_is_refused(tmp_path: Path) -> None:
    code, output = _invoke(
        "mpnet-nli-v2", "--out", str(tmp_path / "o"), "--news", str(_news(tmp_path)), "--precision", "int4"
    )
    assert (code, output.strip()) == (
        2,
        "stancewatch model calibrate: --precision int4: use one of auto, fp32, bf16",
    )


@pytest.mark.model
def test_recalibration_keeps_the_network_and_refits_the_layer_on_both_query_sets(
    shared_dir: Path, tmp_path: Path
) -> None:
    from processors import model as m
    from processors.lexicon import load_lexicon
    from processors.training.calibrate import recalibrate

    source = m.model_dir("mpnet-nli-v2")
    news = _news(tmp_path)
    out = tmp_path / "mpnet-nli-test"
    summary = recalibrate(source, [news], shared_dir / "data", out, precision="fp32", limit=4)

    expected_news = len(news_style.examples(load_lexicon(), news))
    assert summary["news_queries"] == expected_news >= 3  # every label, plus "none" for Beijing
    assert summary["own_queries"] > 4  # held-out synthetic queries and VAST dev rows
    assert (out / "adapter_model.safetensors").read_bytes() == (
        source / "adapter_model.safetensors"
    ).read_bytes()
    old = m.StanceHead.from_file(source / m.HEAD_FILE)
    new = m.StanceHead.from_file(out / m.HEAD_FILE)
    assert new.temperature == old.temperature and new.weights != old.weights
    assert json.loads((out / "calibration.json").read_text())["news_files"] == ["news.jsonl"]
    loaded = m.StanceModel.load(str(out), precision="fp32")
    assert loaded.version == "mpnet-nli-test" and loaded.head.weights == new.weights


def test_the_served_model_was_calibrated_on_files_no_training_stage_read() -> None:
    models = Path(news_style.NEWS_STYLE_FILE).resolve().parent.parent / "models"
    recorded = json.loads((models / "mpnet-nli-v2.1" / "calibration.json").read_text(encoding="utf-8"))
    trained = json.loads((models / "mpnet-nli-v2" / "train_config.json").read_text(encoding="utf-8"))
    assert recorded["calibrated_from"] == "mpnet-nli-v2"
    calibrated = {Path(name).stem for name in recorded["news_files"]}
    assert calibrated and not calibrated & set(trained["news_style_files"])
    assert calibrated <= {path.stem for path in news_style.NEWS_STYLE_FILES}
