"""Project-written news-style Korea-policy items (``news_style.jsonl``) as training queries.

The synthetic templates (``synthetic``) are short and state sides with stance verbs; news sentences are
long, attribute at the end and show sides through actions ("vetoed the resolution", "shipped fuel"). These
items were written for the project in that style, labelled by hand, by a writer who never saw
korea-news-dev or the baseline article. Each label becomes a query on the item's text; each country that
the text mentions without a label on a labelled topic becomes a "none" query (two per item at most), so
that being named is not taking a side. A separate file in the same style, held out for choosing between
models, is tests/processors/data/news-style-dev.jsonl.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from processors.lexicon import Lexicon
from processors.training.synthetic import StanceExample

NEWS_STYLE_FILE = Path(__file__).resolve().parent / "news_style.jsonl"
SOURCE = "korea-news-style"
SIDES = ("support", "oppose", "neutral")
NONE_PER_ITEM = 2  # "none" queries per item, at most (about one per label, as in the synthetic mix)


class NewsStyleError(ValueError):
    """The news-style file is malformed; the message is one line naming the file and line."""


def load_items(path: Path = NEWS_STYLE_FILE) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """(text, [(country, topic, stance)]) per line of ``path``."""
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            labels = [(lab["country"], lab["topic"], lab["stance"]) for lab in row.get("labels") or []]
            text = " ".join(str(row["text"]).split())
        except (ValueError, KeyError, TypeError) as exc:
            raise NewsStyleError(f"{path}:{number}: not an item with text and labels ({exc})") from None
        if not text or any(stance not in SIDES for _, _, stance in labels):
            raise NewsStyleError(f"{path}:{number}: empty text or a stance outside {', '.join(SIDES)}")
        items.append((text, labels))
    return items


def examples(lexicon: Lexicon, path: Path = NEWS_STYLE_FILE) -> list[StanceExample]:
    """Every label as a query, plus up to two "none" queries: countries the text names without a label on
    a labelled topic (an item without labels: named countries on the topics its text cues)."""
    out: list[StanceExample] = []
    for text, labels in load_items(path):
        for country, topic, stance in labels:
            out.append(StanceExample(text, "", country, topic, stance, SOURCE))
        named = {m.country for m in lexicon.mentions(text)}
        labelled = {(country, topic) for country, topic, _ in labels}
        topics = {topic for _, topic, _ in labels} or set(lexicon.cues(text, named))
        unlabelled = [
            (country, topic)
            for country in sorted(named)
            for topic in sorted(topics)
            if (country, topic) not in labelled and country not in lexicon.topic(topic).not_held_by
        ]
        picked = random.Random(text).sample(unlabelled, min(NONE_PER_ITEM, len(unlabelled)))
        out += [StanceExample(text, "", country, topic, "none", SOURCE) for country, topic in picked]
    return out
