"""bench-scale's backlog: the same made-up articles every run, each giving the model work to do."""

from __future__ import annotations

from benchmarks.bench_scale import backlog
from core.settings import load_settings
from processors.candidates import wide_candidates
from processors.lexicon import load_lexicon
from processors.pipeline import Document, evidence_sentences


def test_backlog_is_repeatable_and_every_article_has_candidate_pairs() -> None:
    first, again = backlog(30), backlog(30)
    assert first == again and len({a.id for a in first}) == 30
    settings = load_settings()
    lexicon = load_lexicon(settings.countries_file, settings.topics_file)
    for article in first:
        sentences = evidence_sentences(Document(article.id, article.text, article.title))
        assert wide_candidates(sentences, lexicon, article.title), article.text
