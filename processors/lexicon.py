"""The classifier's vocabulary: countries with their aliases, and topics with their cue words.

``load_lexicon(countries_file, topics_file)`` matches the one vocabulary every stage shares
(``core.vocabulary``: core/countries.yaml, core/topics.yaml and the operator's files, validated there; a bad
file raises ``LexiconError``, the vocabulary's one-line error). Matching (``Lexicon.mentions``,
``Lexicon.cues``) is pure.

Alias matching is case-sensitive on whole words ("US" never matches "us"); the leftmost, longest alias
wins; names listed under ``ignore`` (newspapers, seas) are masked first; a name listed under ``groups``
("the two Koreas") mentions each of its countries. Over a whole article (``Lexicon.document_mentions``) a
bare name listed under ``shared_surnames`` ("Kim") stands for the country of the last full name before it
that carries it, else of the first one after it, else for the country the file gives. Cue matching is
case-insensitive at a word start; cues of five letters or more also match longer words ("sanction" ->
"sanctions", "denucleari" -> "denuclearization"), shorter ones only with an inflection ("war" -> "wars",
never "warn"). A topic's ``weak_cues`` count only when all its ``participants`` are mentioned in the
window the caller passes (a sentence and its neighbours): "talks" is about US-North Korea diplomacy only
when both are in view. A topic that ``qualifies`` claims the words right after its cues: in "inter-Korean
diplomatic dialogue" neither weak word cues US-North Korea diplomacy. A topic's ``not_held_by`` countries
are never asked about it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from core.vocabulary import Country, Topic, Vocabulary, VocabularyError, load_vocabulary
from processors.names import (
    BARE_NAME,
    COMPASS_ALIAS,
    NAME_GOES_ON,
    QUALIFIED_GAP,
    WORD_START,
    after_other_name,
    alias_pattern,
    cue_pattern,
    inside_name,
)

__all__ = ["Country", "Lexicon", "LexiconError", "Mention", "Topic", "load_lexicon"]

LexiconError = VocabularyError  # a countries or topics file is unreadable or invalid; one line


@dataclass(frozen=True)
class Mention:
    """One alias found in a text: which country, where, and the words used."""

    country: str
    start: int
    end: int
    text: str


def _remember_surnames(owner: dict[str, str], alias: Mention) -> None:
    """A full alias that carries a shared surname as a word ("Kim Dae-jung") makes it that country's."""
    for word in re.findall(r"[A-Z][a-z]+", alias.text):
        if word in owner:
            owner[word] = alias.country


