"""Candidate (country, topic) pairs per sentence (pure).

Which pairs to ask the model about decides most of the pipeline's speed (the naive way asks every country
about every topic for every sentence) and what it can find at all. ``wide_candidates`` asks each sentence
about every country it names (and those of the sentence before) on every topic cued in it or a neighbour,
and lets the model say "none". (Rules that picked the sentence's actors instead were measured against
this with ``benchmarks/eval_pipeline.py --compare``: F1 0.708 against 0.736 on korea-news-dev, reach 80
against 89 of 94; they went.)

- Topics: the topic cues of the sentence (weak cues only when the topic's participants are mentioned in
  the sentence, its neighbours or the title, and not when the sentence names other parties for the
  talks or partnership: "a summit between Washington and Moscow", "cooperation with Russia", "South
  Korea's meeting with Kim" for US-DPRK diplomacy, "the war against Ukraine"; a weak word inside a
  capitalised name, "Naval War College", is no cue).
- A topic's ``not_held_by`` countries are never asked about it.
- Headings and bylines (short lines without terminal punctuation) are not evidence; the title is (the
  pipeline passes it as the first sentence).
"""

from __future__ import annotations

import calendar
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from processors.lexicon import Lexicon, Mention, Topic
from processors.names import TITLES

COORDINATION = re.compile(r"^(?:\s*(?:,|and|or|as well as|&)\s*)+(?:the\s+)?$", re.IGNORECASE)
CLAUSE_END = re.compile(r"[,;:]|\bthat\b")
# Words after which two coordinated countries are the parties of talks or of a rift: "diplomacy between
# Pyongyang and Seoul", "the chasm between Washington and Moscow".
PARTIES_BEFORE = re.compile(
    r"\b(?:diplomacy|dialogue|talks|negotiations?|summit|meeting|relations|ties|rapprochement|"
    r"chasm|rift|gap|frictions?|tensions?)\s+between\s+(?:the\s+)?$",
    re.IGNORECASE,
)
# What follows a weak cue and names the parties it is about: "summit meeting between Trump and Putin",
# "cooperation with Russia".
_PARTIES_AFTER = re.compile(
    r"^(?:\s+[a-z][\w-]*)?\s+(between|with)\s+(?:(?:the|his|her|its|their)\s+)?", re.IGNORECASE
)
# A weak cue aimed at a named place or party that is none of the known countries: "the war against
# Ukraine", "aid to Syria", "ties with Iran". Calendar words and the peninsula itself are not parties.
# Aimed at a known country that is not one of the topic's participants ("diplomatic pressure on
# Russia", "aid to Seoul"), it is not the topic either; "with" and "in" are left to the other rules. For
# the talks formats, "in <name>" is where the talks are held ("the talks in Stockholm"), not a party.
_TARGET_AFTER = re.compile(
    r"^(?:\s+[a-z][\w-]*)?\s+(?:(?P<aimed>on|against|to)|(?P<within>in)|with)\s+(?:the\s+)?(?P<word>[A-Z][\w'’-]*)"
)
_NOT_A_PARTY = frozenset(
    {"Korea", "Korean", "Koreas", "Peninsula", "North", "South", *calendar.month_name[1:], *calendar.day_name}
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
    """What one sentence mentions: all countries and its cued topics."""

    mentioned: tuple[str, ...]
    topics: tuple[str, ...]


def dedupe(items: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


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
        if CLAUSE_END.search(gap) or (found.group(1).lower() == "with" and not COORDINATION.match(gap)):
            break
        parties.add(m.country)
    return found.group(1).lower(), parties


def _aimed_outside(
    sentence: str, end: int, mentions: Sequence[Mention], participants: set[str], talks: bool = False
) -> bool:
    """True when the words right after ``end`` aim the cue at a named party outside the lexicon, or at a
    known country that is not one of ``participants``. For talks (``talks``), "in" names a venue, not a
    party: "the talks in Stockholm", unlike "the war in Ukraine"."""
    found = _TARGET_AFTER.match(sentence[end:])
    word = re.sub(r"['’]s$", "", found.group("word")) if found else ""
    if found is None or word in _NOT_A_PARTY or word in TITLES:  # "ties with President Putin"
        return False
    if talks and found.group("within"):
        return False
    named = {m.country for m in mentions if end < m.end and m.start < end + found.end()}
    return not named or bool(found.group("aimed") and participants and not named & participants)


def _talk_parties(sentence: str, mentions: Sequence[Mention]) -> set[str]:
    """The countries named as the parties of talks anywhere in ``sentence`` ("the chasm between
    Washington and Moscow")."""
    parties: set[str] = set()
    first: Mention | None = None
    for m in mentions:
        if (
            first is not None
            and (  # a group name ("the two Koreas") gives mentions that start together
                m.start == first.start or COORDINATION.match(sentence[first.end : m.start])
            )
        ):
            parties.update((first.country, m.country))
        first = m if PARTIES_BEFORE.search(sentence[: m.start][-60:]) else None
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
        if _aimed_outside(sentence, end, mentions, wanted, talks=topic.qualifies):
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


def views(
    sentences: Sequence[str],
    lexicon: Lexicon,
    title: str = "",
    found: Sequence[Sequence[Mention]] | None = None,
    weak_cue_filters: bool = True,
) -> list[SentenceView]:
    """The mentions and cued topics of every sentence; ``found`` is
    ``lexicon.document_mentions([title, *sentences])`` when the caller has it already. Without
    ``weak_cue_filters`` a weak cue counts whatever parties it names (measured by eval_pipeline)."""
    title_mentions, *mentions = found if found is not None else lexicon.document_mentions([title, *sentences])
    title_countries = {m.country for m in title_mentions}
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
                mentioned=dedupe([m.country for m in mentions[i]]),
                topics=()
                if heading
                else _topics(lexicon, sentence, mentions[i], in_view)
                if weak_cue_filters
                else lexicon.cues(sentence, in_view),
            )
        )
    return out


