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
from collections.abc import Sequence
from pathlib import Path

from processors.evaluate import EvaluationError, load_gold
from processors.lexicon import Lexicon
from processors.training.data import DataError
from processors.training.synthetic import StanceExample

NEWS_STYLE_FILE = Path(__file__).resolve().parent / "news_style.jsonl"
# The first file and the later batches (news_style_<batch>.jsonl), each written in one clean-room pass.
NEWS_STYLE_FILES = (NEWS_STYLE_FILE, *sorted(NEWS_STYLE_FILE.parent.glob("news_style_*.jsonl")))
# The files the committed model's training stages read (mpnet-nli-v1 and -v2); later batches came after
# them (nw6-nw8 fit the committed model's calibration instead: ``processors.training.calibrate``).
TRAINED_FILES = (
    "news_style",
    "news_style_nw1",
    "news_style_nw2",
    "news_style_nw3",
    "news_style_nw4",
    "news_style_nw5",
)
SOURCE = "korea-news-style"
SIDES = ("support", "oppose", "neutral")
NONE_PER_ITEM = 2  # "none" queries per item, at most (about one per label, as in the synthetic mix)


def files(names: Sequence[str] | None = None) -> tuple[Path, ...]:
    """The news-style files by name (stem, as in ``TRAINED_FILES``), in file order; None: every file.
    An unknown name raises ``DataError`` listing the known ones."""
    if names is None:
        return NEWS_STYLE_FILES
    known = {path.stem: path for path in NEWS_STYLE_FILES}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise DataError(f"no news-style file {', '.join(unknown)}; known: {', '.join(known)}")
    return tuple(path for path in NEWS_STYLE_FILES if path.stem in names)


def item_count(names: Sequence[str] | None = None) -> int:
    """How many items the named news-style files (None: all) hold."""
    return sum(len(load_gold(path)) for path in files(names))


def all_examples(lexicon: Lexicon, names: Sequence[str] | None = None) -> list[StanceExample]:
    """``examples`` of the named news-style files (None: every file), in file order."""
    return [ex for path in files(names) for ex in examples(lexicon, path)]


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
