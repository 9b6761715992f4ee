"""Sentence splitting for news text (pure).

``split_sentences(text)`` returns the sentences of ``text`` in order, stripped. Line breaks end a
sentence (news bodies put paragraphs and headings on their own lines). Inside a line a sentence ends at
``.``, ``!`` or ``?`` (with any closing quotes or brackets) followed by a space and an upper-case letter,
digit or opening quote, except after an abbreviation ("U.S.", "Dr.", "Gen.", "Jan."), a single initial
("John F. Kennedy") or a number's decimal point. "U.S." and similar end a sentence only when the next
word is a usual sentence opener ("The", "It", ...).

``sentence_splitter(name)`` chooses the splitter (``STANCEWATCH_SENTENCE_SPLITTER``): ``builtin`` (the
above), or the maintained ``pysbd`` or ``syntok`` (the ``splitters`` extra: ``pip install
'stancewatch[splitters]'``), each applied line by line so that line breaks end a sentence for all three.
This is the only module that imports them.
"""

from __future__ import annotations

import re
from collections.abc import Callable

#: The splitters ``sentence_splitter`` knows (``STANCEWATCH_SENTENCE_SPLITTER``).
SPLITTERS = ("builtin", "pysbd", "syntok")
Splitter = Callable[[str], list[str]]


class SplitterError(ValueError):
    """The chosen splitter is unknown or not installed; the message is one line naming the fix."""


# Titles and short forms that are followed by a name or number, never ending a sentence.
_TITLES = {
    "mr", "mrs", "ms", "dr", "prof", "gen", "lt", "col", "maj", "capt", "cmdr", "adm", "sgt", "sen",
    "rep", "gov", "pres", "amb", "st", "sr", "jr", "rev", "hon", "no", "nos", "vs", "v", "etc", "e.g",
    "i.e", "approx", "inc", "corp", "ltd", "co", "dept", "est", "fig", "vol", "ed", "jan", "feb", "mar",
    "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "mt", "ft", "pp", "op",
}  # fmt: skip
# Dotted acronyms ("U.S.", "U.N.", "D.P.R.K.") end a sentence only before a usual sentence opener.
_OPENERS = {
    "The", "This", "That", "These", "Those", "It", "Its", "He", "She", "They", "We", "I", "But", "And",
    "However", "In", "On", "At", "A", "An", "As", "If", "When", "While", "Meanwhile", "Still", "Yet",
    "There", "Since", "After", "Before", "His", "Her", "Their", "Our", "Such", "So", "Both",
}  # fmt: skip
_CLOSERS = "\"'”’)]"
_OPENING = "\"'“‘(["
# A candidate boundary: terminal punctuation, optional closers, whitespace, then the next sentence's start.
_BOUNDARY = re.compile(rf"([.!?…]+)([{re.escape(_CLOSERS)}]*)(\s+)(?=[{re.escape(_OPENING)}]*[A-Z0-9])")
_WORD_BEFORE = re.compile(r"([\w.]+)$")
_NEXT_WORD = re.compile(rf"[{re.escape(_OPENING)}]*([\w'’-]+)")


def _is_boundary(line: str, match: re.Match[str]) -> bool:
    if match.group(1) != ".":
        return True  # "!", "?", "..." always end a sentence before a capital
    if match.group(2):
        return True  # a quote or bracket closed after the period
    before = _WORD_BEFORE.search(line, 0, match.start())
    word = before.group(1) if before else ""
    nxt = _NEXT_WORD.match(line, match.end())
    next_word = nxt.group(1) if nxt else ""
    if not word:
        return True
    if word.lower().rstrip(".") in _TITLES:
        return False
    if len(word) == 1 and word.isupper():
        return False  # an initial: "John F. Kennedy"
    if "." in word.rstrip("."):
        # a dotted acronym such as "U.S." ends a sentence only before a usual opener
        return next_word in _OPENERS
    return True


def _split_line(line: str) -> list[str]:
    out: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(line):
        if _is_boundary(line, match):
            out.append(line[start : match.start(3)])
            start = match.end()
    out.append(line[start:])
    return [s.strip() for s in out if s.strip()]


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text`` in order; empty text gives an empty list."""
    sentences: list[str] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line.strip():
            sentences.extend(_split_line(line))
    return sentences


def _lines(text: str) -> list[str]:
    return [line for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n") if line.strip()]


def _pysbd() -> Splitter:
    import pysbd

    segmenter = pysbd.Segmenter(language="en", clean=False)

    def split(text: str) -> list[str]:
        return [s.strip() for line in _lines(text) for s in segmenter.segment(line) if s.strip()]

    return split


def _syntok() -> Splitter:
    from syntok import segmenter

    def split(text: str) -> list[str]:
        out = []
        for line in _lines(text):
            for paragraph in segmenter.process(line):
                for sentence in paragraph:
                    joined = "".join(token.spacing + token.value for token in sentence).strip()
                    if joined:
                        out.append(joined)
        return out

    return split


def sentence_splitter(name: str = "builtin") -> Splitter:
    """The splitter called ``name`` (one of ``SPLITTERS``); raises SplitterError when it is unknown or
    its package is not installed."""
    if name == "builtin":
        return split_sentences
    makers = {"pysbd": _pysbd, "syntok": _syntok}
    if name not in makers:
        raise SplitterError(f"unknown sentence splitter {name!r}: choose one of {', '.join(SPLITTERS)}")
    try:
        return makers[name]()
    except ImportError:
        raise SplitterError(
            f"sentence splitter {name} is not installed: pip install {name} "
            "(or set STANCEWATCH_SENTENCE_SPLITTER=builtin)"
        ) from None


def cut_text(text: str, max_chars: int) -> tuple[str, int | None]:
    """``text`` cut to at most ``max_chars`` characters (at a space near the end when there is one), and
    where it was cut (None when it was not)."""
    if len(text) <= max_chars:
        return text, None
    head = text[:max_chars]
    space = head.rfind(" ", max_chars - 200)
    if space > 0:
        head = head[:space]
    return head, len(head)
