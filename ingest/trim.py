"""Fitting an article under the publish size limit (pure).

A feed item can be far larger than any message the broker accepts (a whole book pasted into one
``<description>``). Rather than have the broker refuse it, the ingest stage cuts the text fields to fit
``ARTICLE_MAX_BYTES``: content first, then summary, then title (identity fields - id, url, guid, feed -
are never touched). An article that does not fit even with those emptied is returned as it is; the
broker's refusal then routes it to a dead-letter record.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.messages import Article

TRIMMED_FIELDS = ("content", "summary", "title")


@dataclass(frozen=True)
class Fitted:
    """The article to publish, and its encoded size before trimming (``trimmed``: whether it was cut)."""

    article: Article
    original_bytes: int
    trimmed: bool


def _longest_prefix(article: Article, name: str, max_bytes: int) -> Article:
    """``article`` with field ``name`` cut to its longest prefix that keeps the encoding within bounds
    (empty when none does). Measured on the real encoding, so JSON escapes are counted exactly."""
    text: str = getattr(article, name)
    lo, hi = 0, len(text)  # invariant: the prefix of length lo is acceptable or lo == 0
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if len(article.model_copy(update={name: text[:mid]}).encode()) <= max_bytes:
            lo = mid
        else:
            hi = mid - 1
    return article.model_copy(update={name: text[:lo]})


def fit(article: Article, max_bytes: int) -> Fitted:
    """``article`` with its text cut so that ``len(article.encode()) <= max_bytes`` where possible."""
    size = original = len(article.encode())
    for name in TRIMMED_FIELDS:
        if size <= max_bytes:
            break
        article = _longest_prefix(article, name, max_bytes)
        size = len(article.encode())
    return Fitted(article, original, size < original)
