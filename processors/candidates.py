"""Candidate (country, topic) pairs per sentence (pure).

A sentence is a candidate for (country, topic) when the country is one of its actors and the topic is
cued in it. Which pairs to ask the model about decides most of the pipeline's speed (the naive way asks
every country about every topic for every sentence) and much of its precision.

- Actors: countries mentioned by an alias that is not merely the object of a preposition ("sanctions against
  North Korea", "pressure on Russia", "talks with Pyongyang", "denuclearization of North Korea", "from both
  Pyongyang and Seoul", and what is coordinated with such an object: "toward Japan and South Korea"), nor
  the one urged, asked, told, invited or assured ("Moscow urged South Korea to desist"), nor who only
  reports ("..., Yonhap reported"), nor where an event takes place ("a summit in China"). "by", "for" and
  "between" are not in the list: "drills conducted by the United States", "respect for Russia and China for
  their support", "between Russia and China, as both oppose" name actors, except the parties of talks after
  an earlier actor ("Moscow's strategy is the promotion of diplomacy between Pyongyang and Seoul", "Moscow
  welcomed Pyongyang's contacts with Seoul"). A country qualifying a military action after "a/an/any"
  ("oppose a preemptive U.S. military strike") is not an actor; the owner of a policy word is, even after a
  preposition ("in contrast to Washington's focus on denuclearization"). The first actor is the sentence's
  subject: the speaker of a quote attributed at its end, else the first actor named. A topic's
  ``not_held_by`` countries are never asked about it.
- Carry-over: a sentence with no country mention at all ("The drills must stop, it said.") takes the
  subject of the sentence before it (one step, or two through a sentence that itself carried); a
  sentence that opens with a pronoun or a role ("He said ...", "The ministry said ...") adds that
  subject to its own actors.
- Topics: the topic cues of the sentence (weak cues only when the topic's participants are mentioned in
  the sentence, its neighbours or the title, and not when the sentence names other parties for the
  talks or partnership: "a summit between Washington and Moscow", "cooperation with Russia"; a weak
  word inside a capitalised name, "Naval War College", is no cue). A sentence with actors but no cue
  takes the cued topics of the sentence before it when it refers back ("... THAAD ... . China's envoy
  called for a halt of the deployment.").
- Headings and bylines (short lines without terminal punctuation) are not evidence; the title is (the
  pipeline passes it as the first sentence).
"""

from __future__ import annotations

import calendar
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from processors.lexicon import TITLES, Lexicon, Mention, Topic

