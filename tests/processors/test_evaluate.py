import json
from pathlib import Path

import pytest

from processors.evaluate import EvaluationError, Triple, load_gold, load_predictions, score


def write_jsonl(path: Path, rows: list[dict]) -> Path:  # type: ignore[type-arg]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def gold(tmp_path: Path):  # type: ignore[no-untyped-def]
    return load_gold(
        write_jsonl(
            tmp_path / "gold.jsonl",
            [
                {
                    "id": "a",
                    "text": "x",
                    "labels": [
                        {"country": "RU", "topic": "sanctions", "stance": "oppose"},
                        {"country": "US", "topic": "sanctions", "stance": "support"},
                    ],
                },
                {
                    "id": "b",
                    "text": "y",
                    "labels": [{"country": "CN", "topic": "thaad", "stance": "neutral"}],
                },
                {"id": "neg", "text": "z", "labels": []},
            ],
        )
    )


def test_scoring_rules(gold) -> None:  # type: ignore[no-untyped-def]
    predicted = [
        Triple("a", "RU", "sanctions", "oppose"),  # TP
        Triple("a", "US", "sanctions", "oppose"),  # wrong side: FP and the support is a FN
        Triple("b", "CN", "thaad", "support"),  # side where the label is neutral: FP
        Triple("neg", "KP", "denuclearization", "oppose"),  # side on a negative item: FP
        Triple("neg", "JP", "thaad", "neutral"),  # neutral predictions are not scored
        Triple("zzz", "RU", "thaad", "oppose"),  # unknown id: ignored
    ]
    report = score(gold, predicted)
    assert (report.overall.tp, report.overall.fp, report.overall.fn) == (1, 3, 1)
    assert report.overall.precision == pytest.approx(0.25)
    assert report.overall.recall == pytest.approx(0.5)
    assert report.overall.f1 == pytest.approx(2 * 0.25 * 0.5 / 0.75)
    assert (report.negative_items, report.negative_false_positives) == (1, 1)
    assert report.by_country["US"].fp == 1 and report.by_country["US"].fn == 1
    assert report.by_topic["sanctions"].tp == 1
    assert report.confusion[("support", "oppose")] == 1
    assert report.confusion[("neutral", "support")] == 1
    assert report.confusion[("none", "neutral")] == 1


def test_implied_labels_are_optional_and_a_wrong_side_on_them_is_a_false_positive(tmp_path: Path) -> None:
    implied = {"country": "US", "topic": "thaad", "stance": "support", "basis": "implied"}
    explicit = {"country": "CN", "topic": "thaad", "stance": "oppose", "basis": "explicit"}
    items = load_gold(
        write_jsonl(tmp_path / "g.jsonl", [{"id": "a", "text": "x", "labels": [implied, explicit]}])
    )
    assert [t.country for t in items[0].implied] == ["US"]
    found = score(items, [Triple("a", "US", "thaad", "support"), Triple("a", "CN", "thaad", "oppose")])
    assert (found.overall.tp, found.overall.fp, found.overall.fn, found.optional_matched) == (1, 0, 0, 1)
    missed = score(items, [])  # an implied label not found is no miss; the explicit one is
    assert (missed.overall.fn, missed.optional_matched) == (1, 0)
    wrong = score(items, [Triple("a", "US", "thaad", "oppose")])
    assert (wrong.overall.fp, wrong.overall.fn) == (1, 1)
    bad = write_jsonl(tmp_path / "b.jsonl", [{"id": "a", "text": "x", "labels": [{**implied, "basis": "x"}]}])
    with pytest.raises(EvaluationError, match=r"b.jsonl:1: basis must be explicit or implied"):
        load_gold(bad)


def test_perfect_and_empty_predictions(gold) -> None:  # type: ignore[no-untyped-def]
    perfect = score(
        gold, [Triple("a", "RU", "sanctions", "oppose"), Triple("a", "US", "sanctions", "support")]
    )
    assert perfect.overall.f1 == 1.0
    empty = score(gold, [])
    assert (empty.overall.tp, empty.overall.fn, empty.overall.f1) == (0, 2, 0.0)


def test_predictions_file_and_error_lines(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "pred.jsonl",
        [
            {
                "id": "a",
                "stances": [
                    {
                        "country": "RU",
                        "topic": "sanctions",
                        "stance": "oppose",
                        "confidence": 0.9,
                        "evidence": "e",
                    }
                ],
            },
            {"id": "b", "error": "not JSON"},
        ],
    )
    assert load_predictions(path) == [Triple("a", "RU", "sanctions", "oppose")]


def test_malformed_gold_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "g.jsonl"
    path.write_text('{"id": "a", "labels": []}\nnot json\n', encoding="utf-8")
    with pytest.raises(EvaluationError, match=r"g.jsonl:2: not JSON"):
        load_gold(path)
