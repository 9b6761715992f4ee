"""The classification pipeline: text -> sentences -> candidate pairs -> batched model -> per-article stances.

``Classifier.classify(documents)`` reads many articles in one go: the candidate pairs of all of them go
through the model in shared batches (that, and asking only about candidates, is what makes it fast).
The model is anything with ``version`` and ``predict(queries, batch_size)`` (``processors.model.StanceModel``
in production, an in-memory fake in unit tests). A model error propagates: the caller decides whether
the batch is retried or an article is dead-lettered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from processors.aggregate import Judgement, PairStance, aggregate
from processors.candidates import ALL_RULES, Candidate, WideRules, wide_candidates
from processors.head import StanceQuery, StanceScores
from processors.lexicon import Lexicon, Mention
from processors.markers import mark
from processors.text import Splitter, split_sentences


class Predictor(Protocol):
    version: str

    def predict(self, queries: Sequence[StanceQuery], batch_size: int = 32) -> list[StanceScores]: ...


@dataclass(frozen=True)
class Document:
    """One text to classify."""

    id: str
    text: str
    title: str = ""


@dataclass(frozen=True)
class ArticleStances:
    """The stances one document establishes, with the work it took."""

    id: str
    stances: tuple[PairStance, ...]
    sentences: int
    queries: int


class Classifier:
    """Stances of documents: the project's pipeline around a stance model."""

    def __init__(
        self,
        model: Predictor,
        lexicon: Lexicon,
        min_confidence: float = 0.5,
        batch_size: int = 64,
        rules: WideRules = ALL_RULES,
        split: Splitter = split_sentences,
    ) -> None:
        self.model = model
        self.split = split  # the sentence splitter (processors.text.sentence_splitter)
        self.lexicon = lexicon
        self.min_confidence = min_confidence
        self.batch_size = batch_size
        # Ask every pair the text may address and let the model say "none" (``wide_candidates`` with
        # ``rules``); benchmarks/eval_pipeline compares the rules on and off.
        self.rules = rules

    @property
    def version(self) -> str:
        return self.model.version

    def classify(self, documents: Sequence[Document]) -> list[ArticleStances]:
        """The stances of every document, in order."""
        plans: list[tuple[list[str], list[Candidate]]] = []
        queries: list[StanceQuery] = []
        for doc in documents:
            sentences = evidence_sentences(doc, self.split)
            title_mentions, *mentions = self.lexicon.document_mentions([doc.title, *sentences])
            found = self.candidates(sentences, doc.title, (title_mentions, *mentions))
            plans.append((sentences, found))
            for c in found:
                # The model reads context + sentence as one premise, the asked country's mentions marked;
                # the sentence before is given only when the country or topic came from it, so it cannot
                # lend its stance to another pair.
                sentence = mark(sentences[c.index], c.country, mentions[c.index])
                before = c.index - 1
                context = (
                    mark(sentences[before], c.country, mentions[before]) if c.carried and before >= 0 else ""
                )
                queries.append(StanceQuery(sentence, context, c.country, c.topic))
        scores = self.model.predict(queries, batch_size=self.batch_size) if queries else []
        if len(scores) != len(queries):
            raise RuntimeError(f"model returned {len(scores)} scores for {len(queries)} queries")
        out: list[ArticleStances] = []
        cursor = 0
        for doc, (sentences, found) in zip(documents, plans, strict=True):
            judgements = []
            for c, score in zip(found, scores[cursor : cursor + len(found)], strict=True):
                label, confidence = score.best()
                judgements.append(
                    Judgement(c.index, sentences[c.index], c.country, c.topic, label, confidence)
                )
            cursor += len(found)
            stances = aggregate(judgements, self.min_confidence)
            out.append(ArticleStances(doc.id, stances, len(sentences), len(found)))
        return out

    def candidates(
        self, sentences: Sequence[str], title: str, found: Sequence[Sequence[Mention]] | None = None
    ) -> list[Candidate]:
        """The pairs asked of the model for one document's evidence sentences."""
        return wide_candidates(sentences, self.lexicon, title, found, self.rules)

    def classify_one(self, document: Document) -> ArticleStances:
        return self.classify([document])[0]


def evidence_sentences(doc: Document, split: Splitter = split_sentences) -> list[str]:
    """The sentences that may show a stance: the title first (a headline states the article's main
    claim: "Russia and China oppose new sanctions"), then the text's sentences (cut by ``split``)."""
    sentences = split(doc.text)
    title = " ".join(doc.title.split())
    if title and (not sentences or sentences[0] != title):
        sentences.insert(0, title)
    return sentences


def stance_dicts(result: ArticleStances) -> list[dict[str, object]]:
    """The JSON shape of ``stancewatch classify`` output for one document's stances."""
    rows: list[dict[str, object]] = []
    for s in result.stances:
        row: dict[str, object] = {
            "country": s.country,
            "topic": s.topic,
            "stance": s.stance,
            "confidence": s.confidence,
            "evidence": s.sentence,
        }
        if s.conflicting:
            row["conflicting"] = [
                {"stance": e.stance, "confidence": e.confidence, "evidence": e.sentence}
                for e in s.conflicting
            ]
        rows.append(row)
    return rows