# A mention right after one of these words is the target of an action, not an actor.
_TARGET_BEFORE = re.compile(
    r"(?:\b(?:on|against|toward|towards|at|into|upon|with|to|from|of|over|about)\s+(?:the\s+|both\s+|either\s+)?|"
    # the one being urged is not the one who urges: "Moscow urged South Korea to desist"
    r"\b(?:urged?|urges|urging|pressed|presses|pressing|asked|asks|called\s+on|calls\s+on|told|tells|"
    r"convinced?|convincing|persuaded?|persuading|invited?|invites|inviting|encouraged?|encourages|"
    r"encouraging|assured?|assures|assuring|reassured?|reassures|reassuring)\s+(?:the\s+)?)$",
    re.IGNORECASE,
)
# Where an event takes place is no side: "after a summit of the BRICS countries in China".
_VENUE_BEFORE = re.compile(
    r"\b(?:summit|meeting|conference|visit|forum|gathering|ceremony)\b[^,.;:]{0,40}?\bin\s+(?:the\s+)?$",
    re.IGNORECASE,
)
# A sentence opening with one of these refers back to the subject of the sentence before.
_ANAPHOR = re.compile(
    r"^\W*(?:he|she|they|it|its|his|her|their|the\s+(?:minister|ministry|spokesman|spokeswoman|spokesperson|"
    r"president|prime minister|official|officials|statement|envoy|ambassador|agency|government|leader|"
    r"foreign minister|diplomat|diplomats|country|state media|premier|chancellor))\b",
    re.IGNORECASE,
)
# A sentence without its own topic cue takes the topics of the sentence before only when it refers back
# to something: a pronoun or a definite noun phrase ("it", "the deployment", "the measures").
_REFERS_BACK = re.compile(
    r"\b(?:it|its|this|these|those|they|them|such|the\s+(?:deployment|move|plan|measures?|decision|proposal|"
    r"system|step|steps|policy|idea|talks|drills|exercises|resolution|strike|deal|agreement|summit|meeting|"
    r"battery|offer|initiative|issue|matter|sanctions))\b",
    re.IGNORECASE,
)
_BARE_COMMA = re.compile(r"^\s*,\s*(?:the\s+)?$")
_CLAUSE_GOES_ON = re.compile(r"^(?:['’]s)?\s+(?!and\b|or\b|as\s+well\b)[a-z]")
_COORDINATION = re.compile(r"^(?:\s*(?:,|and|or|as well as|&)\s*)+(?:the\s+)?$", re.IGNORECASE)
# "X's" owning a policy word is an actor even after a preposition: "in contrast to Washington's focus on
# denuclearization", "opposition to Washington's North Korea strategy" ("sanctions on North Korea's
# exports" stays a target).
_POLICY_OWNER_AFTER = re.compile(
    r"^['’]s?\s+(?:[\w-]+\s+){0,2}?(?:focus|strategy|policy|policies|position|stance|plan|proposal|push|"
    r"calls?|demands?|efforts?|decision|approach|initiative|insistence|offer|commitment|campaign|"
    r"support|opposition|objections?|refusal|pledge|threats?|backing|rhetoric)\b",
    re.IGNORECASE,
)
# The parties of talks that someone else promotes or criticises are what the talks are about, not
# actors: "Moscow's strategy is the promotion of diplomacy between Pyongyang and Seoul". Only after
# an earlier actor, so "Talks between Seoul and Pyongyang resumed" keeps both as actors.
_PARTIES_BEFORE = re.compile(
    r"\b(?:diplomacy|dialogue|talks|negotiations?|summit|meeting|relations|ties|rapprochement|"
    r"chasm|rift|gap|frictions?|tensions?)\s+between\s+(?:the\s+)?$",
    re.IGNORECASE,
)
# The same with a possessive: "Moscow welcomed Pyongyang's contacts with Seoul and Washington".
_OWN_TALKS_AFTER = re.compile(
    r"^['’]s?\s+(?:[\w-]+\s+)?(?:contacts?|talks|dialogue|negotiations|diplomacy|summit|meetings?|"
    r"rapprochement|relations|engagement)\s+with\b",
    re.IGNORECASE,
)
_CLAUSE_END = re.compile(r"[,;:]|\bthat\b")
# What follows a weak cue and names the parties it is about: "summit meeting between Trump and Putin",
# "cooperation with Russia".
_PARTIES_AFTER = re.compile(
    r"^(?:\s+[a-z][\w-]*)?\s+(between|with)\s+(?:(?:the|his|her|its|their)\s+)?", re.IGNORECASE
)
# A weak cue aimed at a named place or party that is none of the known countries: "the war against
# Ukraine", "aid to Syria", "ties with Iran". Calendar words and the peninsula itself are not parties.
_TARGET_AFTER = re.compile(r"^(?:\s+[a-z][\w-]*)?\s+(?:on|against|in|with|to)\s+(?:the\s+)?([A-Z][\w'’-]*)")
_NOT_A_PARTY = frozenset(
    {"Korea", "Korean", "Koreas", "Peninsula", "North", "South", *calendar.month_name[1:], *calendar.day_name}
)
# Who only reports is no side: "..., Yonhap reported."
_REPORTER_AFTER = re.compile(r"^\s+(?:reported|reports|quoted)\b")
# A quote attributed at its end names its speaker, who is the subject whatever the quote names first:
# '"North Korea best not make any more threats," Trump told reporters.'
_QUOTE_BEFORE = re.compile(r"[,.!?]?[”\"]\s*$")
_SPEECH_AFTER = re.compile(
    r"^\s+(?:said|says|told|tells|added|adds|warned|warns|stressed|stresses|insisted|insists|declared|"
    r"declares|wrote|writes)\b"
)
# A country named as the attribute of a military action ("oppose a preemptive U.S. military strike")
# is what the action is about, not who takes a side on it.
_INDEFINITE_BEFORE = re.compile(r"\b(?:a|an|any)\s+(?:[a-z][\w-]*\s+){0,2}$")
_MILITARY_AFTER = re.compile(
    r"^[\s-]*(?:military\s+|naval\s+|air\s+)?(?:strikes?|attacks?|action|invasion|war|intervention|"
    r"drills?|exercises?|forces|troops)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Candidate:
    """Ask the model whether sentence ``index`` shows ``country``'s stance on ``topic``."""

    index: int
    country: str
    topic: str
    carried: bool = False  # the country or the topic came from the sentence before


@dataclass(frozen=True)
class SentenceView:
    """What one sentence mentions: all countries, its actors (subject first) and its cued topics."""

    mentioned: tuple[str, ...]
    actors: tuple[str, ...]
    topics: tuple[str, ...]


def _dedupe(items: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def actors(sentence: str, mentions: Sequence[Mention]) -> tuple[str, ...]:
    """Countries in ``mentions`` that act in ``sentence`` (targets dropped), in order."""
    out: list[str] = []
    previous_target: Mention | None = None
    parties_from: int | None = None  # inside "talks between A and B" (until the clause ends)
    for m in mentions:
        before, after = sentence[: m.start], sentence[m.end :]
        if parties_from is not None and _CLAUSE_END.search(sentence[parties_from : m.start]):
            parties_from = None
        if parties_from is None and out and _PARTIES_BEFORE.search(before[-60:]):
            parties_from = m.start
        is_target = (
            parties_from is not None
            or bool(_TARGET_BEFORE.search(before[-40:]))
            or bool(_VENUE_BEFORE.search(before[-80:]))
            or bool(out and _OWN_TALKS_AFTER.match(after))
        )
        if not is_target and previous_target is not None:
            gap = sentence[previous_target.end : m.start]
            # after a bare comma, a mention followed by a lowercase word (not "and") starts the main
            # clause ("in China, Putin said"); otherwise the list goes on ("toward Japan, South Korea and
            # the US", "contacts with Seoul, Washington")
            is_target = bool(_COORDINATION.match(gap)) and not (
                _BARE_COMMA.match(gap) and _CLAUSE_GOES_ON.match(after)
            )
        if _REPORTER_AFTER.match(after) or (
            _INDEFINITE_BEFORE.search(before[-40:]) and _MILITARY_AFTER.match(after)
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
    return _dedupe([speaker, *out] if speaker else out)


def _named_parties(sentence: str, end: int, mentions: Sequence[Mention]) -> tuple[str, set[str]] | None:
    """("between" | "with", countries) when the words right after ``end`` name parties, else None."""
    found = _PARTIES_AFTER.match(sentence[end:])
    if found is None:
        return None
    start = end + found.end()
    named = [m for m in mentions if m.start >= start]
    if not named or named[0].start != start:
        return None
    parties = {named[0].country}
    for before, m in itertools.pairwise(named):
        gap = sentence[before.end : m.start]
        if _CLAUSE_END.search(gap) or (found.group(1).lower() == "with" and not _COORDINATION.match(gap)):
            break
        parties.add(m.country)
    return found.group(1).lower(), parties


def _aimed_outside(sentence: str, end: int, mentions: Sequence[Mention]) -> bool:
    """True when the words right after ``end`` aim the cue at a named party outside the lexicon."""
    found = _TARGET_AFTER.match(sentence[end:])
    word = re.sub(r"['’]s$", "", found.group(1)) if found else ""
    if found is None or word in _NOT_A_PARTY or word in TITLES:  # "ties with President Putin"
        return False
    return not any(end < m.end and m.start < end + found.end() for m in mentions)


def _talk_parties(sentence: str, mentions: Sequence[Mention]) -> set[str]:
    """The countries named as the parties of talks anywhere in ``sentence`` ("the chasm between
    Washington and Moscow")."""
    parties: set[str] = set()
    first: Mention | None = None
    for m in mentions:
        if (
            first is not None
            and (  # a group name ("the two Koreas") gives mentions that start together
                m.start == first.start or _COORDINATION.match(sentence[first.end : m.start])
            )
        ):
            parties.update((first.country, m.country))
        first = m if _PARTIES_BEFORE.search(sentence[: m.start][-60:]) else None
    return parties


def _counterpart_in_place(wanted: set[str], parties: set[str], mentioned: set[str]) -> bool:
    """For "<cue> with <a participant>": the topic's other participants are named in the sentence, or no
    country outside them is. "Trump's meeting with Kim" is US-North Korea diplomacy; "South Korea's
    meeting with Kim" is not."""
    rest = wanted - parties
    return not rest or bool(rest & mentioned) or not mentioned - parties


def _about_other_parties(
    topic: Topic, spans: Sequence[tuple[int, int]], sentence: str, mentions: Sequence[Mention]
) -> bool:
    """True when every weak cue of ``topic`` names parties that are not the topic's: "the chasm between
    Washington and Moscow" is not US-North Korea diplomacy, "cooperation with Russia" is not backing
    of North Korea, "the war against Ukraine" is not a strike on North Korea."""
    wanted = set(topic.participants)
    mentioned = {m.country for m in mentions}
    talks = _talk_parties(sentence, mentions)  # for a cue that names no parties of its own
    for _, end in spans:
        if _aimed_outside(sentence, end, mentions):
            continue
        named = _named_parties(sentence, end, mentions) or (("between", talks) if talks else None)
        if named is None:
            return False
        kind, parties = named
        if (kind == "between" and wanted <= parties) or (
            kind == "with" and wanted & parties and _counterpart_in_place(wanted, parties, mentioned)
        ):
            return False
    return bool(spans)


def _topics(
    lexicon: Lexicon, sentence: str, mentions: Sequence[Mention], in_view: set[str]
) -> tuple[str, ...]:
    """The cued topics, less those cued only by weak words that are about other parties."""
    return tuple(
        t
        for t in lexicon.cues(sentence, in_view)
        if lexicon.has_strong_cue(sentence, t)
        or not _about_other_parties(lexicon.topic(t), lexicon.weak_cue_spans(sentence, t), sentence, mentions)
    )


def is_heading(sentence: str) -> bool:
    """A short line without terminal punctuation (a heading, a byline): no stance evidence in it."""
    return not sentence.rstrip("\"'”’)]").endswith((".", "!", "?", ":", ";")) and len(sentence.split()) <= 12


def views(sentences: Sequence[str], lexicon: Lexicon, title: str = "") -> list[SentenceView]:
    """The mentions, actors and cued topics of every sentence."""
    mentions = [lexicon.mentions(s) for s in sentences]
    title_countries = {m.country for m in lexicon.mentions(title)}
    out: list[SentenceView] = []
    for i, sentence in enumerate(sentences):
        # weak cues need their participants in view: this sentence, its neighbours or the title
        in_view = set(title_countries)
        for j in (i - 1, i, i + 1):
            if 0 <= j < len(sentences):
                in_view.update(m.country for m in mentions[j])
        heading = is_heading(sentence) and sentence != " ".join(title.split())  # a title is evidence
        out.append(
            SentenceView(
                mentioned=_dedupe([m.country for m in mentions[i]]),
                actors=() if heading else actors(sentence, mentions[i]),
                topics=() if heading else _topics(lexicon, sentence, mentions[i], in_view),
            )
        )
    return out


def candidates(sentences: Sequence[str], lexicon: Lexicon, title: str = "") -> list[Candidate]:
    """Every candidate pair of every sentence, in sentence order, without duplicates."""
    seen = views(sentences, lexicon, title)
    out: list[Candidate] = []
    subject_of: list[str | None] = []  # each sentence's subject, own or carried
    depth = [0] * len(seen)  # how many sentences back a carried subject came from
    for i, view in enumerate(seen):
        countries: tuple[str, ...] = view.actors
        carried_country: str | None = None
        refers_back = not view.mentioned or bool(_ANAPHOR.match(sentences[i]))
        if refers_back and i > 0:
            subject = subject_of[i - 1]
            if subject is not None and depth[i - 1] < 2 and subject not in countries:
                countries, carried_country = (subject, *countries), subject
                depth[i] = depth[i - 1] + 1
        subject_of.append(countries[0] if countries else None)
        topics, topic_carried = view.topics, False
        if not topics and countries and i > 0 and seen[i - 1].topics and _REFERS_BACK.search(sentences[i]):
            topics, topic_carried = seen[i - 1].topics, True
        for country in countries:
            for topic in topics:
                if country in lexicon.topic(topic).not_held_by:
                    continue
                out.append(Candidate(i, country, topic, carried=country == carried_country or topic_carried))
    return out
