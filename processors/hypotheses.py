"""How a (country, topic, side) triple becomes an NLI hypothesis; the model builds them when it serves,
and training builds the same ones (``processors.training`` imports this module, never the other way).

The hypothesis is the country's name followed by the topic's ``support`` or ``oppose`` phrase, both from
the one vocabulary (``core.vocabulary``), e.g. "Russia favours imposing, keeping or tightening sanctions
on North Korea." A country or topic added to the vocabulary files therefore works without retraining as
long as its name and phrases read the same way. The committed model was trained on exactly these strings
(tests/processors/test_hypotheses.py pins them).
"""

from __future__ import annotations

from collections.abc import Mapping

from core.vocabulary import Topic, shipped_vocabulary

# code -> the name hypotheses use, for the shipped countries ("US" -> "the United States")
COUNTRY_NAMES: Mapping[str, str] = shipped_vocabulary().country_names


def sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


def hypothesis(country: str, phrases: Topic, side: str, names: Mapping[str, str] = COUNTRY_NAMES) -> str:
    """The hypothesis "<Country> <support|oppose phrase>." for one side ("support" or "oppose"); ``names``
    maps country codes to names (default: the shipped countries; the model passes its vocabulary's)."""
    if country not in names:
        raise ValueError(f"unknown country code {country!r} (expected one of {', '.join(names)})")
    phrase = phrases.support if side == "support" else phrases.oppose if side == "oppose" else None
    if phrase is None:
        raise ValueError(f"side must be 'support' or 'oppose', got {side!r}")
    return sentence_case(f"{names[country]} {phrase}.")


def free_hypothesis(target: str, side: str) -> str:
    """Hypothesis for an author's stance on a free-text target (VAST-style data and evaluation)."""
    verb = {"support": "favours", "oppose": "opposes"}[side]
    return f"The author {verb} {target.strip()}."


def premise(sentence: str, context: str = "") -> str:
    """The premise: the preceding context (if any) followed by the evidence sentence."""
    sentence = " ".join(sentence.split())
    context = " ".join(context.split())
    return f"{context} {sentence}" if context else sentence
