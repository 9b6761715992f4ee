"""Project-written Korea-policy training examples, generated from templates written for this project.

Every example is a sentence (plus optional context) with the (country, topic, stance) facts it states.
Countries appear under their aliases (capitals, seats of power, leaders, ministries, state media) while the
hypotheses always use the country's name, so the model learns the metonymy. Hard cases are built in:
two countries on opposite sides in one sentence ("A condemned B's ..."), pronoun sentences whose subject is
in the context, and pairs the sentence does not address (another country, another topic: label ``none``).
The last verb phrase of every (topic, side) list is held out of training and used only for calibration.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from core.vocabulary import shipped_vocabulary
from processors.training.contrast import minimal_pair
from processors.training.phrasebook import (
    ALIASES,
    CONDEMN,
    FRAMES,
    IRRELEVANT,
    KP_OBJ,
    POSS,
    QUOTE_FRAMES,
    QUOTES,
    TOPICS,
    WELCOME,
)

COUNTRIES = shipped_vocabulary().country_codes  # what the committed model was trained on
STANCES = ("support", "oppose", "neutral", "none")
# Share of generated sentences that are drawn as a minimal pair (both sides of one frame; see
# ``contrast``). Pairs written in both directions; 0.3 beat 0.15 on every held-out split (model card).
CONTRAST_RATE = 0.3


@dataclass(frozen=True)
class StanceExample:
    """One (sentence, country, topic) query with its gold stance: support, oppose, neutral or none."""

    sentence: str
    context: str
    country: str
    topic: str
    stance: str
    source: str = "korea-synthetic"


def _vps(topic: str, side: str, country: str, held_out: bool) -> list[str]:
    spec = TOPICS[topic]
    key = f"{side}_kp" if country == "KP" and f"{side}_kp" in spec else side
    items = list(spec[key])
    # The last phrase of every list is reserved for the calibration split.
    return items[-1:] if held_out else items[:-1]


def _fill(rng: random.Random, text: str) -> str:
    return text.replace("{kp}", rng.choice(KP_OBJ))


def _sentence(rng: random.Random, subject: str, vp: str) -> str:
    frame = rng.choice(FRAMES)
    text = frame.format(subj=subject, vp=_fill(rng, vp))
    return text[:1].upper() + text[1:]


def _topics_for(country: str) -> list[str]:
    return [t for t in TOPICS if not (country == "KP" and t == "support_for_dprk")]


def _single(rng: random.Random, held_out: bool) -> tuple[str, str, list[tuple[str, str, str]]]:
    country = rng.choice(COUNTRIES)
    topic = rng.choice(_topics_for(country))
    side = rng.choices(("support", "oppose", "neutral"), weights=(4, 4, 3))[0]
    vp = rng.choice(_vps(topic, side, country, held_out))
    if side != "neutral" and rng.random() < 0.2:
        quotes = QUOTES[topic][side]
        quote = rng.choice(quotes[-1:] if held_out else quotes[:-1])
        text = rng.choice(QUOTE_FRAMES).format(q=quote, subj=rng.choice(ALIASES[country]))
        return text[:1].upper() + text[1:], "", [(country, topic, side)]
    if rng.random() < 0.2:
        # Subject only in the context: "X issued a statement. It called for ...".
        context = _sentence(
            rng,
            rng.choice(ALIASES[country]),
            rng.choice(
                [
                    "issued a statement on the crisis",
                    "spoke to reporters after the meeting",
                    "held talks on Monday",
                ]
            ),
        )
        sentence = rng.choice(["It", "The statement", "The official"]) + " " + _fill(rng, vp) + "."
        return sentence, context, [(country, topic, side)]
    return _sentence(rng, rng.choice(ALIASES[country]), vp), "", [(country, topic, side)]


def _pair_sentence(rng: random.Random, held_out: bool) -> tuple[str, str, list[tuple[str, str, str]]]:
    a, b = rng.sample(COUNTRIES, 2)
    topic = rng.choice([t for t in TOPICS if t != "support_for_dprk"])
    kind = rng.random()
    if kind < 0.4:
        noun = _fill(rng, rng.choice(TOPICS[topic]["noun"]))
        verb, a_side = (
            (rng.choice(CONDEMN), "oppose") if rng.random() < 0.6 else (rng.choice(WELCOME), "support")
        )
        subj = rng.choice(ALIASES[a])
        if rng.random() < 0.5 or verb in ("rejected", "backed", "endorsed", "protested against"):
            text = f"{subj} {verb} {rng.choice(POSS[b])} {noun}."
        else:
            text = f"{subj} {verb} {rng.choice(ALIASES[b])} for its {noun}."
        return text[:1].upper() + text[1:], "", [(a, topic, a_side), (b, topic, "support")]
    if kind < 0.7:
        sides = rng.choice([("support", "oppose"), ("oppose", "support"), ("support", "support")])
        vp_a = _fill(rng, rng.choice(_vps(topic, sides[0], a, held_out)))
        vp_b = _fill(rng, rng.choice(_vps(topic, sides[1], b, held_out)))
        link = rng.choice([", while ", ", but ", "; meanwhile, ", ", whereas "])
        text = f"{rng.choice(ALIASES[a])} {vp_a}{link}{rng.choice(ALIASES[b])} {vp_b}."
        return text[:1].upper() + text[1:], "", [(a, topic, sides[0]), (b, topic, sides[1])]
    side = rng.choice(("support", "oppose"))
    vp = rng.choice(_vps(topic, side, "XX", held_out))
    names = f"{rng.choice(ALIASES[a])} and {rng.choice(ALIASES[b])}"
    return _sentence(rng, names, vp), "", [(a, topic, side), (b, topic, side)]


def generate(
    n_sentences: int, seed: int, held_out: bool = False, contrast_rate: float = CONTRAST_RATE
) -> list[StanceExample]:
    """``n_sentences`` generated sentences expanded into queries: each stated fact, plus one query per
    sentence about a pair it does not address (another country or another topic, gold ``none``).
    A ``contrast_rate`` share of the draws is a minimal pair (two sentences, one per side)."""
    rng = random.Random(seed)
    out: list[StanceExample] = []
    for _ in range(n_sentences):
        if rng.random() < contrast_rate:
            topic, written = minimal_pair(rng, held_out)
            for country, side, sentence, context in written:
                out.append(StanceExample(sentence, context, country, topic, side))
            other = rng.choice([c for c in COUNTRIES if c != written[0][0]])
            out.append(StanceExample(rng.choice(written)[2], "", other, topic, "none"))
            continue
        roll = rng.random()
        if roll < 0.08:
            country = rng.choice(COUNTRIES)
            text = _sentence(rng, rng.choice(ALIASES[country]), rng.choice(IRRELEVANT))
            topic = rng.choice(list(TOPICS))
            out.append(StanceExample(text, "", rng.choice([country, *COUNTRIES]), topic, "none"))
            continue
        sentence, context, facts = (_single if roll < 0.65 else _pair_sentence)(rng, held_out)
        for country, topic, side in facts:
            out.append(StanceExample(sentence, context, country, topic, side))
        mentioned = {c for c, _, _ in facts}
        country, topic, _side = facts[0]
        if rng.random() < 0.6:
            other = rng.choice([c for c in COUNTRIES if c not in mentioned])
            out.append(StanceExample(sentence, context, other, topic, "none"))
        else:
            other_topic = rng.choice([t for t in TOPICS if t != topic])
            out.append(StanceExample(sentence, context, country, other_topic, "none"))
    return out


def balance(examples: Sequence[StanceExample]) -> dict[str, int]:
    """Count of examples per gold stance (for the model card)."""
    counts = dict.fromkeys(STANCES, 0)
    for ex in examples:
        counts[ex.stance] += 1
    return counts
