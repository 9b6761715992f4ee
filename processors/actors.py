"""Who acts in a sentence (pure): the countries that take a side, not those acted upon.

Actors are the countries mentioned by an alias that is not merely the object of a preposition ("sanctions
against North Korea", "pressure on Russia", "talks with Pyongyang", "denuclearization of North Korea", "from
both Pyongyang and Seoul", and what is coordinated with such an object: "toward Japan and South Korea"), nor
the one urged, asked, told, invited or assured ("Moscow urged South Korea to desist"), nor who only reports
("..., Yonhap reported"), nor where an event takes place or a weapon or force is placed ("a summit in China",
"the THAAD battery in South Korea"). "by", "for" and "between" are not in the list: "drills conducted by the
United States", "respect for Russia and China for their support", "between Russia and China, as both oppose"
name actors, except the parties of talks after an earlier actor ("Moscow's strategy is the promotion of
diplomacy between Pyongyang and Seoul", "Moscow welcomed Pyongyang's contacts with Seoul"). A country
qualifying a military action after "a/an/any" ("oppose a preemptive U.S. military strike") is not an actor,
nor one naming the problem a sentence is about ("the North Korean threat"); the owner of a policy word is,
even after a preposition ("in contrast to Washington's focus on denuclearization"), and so is who reacts
("drew a protest from Beijing"). The first actor is the sentence's subject: the speaker of a quote attributed
at its end, else the first actor named.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from processors.lexicon import Mention

# A mention right after one of these words is the target of an action, not an actor.
_TARGET_BEFORE = re.compile(
    r"(?:\b(?:on|against|toward|towards|at|into|upon|with|to|from|of|over|about)\s+(?:the\s+|both\s+|either\s+)?|"
    # the one being urged is not the one who urges: "Moscow urged South Korea to desist"
    r"\b(?:urged?|urges|urging|pressed|presses|pressing|asked|asks|called\s+on|calls\s+on|told|tells|"
    r"convinced?|convincing|persuaded?|persuading|invited?|invites|inviting|encouraged?|encourages|"
    r"encouraging|assured?|assures|assuring|reassured?|reassures|reassuring)\s+(?:the\s+)?)$",
    re.IGNORECASE,
)
# Where an event takes place, or where a weapon or force is placed, is no side: "after a meeting of Asian
# leaders in China", "the THAAD battery in South Korea", "U.S. troops stationed in Japan".
_PLACE_BEFORE = re.compile(
    r"\b(?:summit|meeting|conference|visit|forum|gathering|ceremony|THAAD|battery|batteries|system|systems|"
    r"shield|radars?|launchers?|deployment|deployed|deploying|stationed|stationing|troops|forces|bases?)\b"
    r"[^,.;:]{0,40}?\bin\s+(?:the\s+)?$",
    re.IGNORECASE,
)
_BARE_COMMA = re.compile(r"^\s*,\s*(?:the\s+)?$")
_CLAUSE_GOES_ON = re.compile(r"^(?:['’]s)?\s+(?!and\b|or\b|as\s+well\b)[a-z]")
COORDINATION = re.compile(r"^(?:\s*(?:,|and|or|as well as|&)\s*)+(?:the\s+)?$", re.IGNORECASE)
# "X's" owning a policy word is an actor even after a preposition: "in contrast to Washington's focus on
# denuclearization", "opposition to Washington's North Korea strategy" ("sanctions on North Korea's
# exports" stays a target).
_POLICY_OWNER_AFTER = re.compile(
    r"^['’]s?\s+(?:[\w-]+\s+){0,2}?(?:focus|strategy|policy|policies|position|stance|plan|proposal|push|"
    r"calls?|demands?|efforts?|decision|approach|initiative|insistence|offer|commitment|campaign|"
    r"support|opposition|objections?|refusal|pledge|threats?|backing|rhetoric|claims?|concerns?|protests?|"
    r"warnings?|complaints?|accusations?|criticism)\b",
    re.IGNORECASE,
)
# The parties of talks that someone else promotes or criticises are what the talks are about, not
# actors: "Moscow's strategy is the promotion of diplomacy between Pyongyang and Seoul". Only after
# an earlier actor, so "Talks between Seoul and Pyongyang resumed" keeps both as actors.
PARTIES_BEFORE = re.compile(
    r"\b(?:diplomacy|dialogue|talks|negotiations?|summit|meeting|relations|ties|rapprochement|"
    r"chasm|rift|gap|frictions?|tensions?)\s+between\s+(?:the\s+)?$",
    re.IGNORECASE,
)
# The same with a possessive: "Beijing praised Pyongyang's planned talks with Tokyo and Seoul".
_OWN_TALKS_AFTER = re.compile(
    r"^['’]s?\s+(?:[\w-]+\s+)?(?:contacts?|talks|dialogue|negotiations|diplomacy|summit|meetings?|"
    r"rapprochement|relations|engagement)\s+with\b",
    re.IGNORECASE,
)
CLAUSE_END = re.compile(r"[,;:]|\bthat\b")
# Who only reports is no side: "..., Yonhap reported."
_REPORTER_AFTER = re.compile(r"^\s+(?:reported|reports|quoted)\b")
# A quote attributed at its end names its speaker, who is the subject whatever the quote names first:
# '"Pyongyang had better stop its provocations," Biden told reporters.'
_QUOTE_BEFORE = re.compile(r"[,.!?]?[”\"]\s*$")
_SPEECH_AFTER = re.compile(
    r"^\s+(?:said|says|told|tells|added|adds|warned|warns|stressed|stresses|insisted|insists|declared|"
    r"declares|wrote|writes)\b"
)
# Who reacts is an actor even after "from": "a remark that drew a warning from Beijing", "protests from
# Moscow".
_REACTION_FROM_BEFORE = re.compile(
    r"\b(?:protests?|warnings?|rebukes?|criticism|condemnation|objections?|complaints?|backlash|"
    r"praise|rebuttal|retort)\s+from\s+(?:the\s+)?$",
    re.IGNORECASE,
)
# A country named as the attribute of a military action ("oppose a preemptive U.S. military strike")
# is what the action is about, not who takes a side on it.
_INDEFINITE_BEFORE = re.compile(r"\b(?:a|an|any)\s+(?:[a-z][\w-]*\s+){0,2}$")
_MILITARY_AFTER = re.compile(
    r"^[\s-]*(?:military\s+|naval\s+|air\s+)?(?:strikes?|attacks?|action|invasion|war|intervention|"
    r"drills?|exercises?|forces|troops)\b",
    re.IGNORECASE,
)

# A country naming the problem that a sentence is about is no side on it: "Russia's strategy to combat
# the North Korean threat", "a stake in the North Korean crisis".
_THE_BEFORE = re.compile(r"\bthe\s+$", re.IGNORECASE)
_PROBLEM_AFTER = re.compile(
    r"^\s+(?:nuclear\s+|missile\s+)?(?:crisis|threat|issue|problem|question|standoff|challenge)\b",
    re.IGNORECASE,
)


def dedupe(items: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def actors(sentence: str, mentions: Sequence[Mention]) -> tuple[str, ...]:
    """Countries in ``mentions`` that act in ``sentence`` (targets dropped), in order."""
    out: list[str] = []
    previous_target: Mention | None = None
    parties_from: int | None = None  # inside "talks between A and B" (until the clause ends)
    for m in mentions:
        before, after = sentence[: m.start], sentence[m.end :]
        if parties_from is not None and CLAUSE_END.search(sentence[parties_from : m.start]):
            parties_from = None
        if parties_from is None and out and PARTIES_BEFORE.search(before[-60:]):
            parties_from = m.start
        is_target = (
            parties_from is not None
            or (bool(_TARGET_BEFORE.search(before[-40:])) and not _REACTION_FROM_BEFORE.search(before[-60:]))
            or bool(_PLACE_BEFORE.search(before[-80:]))
            or bool(out and _OWN_TALKS_AFTER.match(after))
        )
        if not is_target and previous_target is not None:
            gap = sentence[previous_target.end : m.start]
            # after a bare comma, a mention followed by a lowercase word (not "and") starts the main
            # clause ("in China, Putin said"); otherwise the list goes on ("toward Japan, South Korea and
            # the US", "contacts with Seoul, Washington")
            is_target = bool(COORDINATION.match(gap)) and not (
                _BARE_COMMA.match(gap) and _CLAUSE_GOES_ON.match(after)
            )
        if (
            _REPORTER_AFTER.match(after)
            or (_INDEFINITE_BEFORE.search(before[-40:]) and _MILITARY_AFTER.match(after))
            or (_THE_BEFORE.search(before[-10:]) and _PROBLEM_AFTER.match(after))
        ):
            is_target = True
        elif _POLICY_OWNER_AFTER.match(after) and parties_from is None:
            is_target = False
        if is_target:
            previous_target = m
        else:
            previous_target = None
            out.append(m.country)
    speaker = next(
        (
            m.country
            for m in mentions
            if _QUOTE_BEFORE.search(sentence[: m.start]) and _SPEECH_AFTER.match(sentence[m.end :])
        ),
        None,
    )
    return dedupe([speaker, *out] if speaker else out)
