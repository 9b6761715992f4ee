"""The pipeline with the real committed model: sentences written for the project, korea-news-dev (read
from ../shared, measured only, never tuned on) and the baseline article checked against its hand reading.

The floors sit honestly below the figures measured when the model was committed (see the model card's
"Pipeline evaluation"), so a regression fails while run-to-run noise does not.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from core.settings import load_settings
from processors.evaluate import Triple, load_gold, score
from processors.lexicon import load_lexicon
from processors.pipeline import Classifier, Document

pytestmark = pytest.mark.model

OWN = Path(__file__).resolve().parent / "data" / "own-examples.jsonl"
NEWS_DEV = Path(__file__).resolve().parent / "data" / "news-style-dev.jsonl"
NEWS_TEST = Path(__file__).resolve().parent / "data" / "news-style-test.jsonl"
# Measured with mpnet-nli-v2.1 (served in bf16 where the CPU has it, as by default; syntok) at min
# confidence 0.65 (python -m benchmarks.eval_pipeline): korea-news-dev F1 0.778 (P 0.814) with 2 false
# positives on its negative items, baseline 12 of 13 stated positions, none with the wrong sign, 6 unlisted
# sides; news-style dev F1 0.692 (the set that chose the threshold and the model), test F1 0.797 (chosen by
# nothing). The floors sit just below, so a change that loses ground fails here. With this model the
# unlisted bound rose from 5 to 6 (mpnet-nli-v2 at 0.75 had 5) and the korea-news-dev floors rose.
OWN_F1_FLOOR = 0.91
KOREA_NEWS_DEV_F1_FLOOR = 0.75
KOREA_NEWS_DEV_PRECISION_FLOOR = 0.79
KOREA_NEWS_DEV_MAX_NEGATIVE_FP = 2
BASELINE_STATED_FLOOR = 12  # of 13 stated support/oppose positions
BASELINE_MAX_UNLISTED = 6
NEWS_STYLE_DEV_F1_FLOOR = 0.67
NEWS_STYLE_TEST_F1_FLOOR = 0.77


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    from processors.model import StanceModel

    settings = load_settings()
    return Classifier(StanceModel.load(), load_lexicon(), settings.classify_min_confidence)


def _predict(classifier: Classifier, items) -> list[Triple]:  # type: ignore[no-untyped-def]
    results = classifier.classify([Document(g.id, g.text, g.title) for g in items])
    return [Triple(r.id, s.country, s.topic, s.stance) for r in results for s in r.stances]


def test_own_sentences(classifier: Classifier) -> None:
    items = load_gold(OWN)
    report = score(items, _predict(classifier, items))
    assert report.overall.f1 >= OWN_F1_FLOOR, (report.false_positives, report.false_negatives)
    assert report.negative_false_positives == 0


def test_news_style_dev_f1_floor(classifier: Classifier) -> None:
    items = load_gold(NEWS_DEV)
    report = score(items, _predict(classifier, items))
    assert report.overall.f1 >= NEWS_STYLE_DEV_F1_FLOOR, report.overall


def test_news_style_test_f1_floor(classifier: Classifier) -> None:
    items = load_gold(NEWS_TEST)
    report = score(items, _predict(classifier, items))
    assert report.overall.f1 >= NEWS_STYLE_TEST_F1_FLOOR, report.overall


def test_korea_news_dev_f1_floor(classifier: Classifier, shared_dir: Path) -> None:
    items = load_gold(shared_dir / "data" / "korea-news-dev" / "korea-news-dev.jsonl")
    report = score(items, _predict(classifier, items))
    assert report.overall.f1 >= KOREA_NEWS_DEV_F1_FLOOR, report.overall
    assert report.overall.precision >= KOREA_NEWS_DEV_PRECISION_FLOOR, report.overall
    assert report.negative_false_positives <= KOREA_NEWS_DEV_MAX_NEGATIVE_FP


def test_baseline_from_the_article_against_its_hand_reading(classifier: Classifier, shared_dir: Path) -> None:
    # The product never reads the gold file; only this check does.
    text = (shared_dir / "seed" / "baseline-article.txt").read_text(encoding="utf-8")
    gold = yaml.safe_load((shared_dir / "seed" / "baseline-gold.yaml").read_text(encoding="utf-8"))[
        "positions"
    ]
    built = {
        (s.country, s.topic): s.stance for s in classifier.classify_one(Document("baseline", text)).stances
    }
    stated = [g for g in gold if g.get("basis") == "stated" and g["stance"] in ("support", "oppose")]
    listed = {(g["country"], g["topic"]) for g in gold}
    hits = sum(built.get((g["country"], g["topic"])) == g["stance"] for g in stated)
    unlisted = [k for k, v in built.items() if v in ("support", "oppose") and k not in listed]
    assert hits >= BASELINE_STATED_FLOOR, (hits, built)
    assert len(unlisted) <= BASELINE_MAX_UNLISTED, unlisted


def test_a_side_goes_to_the_countries_that_take_it(classifier: Classifier) -> None:
    # Written for the project: two countries take a side against what a third might do; the third holds
    # no side here. The asked country is marked in the premise, so the model answers for it alone.
    text = "Moscow and Beijing said they were firmly against any pre-emptive American strike on North Korea."
    got = {(s.country, s.topic): s.stance for s in classifier.classify_one(Document("x", text)).stances}
    assert got.get(("RU", "military_strike")) == "oppose", got
    assert got.get(("CN", "military_strike")) == "oppose", got
    assert got.get(("US", "military_strike")) != "oppose", got


def test_who_backs_whose_drills(classifier: Classifier) -> None:
    text = "Beijing, in a rare shift, endorsed the drills that Washington and Seoul staged this week."
    got = {(s.country, s.topic): s.stance for s in classifier.classify_one(Document("x", text)).stances}
    assert got.get(("CN", "military_exercises")) == "support", got