@dataclass(frozen=True)
class WideRules:
    """Where ``wide_candidates`` looks beyond a sentence; each switch is measured on and off by
    ``benchmarks/eval_pipeline.py --compare``."""

    countries_before: bool = True  # the countries of the sentence before ("... Russia. It opposes ...")
    neighbour_topics: bool = True  # the topics cued in the sentences before and after
    weak_cue_filters: bool = True  # a weak cue naming other parties ("talks with Moscow") cues nothing


ALL_RULES = WideRules()


def wide_candidates(
    sentences: Sequence[str],
    lexicon: Lexicon,
    title: str = "",
    found: Sequence[Sequence[Mention]] | None = None,
    rules: WideRules = ALL_RULES,
) -> list[Candidate]:
    """Every pair the text may address, for the model to answer (it may say "none"): each sentence is
    asked about the countries it names and those of the sentence before it, on every topic cued in it or
    in a neighbour. A country or topic that comes from elsewhere is ``carried`` (the sentence before goes
    with it as context). The title is the first sentence. (Asking the title's countries of every sentence
    was measured too: no set moved, so it went.)"""
    found = found if found is not None else lexicon.document_mentions([title, *sentences])
    seen = views(sentences, lexicon, title, found, rules.weak_cue_filters)
    mentions = found[1:]
    out: list[Candidate] = []
    for i, view in enumerate(seen):
        if is_heading(sentences[i]) and sentences[i] != " ".join(title.split()):
            continue  # a heading or byline is no evidence (the title is)
        near = (i - 1, i + 1) if rules.neighbour_topics else ()
        topics = dedupe([*view.topics, *(t for j in near if 0 <= j < len(seen) for t in seen[j].topics)])
        own = dedupe([m.country for m in mentions[i]])
        before = dedupe([m.country for m in mentions[i - 1]]) if i > 0 and rules.countries_before else ()
        for country in dedupe([*own, *before]):
            for topic in topics:
                if country in lexicon.topic(topic).not_held_by:
                    continue
                carried = country not in own or topic not in view.topics
                out.append(Candidate(i, country, topic, carried=carried))
    return out
