"""The committed model was trained on these exact strings: hypotheses, premises and entity markers must
not change by a byte for the six shipped countries and nine shipped topics."""

from __future__ import annotations

import hashlib

from core.vocabulary import Topic, load_vocabulary
from processors.hypotheses import COUNTRY_NAMES, hypothesis, premise
from processors.lexicon import load_lexicon
from processors.markers import mark_country

SHIPPED_COUNTRIES = ("US", "RU", "CN", "KR", "KP", "JP")
SHIPPED_TOPICS = (
    "sanctions",
    "thaad",
    "military_exercises",
    "inter_korean_dialogue",
    "us_dprk_diplomacy",
    "six_party_talks",
    "military_strike",
    "denuclearization",
    "support_for_dprk",
)
# sha256 of the 108 hypotheses (countries x topics x support/oppose, in the order above), one per line
ALL_HYPOTHESES_SHA256 = "51889aaf1c92edfceb749ff8cb49e09527047e6cce1823b1e4f023d323a13422"


def load_topic_phrases() -> dict[str, Topic]:
    return {t.id: t for t in load_vocabulary().topics}


def test_a_few_hypotheses_read_exactly_as_in_training() -> None:
    topics = load_topic_phrases()
    assert hypothesis("US", topics["sanctions"], "support") == (
        "The United States favours imposing, keeping or tightening sanctions on North Korea."
    )
    assert hypothesis("RU", topics["sanctions"], "oppose") == (
        "Russia opposes new, expanded or continued sanctions on North Korea, or wants them eased."
    )
    assert hypothesis("KP", topics["denuclearization"], "oppose") == (
        "North Korea refuses to give up North Korea's nuclear weapons or rejects denuclearization."
    )
    assert hypothesis("JP", topics["support_for_dprk"], "oppose") == (
        "Japan withholds or opposes backing for North Korea."
    )


def test_every_shipped_hypothesis_is_unchanged() -> None:
    topics = load_topic_phrases()
    assert tuple(COUNTRY_NAMES)[:6] == SHIPPED_COUNTRIES
    assert tuple(topics) == SHIPPED_TOPICS
    every = [
        hypothesis(c, topics[t], side)
        for c in SHIPPED_COUNTRIES
        for t in SHIPPED_TOPICS
        for side in ("support", "oppose")
    ]
    assert hashlib.sha256("\n".join(every).encode("utf-8")).hexdigest() == ALL_HYPOTHESES_SHA256


def test_premise_is_unchanged() -> None:
    assert premise(" It  agreed.\n", "Tokyo  spoke.") == "Tokyo spoke. It agreed."
    assert premise("It agreed.") == "It agreed."


def test_marking_is_unchanged() -> None:
    lexicon = load_lexicon()
    text = (
        "Russia and China strongly oppose a preemptive U.S. military strike, the Kremlin said; "
        "the two Koreas and Kim Jong Un's Pyongyang disagree."
    )
    marked = {c: mark_country(text, c, lexicon) for c in SHIPPED_COUNTRIES}
    assert marked["RU"] == (
        "[Russia] and China strongly oppose a preemptive U.S. military strike, [the Kremlin] said; "
        "the two Koreas and Kim Jong Un's Pyongyang disagree."
    )
    assert marked["US"] == (
        "Russia and China strongly oppose a preemptive [U.S.] military strike, the Kremlin said; "
        "the two Koreas and Kim Jong Un's Pyongyang disagree."
    )
    assert marked["KP"] == (
        "Russia and China strongly oppose a preemptive U.S. military strike, the Kremlin said; "
        "the [two Koreas] and [Kim Jong Un]'s [Pyongyang] disagree."
    )
    assert marked["KR"] == (
        "Russia and China strongly oppose a preemptive U.S. military strike, the Kremlin said; "
        "the [two Koreas] and Kim Jong Un's Pyongyang disagree."
    )
    assert marked["JP"] == text
