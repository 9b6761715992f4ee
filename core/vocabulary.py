"""The one vocabulary of every stage: the countries (codes, names, aliases) and the topics (descriptions,
support/oppose phrases, cues) the monitor labels.

``load_vocabulary(countries_file, topics_file)`` reads the shipped files core/countries.yaml and
core/topics.yaml (through ``importlib.resources``, so an installed wheel works outside the checkout) and
the operator's files (STANCEWATCH_COUNTRIES_FILE, STANCEWATCH_TOPICS_FILE): a countries file adds aliases
to the shipped countries, and new countries; a topics file replaces the shipped topics. Both are
validated together, once, at start-up: a bad file raises ``VocabularyError`` with one line naming the
file, the entry, the problem and the fix. What passes works end to end: a new country has the name the
model's hypotheses use ("India opposes ..."), every code a topic, group or surname names exists, no
alias stands for two countries, and codes and topic ids fit the message keys ("IN:sanctions").

The classifier matches the vocabulary in text (``processors.lexicon``); the model builds its hypotheses
from the names and phrases (``processors.hypotheses``); the alert stage and the board read the codes and
topic ids. Pure apart from reading the files; the result is a frozen value, cached per file version.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    StringConstraints,
    ValidationError,
    model_validator,
)

from core.files import FileError, read_yaml_mapping

COUNTRIES_RESOURCE = "countries.yaml"
TOPICS_RESOURCE = "topics.yaml"
CODE_RE = re.compile(r"[A-Z]{2,3}")
TOPIC_RE = re.compile(r"[a-z][a-z0-9_]*")


class VocabularyError(ValueError):
    """A countries or topics file is unreadable or invalid; the message is one line with the fix."""


@dataclass(frozen=True)
class Country:
    code: str
    name: str  # as the model's hypotheses say it: "the United States" -> "The United States favours ..."
    aliases: tuple[str, ...]
    surnames: tuple[str, ...] = ()  # aliases that count only when not preceded by another name

    @property
    def label(self) -> str:
        """The name for a heading or a table: "United States", "Russia"."""
        bare = self.name.removeprefix("the ")
        return bare[:1].upper() + bare[1:]


@dataclass(frozen=True)
class Topic:
    id: str
    description: str
    support: str  # without a final full stop: the hypothesis adds it
    oppose: str
    cues: tuple[str, ...]
    weak_cues: tuple[str, ...] = ()
    participants: tuple[str, ...] = ()
    not_held_by: tuple[str, ...] = ()  # countries that take no side on it (North Korea does not back itself)
    qualifies: bool = False  # its cues say whose talks these are: "inter-Korean talks" are not US-DPRK talks


@dataclass(frozen=True)
class Vocabulary:
    countries: tuple[Country, ...]
    topics: tuple[Topic, ...]
    ignore: tuple[str, ...] = ()
    groups: tuple[tuple[str, tuple[str, ...]], ...] = ()  # ("two Koreas", ("KR", "KP"))
    shared_surnames: tuple[tuple[str, str], ...] = ()  # ("Kim", "KP"): a bare "Kim", by default North Korea

    @property
    def country_codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.countries)

    @property
    def topic_ids(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.topics)

    @property
    def country_names(self) -> Mapping[str, str]:
        """Code -> the name the model's hypotheses use, in file order."""
        return {c.code: c.name for c in self.countries}

    def country(self, code: str) -> Country:
        return next(c for c in self.countries if c.code == code)

    def topic(self, topic_id: str) -> Topic:
        return next(t for t in self.topics if t.id == topic_id)


# --- the files' shapes -------------------------------------------------------------------------------

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Phrase = Annotated[Text, AfterValidator(lambda s: s.rstrip("."))]


class _Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    @model_validator(mode="before")
    @classmethod
    def _empty_is_absent(cls, data: Any) -> Any:
        """A key with nothing after it ("ignore:") is left out: its default, or "lacks KEY" if required."""
        return {k: v for k, v in data.items() if v is not None} if isinstance(data, dict) else data


