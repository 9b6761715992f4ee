"""The baseline YAML file: reviewable dump, exact round trip, one-line errors for bad files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from core.baseline import Baseline, BaselineError, Position, built_now, dump, load, save

WHEN = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def a_baseline() -> Baseline:
    return built_now(
        Path("seed/article.txt"),
        "model-v1",
        [
            Position(
                country="RU", topic="sanctions", stance="oppose", confidence=0.93, evidence="Moscow: “no”."
            ),
            Position(country="KR", topic="dialogue", stance="support", confidence=0.8),
        ],
        WHEN,
    )


def test_save_load_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "baseline.yaml"
    save(a_baseline(), path)
    assert load(path) == a_baseline()
    assert not list(path.parent.glob("*.tmp")), "the temporary file is renamed into place"
    assert load(path, topics={"sanctions", "dialogue"}).by_key()["RU:sanctions"].stance == "oppose"


def test_dump_is_reviewable_yaml() -> None:
    text = dump(a_baseline())
    assert text.startswith("# stancewatch baseline")
    data = yaml.safe_load(text)
    assert data["model_version"] == "model-v1"
    assert data["positions"][0] == {
        "country": "RU",
        "topic": "sanctions",
        "stance": "oppose",
        "confidence": 0.93,
        "evidence": "Moscow: “no”.",
    }


def test_reviewer_may_mark_mixed_and_drop_fields(tmp_path: Path) -> None:
    path = tmp_path / "b.yaml"
    path.write_text("positions:\n  - {country: CN, topic: sanctions, stance: mixed}\n")
    position = load(path).positions[0]
    assert (position.stance, position.confidence, position.evidence) == ("mixed", 1.0, "")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("positions: [{country: XX, topic: sanctions, stance: oppose}]", "positions.0: unknown country 'XX'"),
        (
            "positions: [{country: RU, topic: weather, stance: oppose}]",
            "positions.0: unknown topic 'weather'",
        ),
        (
            "positions: [{country: RU, topic: sanctions, stance: oppose},"
            " {country: RU, topic: sanctions, stance: neutral}]",
            "positions.1: duplicate entry for RU:sanctions",
        ),
        ("positions: [{country: RU, topic: sanctions, stance: furious}]", "positions.0.stance"),
        (
            "positions: [{country: RU, topic: sanctions, stance: oppose, confidence: 2}]",
            "positions.0.confidence",
        ),
        ("positions: [{country: RU, topic: sanctions, stance: oppose, colour: red}]", "positions.0.colour"),
        ("- just\n- a list\n", "expected a mapping"),
        ("positions: [unclosed", "not valid YAML at line 1"),
    ],
)
def test_bad_files_are_one_line_naming_file_and_entry(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "baseline.yaml"
    path.write_text(text)
    with pytest.raises(BaselineError) as err:
        load(path, topics={"sanctions"})
    message = str(err.value)
    assert message.startswith(f"{path}: ")
    assert problem in message
    assert "\n" not in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(BaselineError, match="no such baseline file"):
        load(tmp_path / "absent.yaml")


def test_baseline_values_are_frozen() -> None:
    baseline = a_baseline()
    with pytest.raises(Exception, match="frozen"):
        baseline.positions[0].stance = "support"
