"""Minimal pairs for the project's Korea-policy training examples: same subject, same frame, same object,
only the verb (or stance noun) differs between the support and the oppose sentence.

Why: a model trained on free templates learns that a topic noun ("sanctions", "THAAD", "drills") is
evidence of support, so "demanded that the UN lift the sanctions" or "announced its opposition to the
exercises" read as support. Generating both sides of one frame together leaves the verb as the only
signal. Both directions are written with the same care (support verbs that create or keep a thing:
"imposed new sanctions", "approved more THAAD launchers"), so the pairs do not tilt the model to oppose.
Written for this project; no third-party text. The last verb of every list is held out for calibration,
like the phrasebook's verb phrases.
"""

from __future__ import annotations

import random
from typing import TypeVar

from processors.training.phrasebook import ALIASES, FRAMES, KP_OBJ

T = TypeVar("T")

# Stance nouns that take any topic object: "<subj> announced opposition to <object>".
STANCE_NOUNS: dict[str, list[str]] = {
    "support": [
        "announced support for",
        "voiced strong support for",
        "expressed backing for",
        "came out in favour of",
        "reaffirmed a commitment to",
        "argued for",
        "pressed for",
    ],
    "oppose": [
        "announced opposition to",
        "voiced strong opposition to",
        "expressed objections to",
        "came out against",
        "reiterated opposition to",
        "argued against",
        "spoke out against",
    ],
}

# Objects for the stance nouns, per topic (what a side is taken on).
OBJECTS: dict[str, list[str]] = {
    "sanctions": ["new sanctions on {kp}", "the sanctions resolution", "tighter sanctions against {kp}"],
    "thaad": ["the THAAD deployment", "the THAAD missile defense system", "more THAAD launchers"],
    "military_exercises": [
        "the joint military exercises",
        "large-scale US-South Korea drills",
        "the annual war games on the peninsula",
    ],
    "inter_korean_dialogue": [
        "inter-Korean talks",
        "dialogue between the two Koreas",
        "a North-South summit",
    ],
    "us_dprk_diplomacy": [
        "a summit between Washington and Pyongyang",
        "direct US-North Korea talks",
        "a meeting between Trump and Kim",
    ],
    "six_party_talks": ["the Six-Party Talks", "a return to the six-party format"],
    "military_strike": ["a preemptive strike on {kp}", "military action against {kp}", "the use of force"],
    "denuclearization": ["the denuclearization of the peninsula", "North Korea's nuclear disarmament"],
    "support_for_dprk": ["economic aid to {kp}", "closer military ties with {kp}", "trade with {kp}"],
}

# Verb pairs per topic: (support wording, oppose wording) over the same object.
VERB_PAIRS: dict[str, list[tuple[str, str]]] = {
    "sanctions": [
        ("called for tightening the sanctions on {kp}", "called for lifting the sanctions on {kp}"),
        ("pushed to expand the sanctions on {kp}", "pushed to ease the sanctions on {kp}"),
        ("demanded that the sanctions on {kp} be enforced", "demanded that the sanctions on {kp} be lifted"),
        ("imposed new sanctions on {kp}", "suspended unilateral sanctions on {kp}"),
        ("moved to adopt harsher sanctions against {kp}", "moved to water down the sanctions against {kp}"),
        (
            "urged the UN to keep the sanctions on {kp} in place",
            "urged the UN to relax the sanctions on {kp}",
        ),
    ],
    "thaad": [
        ("pushed to speed up the THAAD deployment", "pushed to halt the THAAD deployment"),
        ("insisted that the THAAD battery stay", "insisted that the THAAD battery be removed"),
        ("approved the deployment of more THAAD launchers", "blocked the deployment of more THAAD launchers"),
        ("vowed to keep THAAD in place", "vowed to get THAAD withdrawn"),
    ],
    "military_exercises": [
        (
            "called for expanding the joint military exercises",
            "called for scaling down the joint military exercises",
        ),
        ("insisted that the joint drills go ahead", "insisted that the joint drills be halted"),
        ("pushed to resume the joint exercises", "pushed to suspend the joint exercises"),
        ("wants the war games to continue", "wants the war games to stop"),
    ],
    "inter_korean_dialogue": [
        ("called for resuming inter-Korean talks", "called off the inter-Korean talks"),
        (
            "pushed to reopen dialogue between the two Koreas",
            "refused to reopen dialogue between the two Koreas",
        ),
        ("accepted an offer of North-South talks", "turned down an offer of North-South talks"),
    ],
    "us_dprk_diplomacy": [
        (
            "agreed to a summit between Washington and Pyongyang",
            "cancelled the summit between Washington and Pyongyang",
        ),
        ("called for direct talks between the US and {kp}", "ruled out direct talks between the US and {kp}"),
        ("wants to meet Kim Jong Un", "refuses to meet Kim Jong Un"),
    ],
    "six_party_talks": [
        ("called for reviving the Six-Party Talks", "called for abandoning the Six-Party Talks"),
        ("pushed to restart the six-party process", "declared the six-party process dead"),
    ],
    "military_strike": [
        ("threatened a military strike against {kp}", "ruled out a military strike against {kp}"),
        ("called for military action against {kp}", "warned against military action against {kp}"),
        ("said force must remain an option against {kp}", "said force must never be used against {kp}"),
    ],
    "denuclearization": [
        (
            "demanded the complete denuclearization of {kp}",
            "dropped the demand for the denuclearization of {kp}",
        ),
        (
            "insisted that {kp} give up its nuclear weapons",
            "accepted that {kp} will keep its nuclear weapons",
        ),
    ],
    "support_for_dprk": [
        ("expanded trade with {kp}", "cut trade with {kp}"),
        ("pledged economic aid to {kp}", "halted economic aid to {kp}"),
        ("strengthened ties with {kp}", "distanced itself from {kp}"),
    ],
}

# North Korea as the subject reads naturally only on the engagement topics.
KP_SUBJECT_TOPICS = ("inter_korean_dialogue", "us_dprk_diplomacy", "six_party_talks")


def _split(items: list[T], held_out: bool) -> list[T]:
    """The held-out last item, or all the others."""
    return items[-1:] if held_out else items[:-1]


def minimal_pair(rng: random.Random, held_out: bool) -> tuple[str, list[tuple[str, str, str, str]]]:
    """One topic and subject, written once per side: ``(topic, [(country, side, sentence, ""), ...])``.

    Half the pairs use a stance noun over a topic object, half a topic-specific verb pair.
    """
    topic = rng.choice(list(VERB_PAIRS))
    countries = [c for c in ALIASES if c != "KP" or topic in KP_SUBJECT_TOPICS]
    if topic == "support_for_dprk":
        countries = [c for c in countries if c != "KP"]
    country = rng.choice(countries)
    subject = rng.choice(ALIASES[country])
    frame = rng.choice(FRAMES)
    kp = rng.choice(KP_OBJ)
    if rng.random() < 0.5:
        obj = rng.choice(OBJECTS[topic]).replace("{kp}", kp)
        wordings = {
            side: f"{rng.choice(_split(STANCE_NOUNS[side], held_out))} {obj}" for side in STANCE_NOUNS
        }
    else:
        sup, opp = rng.choice(_split(VERB_PAIRS[topic], held_out))
        wordings = {"support": sup.replace("{kp}", kp), "oppose": opp.replace("{kp}", kp)}
    out = []
    for side, vp in wordings.items():
        text = frame.format(subj=subject, vp=vp)
        out.append((country, side, text[:1].upper() + text[1:], ""))
    return topic, out
