"""How a (country, topic, side) triple becomes an NLI hypothesis; shared by training and inference.

The hypothesis is the country's name followed by the topic's ``support`` or ``oppose`` phrase from the
topic file, e.g. "Russia favours imposing, keeping or tightening sanctions on North Korea." A topic added
to the file therefore works without retraining as long as its phrases read the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

DEFAULT_TOPICS_FILE = Path(__file__).resolve().parent.parent / "topics.yaml"

COUNTRY_NAMES: Mapping[str, str] = {
    "US": "the United States",
    "RU": "Russia",
    "CN": "China",
    "KR": "South Korea",
    "KP": "North Korea",
    "JP": "Japan",
}


class TopicsError(ValueError):
    """The topic file is missing, unreadable or lacks a support/oppose phrase; one line for the operator."""


@dataclass(frozen=True)
class TopicPhrases:
    """The parts of one topic that hypotheses are built from."""

    topic: str
    description: str
    support: str
    oppose: str


def load_topic_phrases(path: Path | None = None) -> dict[str, TopicPhrases]:
    """Read ``support``/``oppose``/``description`` of every topic in the YAML topic file."""
    path = path or DEFAULT_TOPICS_FILE
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TopicsError(f"cannot read topic file {path}: {exc}") from None
    return parse_topic_phrases(raw, path)


def parse_topic_phrases(raw: object, path: Path) -> dict[str, TopicPhrases]:
    """The phrases of every topic in a parsed topic file; the one rule for what a topic must have
    (the candidate lexicon reads its topics through this too, so both agree on a user's file)."""
    topics = raw.get("topics") if isinstance(raw, dict) else None
    if not isinstance(topics, dict) or not topics:
        raise TopicsError(f"topic file {path} has no 'topics' mapping")
    out: dict[str, TopicPhrases] = {}
    for name, spec in topics.items():
        if not isinstance(spec, dict):
            raise TopicsError(f"topic {name!r} in {path} must be a mapping")
        missing = [k for k in ("description", "support", "oppose") if not str(spec.get(k) or "").strip()]
        if missing:
            raise TopicsError(f"topic {name!r} in {path} lacks {', '.join(missing)}")
        out[str(name)] = TopicPhrases(
            str(name),
            str(spec["description"]).strip(),
            str(spec["support"]).strip().rstrip("."),
            str(spec["oppose"]).strip().rstrip("."),
        )
    return out


def sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


def hypothesis(country: str, phrases: TopicPhrases, side: str) -> str:
    """The hypothesis "<Country> <support|oppose phrase>." for one side ("support" or "oppose")."""
    if country not in COUNTRY_NAMES:
        raise ValueError(f"unknown country code {country!r} (expected one of {', '.join(COUNTRY_NAMES)})")
    phrase = phrases.support if side == "support" else phrases.oppose if side == "oppose" else None
    if phrase is None:
        raise ValueError(f"side must be 'support' or 'oppose', got {side!r}")
    return sentence_case(f"{COUNTRY_NAMES[country]} {phrase}.")


def free_hypothesis(target: str, side: str) -> str:
    """Hypothesis for an author's stance on a free-text target (VAST-style data and evaluation)."""
    verb = {"support": "favours", "oppose": "opposes"}[side]
    return f"The author {verb} {target.strip()}."


def premise(sentence: str, context: str = "") -> str:
    """The premise: the preceding context (if any) followed by the evidence sentence."""
    sentence = " ".join(sentence.split())
    context = " ".join(context.split())
    return f"{context} {sentence}" if context else sentence
