import json
import re
from pathlib import Path

import pytest

from processors.evaluate import load_gold
from processors.lexicon import load_lexicon
from processors.training import news_style
from processors.training.data import DataError
from processors.training.news_style import examples

DATA = Path(__file__).resolve().parent / "data"
NEWS_STYLE_DEV, NEWS_STYLE_TEST = DATA / "news-style-dev.jsonl", DATA / "news-style-test.jsonl"


def write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_labels_become_queries_and_named_countries_without_a_label_become_none(tmp_path: Path) -> None:
    text = "Tokyo backed the new measures, while Beijing and Moscow said more sanctions would not help."
    rows = [
        {"id": "a", "text": text, "labels": [{"country": "JP", "topic": "sanctions", "stance": "support"}]},
        {"id": "b", "text": "Seoul and Pyongyang exchanged fire near the border.", "labels": []},
    ]
    got = examples(load_lexicon(), write(tmp_path / "items.jsonl", rows))
    first = [(e.country, e.topic, e.stance) for e in got if e.sentence == text]
    assert first[0] == ("JP", "sanctions", "support")
    nones = first[1:]
    # two named countries without a label on the labelled topic, at most two "none" queries per item
    assert sorted(nones) == [("CN", "sanctions", "none"), ("RU", "sanctions", "none")]
    assert all(e.source == news_style.SOURCE and e.context == "" for e in got)


def test_none_queries_are_capped_and_respect_not_held_by(tmp_path: Path) -> None:
    text = "Washington, Seoul, Tokyo and Moscow watched as Pyongyang's ally shipped aid across the border."
    label = {"country": "CN", "topic": "support_for_dprk", "stance": "support"}
    rows = [{"id": "a", "text": text, "labels": [label]}]
    got = examples(load_lexicon(), write(tmp_path / "items.jsonl", rows))
    nones = [e for e in got if e.stance == "none"]
    assert len(nones) == news_style.NONE_PER_ITEM
    assert all(e.country != "KP" for e in nones)  # North Korea never backs itself
    assert got == examples(load_lexicon(), tmp_path / "items.jsonl")  # the same every time


@pytest.mark.parametrize(
    "line",
    ['{"id": "a", "labels": "none"}', "not json", '{"id": "a", "text": "x", "labels": [{"country": "US"}]}'],
)
def test_a_malformed_line_is_one_error_naming_the_line(tmp_path: Path, line: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "ok", "text": "fine", "labels": []}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"bad.jsonl:2: "):
        examples(load_lexicon(), path)


def test_a_title_is_read_before_the_body(tmp_path: Path) -> None:
    rows = [
        {
            "id": "a",
            "title": "Tokyo backs tougher penalties.",
            "text": "The cabinet met on Friday.",
            "labels": [{"country": "JP", "topic": "sanctions", "stance": "support"}],
        }
    ]
    got = examples(load_lexicon(), write(tmp_path / "items.jsonl", rows))
    assert got[0].sentence == "Tokyo backs tougher penalties. The cabinet met on Friday."


def test_a_stance_outside_the_sides_is_refused(tmp_path: Path) -> None:
    rows = [{"id": "a", "text": "x", "labels": [{"country": "US", "topic": "sanctions", "stance": "mixed"}]}]
    with pytest.raises(DataError, match="a: stance 'mixed' is not one of support, oppose, neutral"):
        examples(load_lexicon(), write(tmp_path / "items.jsonl", rows))


def _runs(text: str, n: int = 8) -> set[str]:
    words = re.sub(r"[^\w\s]", " ", text.lower()).split()
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


def _texts(path: Path) -> list[str]:
    return [f"{item.title} {item.text}" for item in load_gold(path)]


def _training_texts() -> list[str]:
    return [t for path in news_style.NEWS_STYLE_FILES for t in _texts(path)]


def test_every_training_batch_is_read_and_the_set_is_large() -> None:
    assert len(news_style.NEWS_STYLE_FILES) >= 6
    ids = [item.id for path in news_style.NEWS_STYLE_FILES for item in load_gold(path)]
    assert len(ids) == len(set(ids)) >= 3000


def test_training_items_share_no_eight_word_run_with_the_dev_or_test_items() -> None:
    held_out = set().union(*map(_runs, _texts(NEWS_STYLE_DEV) + _texts(NEWS_STYLE_TEST)))
    leaked = [t[:60] for t in _training_texts() if _runs(t) & held_out]
    assert leaked == []
    dev = set().union(*map(_runs, _texts(NEWS_STYLE_DEV)))
    assert [t[:60] for t in _texts(NEWS_STYLE_TEST) if _runs(t) & dev] == []


@pytest.mark.parametrize("own", [*news_style.NEWS_STYLE_FILES, NEWS_STYLE_DEV, NEWS_STYLE_TEST])
def test_project_items_share_no_eight_word_run_with_the_evaluation_texts(shared_dir: Path, own: Path) -> None:
    evaluation = [p for p in (shared_dir / "data" / "korea-news-dev").glob("*.jsonl")]
    runs = set().union(*(_runs(t) for p in evaluation for t in _texts(p)))
    runs |= _runs((shared_dir / "seed" / "baseline-article.txt").read_text(encoding="utf-8"))
    leaked = [t[:60] for t in _texts(own) if _runs(t) & runs]
    assert evaluation and leaked == []


def test_files_selects_by_name_in_file_order_and_refuses_an_unknown_name() -> None:
    assert news_style.files(None) == news_style.NEWS_STYLE_FILES
    picked = news_style.files(["news_style_nw2", "news_style"])
    assert [path.stem for path in picked] == ["news_style", "news_style_nw2"]
    with pytest.raises(DataError, match="no news-style file news_style_nw99; known: news_style,"):
        news_style.files(["news_style_nw99"])


def test_the_committed_training_files_exist_and_later_batches_are_left_out() -> None:
    trained = news_style.files(news_style.TRAINED_FILES)
    assert len(trained) == len(news_style.TRAINED_FILES) == 6
    later = set(news_style.NEWS_STYLE_FILES) - set(trained)
    assert {path.stem for path in later} >= {"news_style_nw6", "news_style_nw7", "news_style_nw8"}
    assert news_style.item_count(news_style.TRAINED_FILES) < news_style.item_count()
