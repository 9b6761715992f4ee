"""How names and cue words are found in text (pure): titles before names, bare family names, words
inside a capitalised name, and the regular expressions built from alias and cue lists. The lexicon
(``processors.lexicon``) applies them to its files' countries and topics.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

# Words that come before a name without being one ("President Moon", "Secretary Blinken").
TITLES = frozenset(
    [
        "President",
        "Prime",
        "Minister",
        "Secretary",
        "Mr",
        "Mrs",
        "Ms",
        "Dr",
        "Chairman",
        "Leader",
        "Premier",
        "Ambassador",
        "Envoy",
        "Governor",
        "Senator",
        "Spokesman",
        "Spokeswoman",
        "Representative",
        "Vice",
        "General",
        "Former",
        "Sen",
        "Rep",
        "Gov",
        "Amb",
    ]
)
_WORD_BEFORE = re.compile(r"([A-Z][\w'’-]*)\.?\s+$")


# A capitalised word standing alone (no capitalised word after it): a bare family name ("Kim", "Kim's").
BARE_NAME = re.compile(r"(?<![\w.-])([A-Z][a-z]+)(?:['’]s)?(?![\w-])(?!\s+[A-Z])")
# "the North" and "the South" stand for the Koreas, but not as part of another name: "the North Atlantic",
# "The South African envoy".
COMPASS_ALIAS = re.compile(r"^[Tt]he (?:North|South)$")
# Another capitalised word follows: the name goes on ("the North Atlantic", "Kim Jong Un").
NAME_GOES_ON = re.compile(r"^\s+[A-Z]")


def after_other_name(text: str, start: int) -> bool:
    """True when the word just before ``start`` is a capitalised word that is not a title."""
    before = _WORD_BEFORE.search(text[max(0, start - 40) : start])
    if before is None:
        return False
    word = before.group(1)
    return word not in TITLES and not word.endswith(("'s", "’s"))  # "South Korea's Moon" is fine


_CAPITALISED_BEFORE = re.compile(r"[A-Z][\w'’.-]*\s+$")


_WORD = re.compile(r"[A-Za-z][\w'’-]*")
WORD_START = re.compile(r"(?<=\s)\w")
# Between a qualifying cue and the weak word it claims: spaces or a hyphen, and at most one more word.
QUALIFIED_GAP = re.compile(r"[\s-]*(?:[A-Za-z]+[\s-]+)?")


def _title_case(text: str) -> bool:
    """Most words capitalised ("Trump Says Summit With Kim Is Off"): names cannot be told apart there."""
    words = _WORD.findall(text)
    return len(words) >= 4 and sum(w[0].isupper() for w in words) >= 0.8 * len(words)


def inside_name(text: str, start: int, end: int) -> bool:
    """A capitalised word next to another capitalised word (not at the start of a sentence, and not in a
    title-case headline, where every word is capitalised)."""
    if not text[start : start + 1].isupper() or _title_case(text):
        return False
    before = text[max(0, start - 30) : start]
    after_name = bool(NAME_GOES_ON.match(text[end:]))
    return bool(_CAPITALISED_BEFORE.search(before)) or (after_name and bool(before.strip()))


def alias_pattern(aliases: Iterable[str]) -> re.Pattern[str]:
    ordered = sorted(set(aliases), key=len, reverse=True)
    body = "|".join(re.escape(a) for a in ordered)
    # Whole words: no letter/digit before, none after (a possessive 's or a hyphen may follow).
    return re.compile(rf"(?<![\w.])(?:{body})(?![\w])" if body else r"(?!x)x")


def _cue_regex(cue: str) -> str:
    tail = r"\w*" if len(cue) >= 5 else r"(?:s|es|ed|ing)?"
    end = "" if not cue[-1].isalnum() else rf"{tail}\b"
    return rf"\b{re.escape(cue)}{end}"


def cue_pattern(cues: Sequence[str]) -> re.Pattern[str] | None:
    if not cues:
        return None
    return re.compile("|".join(_cue_regex(c) for c in cues), re.IGNORECASE)
