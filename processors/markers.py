"""Entity markers: the asked country's mentions in a premise, bracketed (pure).

"Russia and China strongly oppose a preemptive U.S. military strike" asked about Russia reads
"[Russia] and China strongly oppose a preemptive U.S. military strike"; asked about the United States it
reads "... a preemptive [U.S.] military strike". The model sees which of several countries the question
is about, so a side is not lent to the wrong one. Training (``processors.training``) and serving
(``processors.pipeline``) mark the same way, through ``mark``.
"""

from __future__ import annotations

from collections.abc import Sequence

from processors.lexicon import Lexicon, Mention

OPEN, CLOSE = "[", "]"


def mark(text: str, country: str, mentions: Sequence[Mention]) -> str:
    """``text`` with every mention of ``country`` bracketed; mentions of other countries unchanged. A group
    name ("the two Koreas") is marked for each of its countries."""
    spans = sorted({(m.start, m.end) for m in mentions if m.country == country})
    if not spans:
        return text
    out, pos = [], 0
    for start, end in spans:
        if start < pos:  # overlapping spans of one group name: marked once
            continue
        out += [text[pos:start], OPEN, text[start:end], CLOSE]
        pos = end
    out.append(text[pos:])
    return "".join(out)


def mark_country(text: str, country: str, lexicon: Lexicon) -> str:
    """``mark`` with the mentions the lexicon finds in ``text`` alone (training items, one text each)."""
    return mark(text, country, lexicon.document_mentions([text])[0]) if text else text