class CountryEntry(_Entry):
    name: Text | None = None  # required for a new country; a user's file may leave it out for a shipped one
    aliases: list[Text] = []
    surnames: list[Text] = []


class CountriesFile(_Entry):
    ignore: list[Text] = []
    shared_surnames: dict[str, str] = {}
    groups: dict[str, list[Text]] = {}
    countries: dict[str, CountryEntry] = {}


class TopicEntry(_Entry):
    description: Text
    support: Phrase
    oppose: Phrase
    cues: list[Text] = []
    weak_cues: list[Text] = []
    participants: list[Text] = []
    not_held_by: list[Text] = []
    qualifies: bool = False


class TopicsFile(_Entry):
    topics: dict[str, TopicEntry]


def _problem(err: Mapping[str, Any]) -> tuple[str, str]:
    """(where, what is wrong and the fix) of pydantic's first error, in the file's own words."""
    loc = [str(p) for p in err["loc"]]
    kind = err["type"]
    if "[key]" in loc:
        where = ".".join(loc[: loc.index("[key]") - 1]) or "(top level)"
        return where, "a key here is not text (YAML reads NO, yes, on, off as true or false): quote it ('NO')"
    if loc and loc[-1].isdigit() and kind in ("string_type", "string_too_short"):
        loc, kind = loc[:-1], "list_type"  # a bad item: the list is what the operator fixes
    where = ".".join(loc) or "(top level)"
    if kind == "missing":
        parent = ".".join(loc[:-1]) or "(top level)"
        return parent, f"lacks {loc[-1]}: add it"
    if kind == "extra_forbidden":
        return where, "unknown key: check its spelling and indentation, or remove it"
    if kind == "list_type":
        return where, "expected a list of non-empty strings, e.g. [Moscow, Kremlin]"
    if kind == "bool_type":
        return where, "expected true or false"
    if kind in ("dict_type", "model_type"):
        return where, "expected a mapping (key: value lines, indented below it)"
    if kind in ("string_type", "string_too_short"):
        return where, "expected a non-empty text"
    return where, f"{err['msg']}"


def _validated(model: type[_Entry], data: Mapping[str, Any], path: Path) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        # a misspelt key ("descripton") is also a missing one: name the spelling, the likelier fix
        first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        where, problem = _problem(first)
        raise VocabularyError(f"{path}: {where}: {problem}") from None


def _read(path: Path) -> Mapping[str, Any]:
    try:
        return read_yaml_mapping(path, "file")
    except FileError as exc:
        raise VocabularyError(str(exc)) from None


# --- merging and the checks across entries and files --------------------------------------------------


def _countries(
    files: list[tuple[Path, CountriesFile]],
) -> tuple[tuple[Country, ...], tuple[str, ...], dict[str, tuple[str, ...]], dict[str, str]]:
    merged: dict[str, Country] = {}
    source: dict[str, Path] = {}  # the last file that names each country
    owner: dict[str, str] = {}
    ignore: list[str] = []
    groups: dict[str, tuple[str, ...]] = {}
    shared: dict[str, str] = {}
    for path, data in files:
        ignore += data.ignore
        for code, entry in data.countries.items():
            if not CODE_RE.fullmatch(code):
                raise VocabularyError(
                    f"{path}: countries.{code}: a country code is two or three capital letters, as in the "
                    "messages' keys (IN:sanctions): use its ISO code"
                )
            old = merged.get(code)
            name = entry.name or (old.name if old else None)
            if name is None:
                raise VocabularyError(
                    f"{path}: countries.{code}: a new country lacks name: add the name the model's "
                    f"hypotheses use (name: India -> 'India opposes ...')"
                )
            for alias in (*entry.aliases, *entry.surnames):
                if owner.setdefault(alias, code) != code:
                    raise VocabularyError(
                        f"{path}: countries.{code}: alias {alias!r} already stands for {owner[alias]}: "
                        "remove it from one of them (an alias names one country; use groups for several)"
                    )
            source[code] = path
            merged[code] = Country(
                code,
                name,
                (*(old.aliases if old else ()), *entry.aliases),
                (*(old.surnames if old else ()), *entry.surnames),
            )
    for code, country in merged.items():
        if not country.aliases and not country.surnames:
            raise VocabularyError(
                f"{source[code]}: countries.{code}: no aliases: add the words that stand for "
                f"{country.label} in news text"
            )
    for path, data in files:
        for name, codes in data.groups.items():
            unknown = [c for c in codes if c not in merged]
            if unknown or not codes:
                raise VocabularyError(
                    f"{path}: groups.{name}: unknown country codes {unknown or '(none)'}: list codes of "
                    f"countries in the countries files ({', '.join(merged)})"
                )
            groups[name] = tuple(codes)
        for name, code in data.shared_surnames.items():
            if code not in merged:
                raise VocabularyError(
                    f"{path}: shared_surnames.{name}: unknown country code {code!r}: use one of "
                    f"{', '.join(merged)}"
                )
            shared[name] = code
    return tuple(merged.values()), tuple(ignore), groups, shared


