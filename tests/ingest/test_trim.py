"""Fitting an article under the size limit (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

from core.messages import Article
from ingest.trim import fit

T = datetime(2025, 1, 1, tzinfo=UTC)


def article(content: str = "", summary: str = "", title: str = "A title") -> Article:
    return Article(id="a" * 32, feed="f", url="https://news.example/a", title=title, summary=summary,
                   content=content, published=T, fetched_at=T, guid="g1")  # fmt: skip


def test_a_small_article_is_left_alone() -> None:
    a = article(content="short")
    fitted = fit(a, 4096)
    assert fitted.article == a and not fitted.trimmed and fitted.original_bytes == len(a.encode())


def test_content_is_cut_first_then_summary_and_identity_is_kept() -> None:
    a = article(content="é" * 50_000 + '\n"quoted"\t' * 1000, summary="s" * 3000)
    fitted = fit(a, 8192)
    out = fitted.article
    assert fitted.trimmed and fitted.original_bytes > 100_000
    assert 8192 - 8 <= len(out.encode()) <= 8192  # the longest prefix that fits
    assert out.summary == a.summary and a.content.startswith(out.content) and out.content
    assert (out.id, out.url, out.guid, out.feed, out.title) == (a.id, a.url, a.guid, a.feed, a.title)
    smaller = fit(a, 2048).article
    assert smaller.content == "" and a.summary.startswith(smaller.summary) and len(smaller.encode()) <= 2048


def test_control_characters_that_json_escapes_still_fit() -> None:
    a = article(content="\x01" * 40_000)  # six bytes each on the wire
    out = fit(a, 10_000).article
    assert len(out.encode()) <= 10_000 and out.content


def test_an_article_that_cannot_fit_is_returned_whole() -> None:
    a = article(content="x" * 10, title="t")
    fitted = fit(a, 100)  # the identity fields alone are larger
    assert fitted.article.content == "" and fitted.article.id == a.id
    assert len(fitted.article.encode()) > 100
