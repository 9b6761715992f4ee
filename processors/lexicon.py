"""The classifier's vocabulary: countries with their aliases, and topics with their cue words.

``load_lexicon(countries_file, topics_file)`` reads the files the project ships (processors/countries.yaml,
processors/topics.yaml): a user's countries file adds aliases to the shipped ones, a user's topics
file replaces the shipped topics (the model builds its hypotheses from the same file). A bad file raises
``LexiconError`` with one line naming the file and the problem. Matching (``Lexicon.mentions``,
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
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.files import FileError, read_yaml_mapping
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
from processors.training.hypotheses import TopicsError, parse_topic_phrases

PACKAGE_DIR = Path(__file__).resolve().parent
COUNTRIES_FILE = PACKAGE_DIR / "countries.yaml"
TOPICS_FILE = PACKAGE_DIR / "topics.yaml"


class LexiconError(ValueError):
    """A countries or topics file is unreadable or malformed; the message is one line."""


@dataclass(frozen=True)
class Country:
    code: str
    name: str
    aliases: tuple[str, ...]
    surnames: tuple[str, ...] = ()  # aliases that count only when not preceded by another name


@dataclass(frozen=True)
class Topic:
    id: str
    description: str
    support: str
    oppose: str
    cues: tuple[str, ...]
    weak_cues: tuple[str, ...] = ()
    participants: tuple[str, ...] = ()
    not_held_by: tuple[str, ...] = ()  # countries that take no side on it (North Korea does not back itself)
    qualifies: bool = False  # its cues say whose talks these are: "inter-Korean talks" are not US-DPRK talks


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


def _read_yaml(path: Path) -> Mapping[str, Any]:
    try:
        return read_yaml_mapping(path)
    except FileError as exc:
        raise LexiconError(str(exc)) from None


def _strings(path: Path, where: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise LexiconError(f"{path}: {where}: expected a list of non-empty strings")
    return tuple(v.strip() for v in value)


def _flag(path: Path, where: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise LexiconError(f"{path}: {where}: expected true or false")
    return value


def load_countries(
    extra: Path | None = None,
) -> tuple[
    tuple[Country, ...], tuple[str, ...], tuple[tuple[str, tuple[str, ...]], ...], tuple[tuple[str, str], ...]
]:
    """The shipped countries with ``extra``'s aliases merged in; returns (countries, ignore list, groups,
    shared surnames)."""
    merged: dict[str, Country] = {}
    ignore: list[str] = []
    groups: dict[str, tuple[str, ...]] = {}
    group_file: dict[str, Path] = {}
    shared: dict[str, str] = {}
    shared_file: dict[str, Path] = {}
    for path in filter(None, (COUNTRIES_FILE, extra)):
        data = _read_yaml(path)
        ignore.extend(_strings(path, "ignore", data.get("ignore")))
        raw_groups = data.get("groups") or {}
        if not isinstance(raw_groups, dict):
            raise LexiconError(f"{path}: groups: expected a mapping of group name to country codes")
        for name, codes in raw_groups.items():
            groups[str(name)] = _strings(path, f"groups.{name}", codes)
            group_file[str(name)] = path
        raw_shared = data.get("shared_surnames") or {}
        if not isinstance(raw_shared, dict) or not all(isinstance(v, str) for v in raw_shared.values()):
            raise LexiconError(f"{path}: shared_surnames: expected a mapping of family name to country code")
        for name, code in raw_shared.items():
            shared[str(name)] = code
            shared_file[str(name)] = path
        entries = data.get("countries") or {}
        if not isinstance(entries, dict):
            raise LexiconError(f"{path}: countries: expected a mapping of country code to entry")
        for code, entry in entries.items():
            if not isinstance(entry, dict):
                raise LexiconError(f"{path}: countries.{code}: expected a mapping with name and aliases")
            aliases = _strings(path, f"countries.{code}.aliases", entry.get("aliases"))
            surnames = _strings(path, f"countries.{code}.surnames", entry.get("surnames"))
            old = merged.get(str(code))
            name = entry.get("name") or (old.name if old else str(code))
            merged[str(code)] = Country(
                str(code),
                str(name),
                (*(old.aliases if old else ()), *aliases),
                (*(old.surnames if old else ()), *surnames),
            )
    for name, codes in groups.items():
        unknown = [c for c in codes if c not in merged]
        if unknown or not codes:
            raise LexiconError(
                f"{group_file[name]}: groups.{name}: unknown country codes {unknown or '(none)'}"
            )
    for name, code in shared.items():
        if code not in merged:
            raise LexiconError(f"{shared_file[name]}: shared_surnames.{name}: unknown country code {code!r}")
    return tuple(merged.values()), tuple(ignore), tuple(groups.items()), tuple(shared.items())


def load_topics(path: Path | None = None) -> tuple[Topic, ...]:
    """The topics of ``path`` (default: the shipped file). A user's topic file replaces the shipped one,
    as it does for the model's hypotheses: copy processors/topics.yaml and add to it. Descriptions and
    support/oppose phrases follow the model's rule (``parse_topic_phrases``); cues are read here."""
    path = path or TOPICS_FILE
    raw = _read_yaml(path)
    try:
        phrases = parse_topic_phrases(raw, path)
    except TopicsError as exc:
        raise LexiconError(str(exc)) from None
    entries = {str(k): v for k, v in raw["topics"].items()}
    return tuple(
        Topic(
            id=tid,
            description=p.description,
            support=p.support,
            oppose=p.oppose,
            cues=_strings(path, f"topics.{tid}.cues", entries[tid].get("cues")),
            weak_cues=_strings(path, f"topics.{tid}.weak_cues", entries[tid].get("weak_cues")),
            participants=_strings(path, f"topics.{tid}.participants", entries[tid].get("participants")),
            not_held_by=_strings(path, f"topics.{tid}.not_held_by", entries[tid].get("not_held_by")),
            qualifies=_flag(path, f"topics.{tid}.qualifies", entries[tid].get("qualifies", False)),
        )
        for tid, p in phrases.items()
    )


def load_lexicon(countries_file: Path | None = None, topics_file: Path | None = None) -> Lexicon:
    countries, ignore, groups, shared = load_countries(countries_file)
    return Lexicon(
        countries=countries,
        topics=load_topics(topics_file),
        ignore=ignore,
        groups=groups,
        shared_surnames=shared,
    )