@dataclass(frozen=True)
class Lexicon:
    countries: tuple[Country, ...]
    topics: tuple[Topic, ...]
    ignore: tuple[str, ...] = ()
    groups: tuple[tuple[str, tuple[str, ...]], ...] = ()  # ("the two Koreas", ("KR", "KP"))
    shared_surnames: tuple[tuple[str, str], ...] = ()  # ("Kim", "KP"): a bare "Kim", by default North Korea
    _alias_re: re.Pattern[str] = field(init=False, repr=False, compare=False)
    _ignore_re: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    _alias_owner: dict[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)
    _surnames: frozenset[str] = field(init=False, repr=False, compare=False)
    _cue_res: dict[str, tuple[re.Pattern[str] | None, re.Pattern[str] | None]] = field(
        init=False, repr=False, compare=False
    )

    @classmethod
    def of(cls, vocabulary: Vocabulary) -> Lexicon:
        """The lexicon that matches ``vocabulary``'s aliases and cues."""
        return cls(
            countries=vocabulary.countries,
            topics=vocabulary.topics,
            ignore=vocabulary.ignore,
            groups=vocabulary.groups,
            shared_surnames=vocabulary.shared_surnames,
        )

    def __post_init__(self) -> None:
        owner: dict[str, tuple[str, ...]] = {}
        for country in self.countries:
            for alias in (*country.aliases, *country.surnames):
                owner.setdefault(alias, (country.code,))
        for name, codes in self.groups:
            owner.setdefault(name, codes)
        set_ = object.__setattr__
        set_(self, "_surnames", frozenset(s for c in self.countries for s in c.surnames))
        set_(self, "_alias_owner", owner)
        set_(self, "_alias_re", alias_pattern(owner))
        set_(self, "_ignore_re", alias_pattern(self.ignore) if self.ignore else None)
        set_(
            self,
            "_cue_res",
            {t.id: (cue_pattern(t.cues), cue_pattern(t.weak_cues)) for t in self.topics},
        )

    @property
    def country_codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.countries)

    @property
    def topic_ids(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.topics)

    def country(self, code: str) -> Country:
        return next(c for c in self.countries if c.code == code)

    def topic(self, topic_id: str) -> Topic:
        return next(t for t in self.topics if t.id == topic_id)

    def mentions(self, text: str) -> tuple[Mention, ...]:
        """Country mentions in ``text``, in order of appearance; a group name ("the two Koreas") is one
        mention per country, all over the same words. "the North"/"the South" followed by another
        capitalised word is part of another name ("the North Atlantic") and no mention."""
        if self._ignore_re is not None:
            text = self._ignore_re.sub(lambda m: " " * len(m.group(0)), text)
        return tuple(
            Mention(code, m.start(), m.end(), m.group(0))
            for m in self._matches(text)
            if m.group(0) not in self._surnames or not after_other_name(text, m.start())
            if not (COMPASS_ALIAS.match(m.group(0)) and NAME_GOES_ON.match(text[m.end() :]))
            for code in self._alias_owner[m.group(0)]
        )

    def document_mentions(self, texts: Sequence[str]) -> list[tuple[Mention, ...]]:
        """``mentions`` of each text of one document, in order, plus its bare shared surnames: a bare "Kim"
        stands for the country of the last full alias before it in the document that carries the name as
        a word ("Kim Dae-jung ... Kim" is South Korea, "Sung Kim ... Kim" the United States); with none
        before it, for that of the first such alias after it (a headline's "Kim" before the body's "South
        Korean President Kim Dae-jung"); with none at all, for the country that ``shared_surnames`` gives
        (North Korea)."""
        found_in = [self.mentions(text) for text in texts]
        owner = dict(self.shared_surnames)
        for full in reversed([m for found in found_in for m in found]):
            _remember_surnames(owner, full)  # the first full name wins: it decides a bare name before it
        out: list[tuple[Mention, ...]] = []
        for text, found in zip(texts, found_in, strict=True):
            bare = [
                b
                for b in BARE_NAME.finditer(text)
                if b.group(1) in owner
                and not any(m.start <= b.start() < m.end for m in found)
                and not after_other_name(text, b.start())
            ]
            added: list[Mention] = []
            earlier = iter(found)
            alias = next(earlier, None)
            for b in bare:
                while alias is not None and alias.start < b.start():
                    _remember_surnames(owner, alias)
                    alias = next(earlier, None)
                added.append(Mention(owner[b.group(1)], b.start(), b.end(), b.group(0)))
            while alias is not None:
                _remember_surnames(owner, alias)
                alias = next(earlier, None)
            out.append(tuple(sorted((*found, *added), key=lambda m: m.start)))
        return out

    def _matches(self, text: str) -> Iterator[re.Match[str]]:
        """Alias matches from left to right; a match gives way to one that starts at a later word inside it
        and reaches further: "the North Korean crisis" is "North Korean", not "the North"."""
        pos = 0
        while (found := self._alias_re.search(text, pos)) is not None:
            for inner in WORD_START.finditer(text, found.start() + 1, found.end()):
                longer = self._alias_re.match(text, inner.start())
                if longer is not None and longer.end() > found.end():
                    found = longer
                    break
            yield found
            pos = found.end()

    def cues(self, text: str, in_view: frozenset[str] | set[str] = frozenset()) -> tuple[str, ...]:
        """Topics cued in ``text``; weak cues count only when all participants are in ``in_view``."""
        found: list[str] = []
        for topic in self.topics:
            if self.has_strong_cue(text, topic.id) or (
                set(topic.participants) <= set(in_view) and self.weak_cue_spans(text, topic.id)
            ):
                found.append(topic.id)
        return tuple(found)

    def has_strong_cue(self, text: str, topic_id: str) -> bool:
        strong = self._cue_res[topic_id][0]
        return strong is not None and strong.search(text) is not None

    def weak_cue_spans(self, text: str, topic_id: str) -> list[tuple[int, int]]:
        """Where ``topic_id``'s weak cues occur in ``text``, leaving out those inside a capitalised name
        ("Naval War College", "the Korean War"): a weak word there names a thing, not the topic; and
        those right after the cue of another topic that qualifies ("inter-Korean talks")."""
        weak = self._cue_res[topic_id][1]
        if weak is None:
            return []
        spans = [(m.start(), m.end()) for m in weak.finditer(text) if not inside_name(text, *m.span())]
        if not spans:  # the common case: no need to look for the other topics' cues
            return spans
        claimed = self._qualified_ends(text, topic_id)
        return [
            (start, end)
            for start, end in spans
            if not any(QUALIFIED_GAP.fullmatch(text, cue, start) for cue in claimed if cue <= start)
        ]

    def _qualified_ends(self, text: str, topic_id: str) -> list[int]:
        """Where the cues of the other topics that qualify end in ``text``."""
        return [
            m.end()
            for t in self.topics
            if t.qualifies and t.id != topic_id and (strong := self._cue_res[t.id][0]) is not None
            for m in strong.finditer(text)
        ]


def load_lexicon(countries_file: Path | None = None, topics_file: Path | None = None) -> Lexicon:
    """The lexicon of the one vocabulary (``core.vocabulary.load_vocabulary``) with the operator's files.

    Raises LexiconError (the vocabulary's one-line error)."""
    return Lexicon.of(load_vocabulary(countries_file, topics_file))