def _topics(path: Path, data: TopicsFile, codes: tuple[str, ...]) -> tuple[Topic, ...]:
    if not data.topics:
        raise VocabularyError(f"{path}: topics: no topics: add at least one (copy core/topics.yaml)")
    out: list[Topic] = []
    for tid, entry in data.topics.items():
        if not TOPIC_RE.fullmatch(tid):
            raise VocabularyError(
                f"{path}: topics.{tid}: a topic id is lower-case letters, digits and underscores "
                "(it is a message key, a metric label and a board URL): rename it, e.g. trade_war"
            )
        if not entry.cues and not entry.weak_cues:
            raise VocabularyError(
                f"{path}: topics.{tid}: no cues: add cues (words that make a sentence a candidate for it)"
            )
        for key in ("participants", "not_held_by"):
            unknown = [c for c in getattr(entry, key) if c not in codes]
            if unknown:
                raise VocabularyError(
                    f"{path}: topics.{tid}.{key}: unknown country codes {unknown}: use codes of the "
                    f"countries files ({', '.join(codes)}), or add the country there"
                )
        out.append(
            Topic(
                id=tid,
                description=entry.description,
                support=entry.support,
                oppose=entry.oppose,
                cues=tuple(entry.cues),
                weak_cues=tuple(entry.weak_cues),
                participants=tuple(entry.participants),
                not_held_by=tuple(entry.not_held_by),
                qualifies=entry.qualifies,
            )
        )
    return tuple(out)


def _stamp(path: Path | None) -> tuple[int, int] | None:
    try:
        st = path.stat() if path is not None else None
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size) if st is not None else None


def load_vocabulary(countries_file: Path | None = None, topics_file: Path | None = None) -> Vocabulary:
    """The shipped vocabulary with the operator's files (None: none) applied and validated; one parse per
    version of the files in a process, so every stage and every part of one stage shares one value.

    Raises VocabularyError (one line: file, entry, problem, fix)."""
    return _load(countries_file, topics_file, _stamp(countries_file), _stamp(topics_file))


@functools.lru_cache(maxsize=8)
def _load(
    countries_file: Path | None,
    topics_file: Path | None,
    _countries_stamp: tuple[int, int] | None,
    _topics_stamp: tuple[int, int] | None,
) -> Vocabulary:
    shipped = resources.files("core")
    with (
        resources.as_file(shipped / COUNTRIES_RESOURCE) as shipped_countries,
        resources.as_file(shipped / TOPICS_RESOURCE) as shipped_topics,
    ):
        country_files = [
            (p, _validated(CountriesFile, _read(p), p))
            for p in (shipped_countries, countries_file)
            if p is not None
        ]
        countries, ignore, groups, shared = _countries(country_files)
        topics_path = topics_file or shipped_topics
        topics_data = _validated(TopicsFile, _read(topics_path), topics_path)
        topics = _topics(topics_path, topics_data, tuple(c.code for c in countries))
    return Vocabulary(countries, topics, ignore, tuple(groups.items()), tuple(shared.items()))


def shipped_vocabulary() -> Vocabulary:
    """The vocabulary of the shipped files alone (what the committed model was trained on)."""
    return load_vocabulary()
