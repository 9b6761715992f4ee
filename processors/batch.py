"""Offline classification of JSON Lines (``stancewatch classify``), without a broker.

Input lines are ``{"id", "text", "title"?, "date"?, "url"?}``. Output is exactly one line per input line,
in order: ``{"id", "stances": [...]}``, or ``{"id", "line", "error"}`` for a line that could not be read
(not JSON, no string id, no text), so that output line N always answers input line N. Blank input lines
are skipped without output. Bad lines are counted and logged once each with their line number.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from processors.pipeline import Classifier, Document, stance_dicts
from processors.text import cut_text

log = logging.getLogger(__name__)


class LineError(ValueError):
    """An input line is not a usable document; the message is one line."""


@dataclass
class BatchCounts:
    documents: int = 0
    bad_lines: int = 0
    stances: int = 0
    cut: int = 0  # documents whose text was cut to max_chars


def parse_line(line: str) -> Document:
    """One input line as a Document; raises LineError saying what is wrong."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise LineError(f"not JSON: {exc.msg}") from None
    if not isinstance(row, dict):
        raise LineError(f"expected a JSON object, got {type(row).__name__}")
    doc_id = row.get("id")
    if not isinstance(doc_id, str | int) or isinstance(doc_id, bool) or str(doc_id) == "":
        raise LineError("missing or empty 'id' (a string)")
    text = row.get("text")
    if not isinstance(text, str):
        raise LineError("missing 'text' (a string)")
    title = row.get("title")
    return Document(str(doc_id), text, title if isinstance(title, str) else "")


def _id_of(line: str) -> object:
    try:
        row = json.loads(line)
    except json.JSONDecodeError:
        return None
    return row.get("id") if isinstance(row, dict) else None


def classify_lines(
    lines: Iterable[str],
    classifier: Classifier,
    chunk: int,
    counts: BatchCounts | None = None,
    max_chars: int | None = None,
) -> Iterator[str]:
    """Output lines (without newline) for ``lines``, classifying ``chunk`` documents per model call.

    With ``max_chars`` a document's text is cut to that many characters first (as classify-stream
    does); its output line then carries ``"text_cut_at"``: the characters read.
    """
    counts = counts if counts is not None else BatchCounts()
    pending: list[tuple[int, Document | str]] = []  # (line number, document or error row)
    cuts: dict[int, int] = {}  # line number -> where its text was cut

    def flush() -> Iterator[str]:
        docs = [d for _, d in pending if isinstance(d, Document)]
        results = iter(classifier.classify(docs)) if docs else iter(())
        for number, item in pending:
            if isinstance(item, Document):
                result = next(results)
                counts.documents += 1
                counts.stances += len(result.stances)
                row: dict[str, object] = {"id": item.id, "stances": stance_dicts(result)}
                if number in cuts:
                    row["text_cut_at"] = cuts.pop(number)
                yield json.dumps(row, ensure_ascii=False)
            else:
                yield item
        pending.clear()

    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            doc = parse_line(line)
            if max_chars is not None:
                text, cut_at = cut_text(doc.text, max_chars)
                if cut_at is not None:
                    log.info("input line %d: text of %d characters cut to %d", number, len(doc.text), cut_at)
                    doc = Document(doc.id, text, doc.title)
                    cuts[number] = cut_at
                    counts.cut += 1
            pending.append((number, doc))
        except LineError as exc:
            counts.bad_lines += 1
            log.warning("input line %d skipped: %s", number, exc)
            pending.append((number, json.dumps({"id": _id_of(line), "line": number, "error": str(exc)})))
        if sum(isinstance(d, Document) for _, d in pending) >= chunk:
            yield from flush()
    yield from flush()
