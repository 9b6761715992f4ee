"""Project-written news-style Korea-policy items (``news_style.jsonl``) as training queries.

The synthetic templates (``synthetic``) are short and state sides with stance verbs; news sentences are
long, attribute at the end and show sides through actions ("vetoed the resolution", "shipped fuel"). These
items were written for the project in that style, labelled by hand, by writers who never saw
korea-news-dev or the baseline article. Each label becomes a query on the item's text; each country that
the text mentions without a label on a labelled topic becomes a "none" query (two per item at most), so
that being named is not taking a side. A separate file in the same style, held out for choosing between
models, is tests/processors/data/news-style-dev.jsonl; another, which chooses nothing, is
news-style-test.jsonl.
"""

from __future__ import annotations

import random
from pathlib import Path

from processors.evaluate import EvaluationError, load_gold
from processors.lexicon import Lexicon
from processors.training.data import DataError
from processors.training.synthetic import StanceExample

NEWS_STYLE_FILE = Path(__file__).resolve().parent / "news_style.jsonl"
# The first file and the later batches (news_style_<batch>.jsonl), each written in one clean-room pass.
NEWS_STYLE_FILES = (NEWS_STYLE_FILE, *sorted(NEWS_STYLE_FILE.parent.glob("news_style_*.jsonl")))
SOURCE = "korea-news-style"
SIDES = ("support", "oppose", "neutral")
NONE_PER_ITEM = 2  # "none" queries per item, at most (about one per label, as in the synthetic mix)


def item_count() -> int:
    """How many items the news-style training files hold."""
    return sum(len(load_gold(path)) for path in NEWS_STYLE_FILES)


def all_examples(lexicon: Lexicon) -> list[StanceExample]:
    """``examples`` of every news-style training file, in file order."""
    return [ex for path in NEWS_STYLE_FILES for ex in examples(lexicon, path)]


def examples(lexicon: Lexicon, path: Path = NEWS_STYLE_FILE) -> list[StanceExample]:
    """Every label as a query, plus up to two "none" queries: countries the text names without a label on
    a labelled topic (an item without labels: named countries on the topics its text cues). The file is in
    korea-news-dev's format; a malformed one raises ``DataError`` naming the file."""
    try:
        items = load_gold(path)
    except EvaluationError as exc:
        raise DataError(str(exc)) from None
    out: list[StanceExample] = []
    for item in items:
        # A headline counts as much as the body: it is read first, as its own sentence.
        body = " ".join(item.text.split())
        title = " ".join(item.title.split()).rstrip(".")
        text = f"{title}. {body}" if title else body
        for label in item.labels:
            if label.stance not in SIDES:
                sides = ", ".join(SIDES)
                raise DataError(f"{path}: {item.id}: stance {label.stance!r} is not one of {sides}")
            out.append(StanceExample(text, "", label.country, label.topic, label.stance, SOURCE))
        named = {m.country for m in lexicon.mentions(text)}
        labelled = {(label.country, label.topic) for label in item.labels}
        topics = {label.topic for label in item.labels} or set(lexicon.cues(text, named))
        unlabelled = [
            (country, topic)
            for country in sorted(named)
            for topic in sorted(topics)
            if (country, topic) not in labelled and country not in lexicon.topic(topic).not_held_by
        ]
        picked = random.Random(text).sample(unlabelled, min(NONE_PER_ITEM, len(unlabelled)))
        out += [StanceExample(text, "", country, topic, "none", SOURCE) for country, topic in picked]
    return out
