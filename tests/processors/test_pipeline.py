import pytest

from processors.lexicon import load_lexicon
from processors.pipeline import Classifier, Document, stance_dicts
from tests.processors.fakes import FakeModel


@pytest.fixture(scope="module")
def lexicon():  # type: ignore[no-untyped-def]
    return load_lexicon()


def test_stances_with_evidence_and_conflict(lexicon) -> None:  # type: ignore[no-untyped-def]
    model = FakeModel()
    text = (
        "Russia strongly opposes new sanctions on North Korea. "
        "Later Russia said it could support some sanctions. "
        "The weather in Seoul was fine."
    )
    (result,) = Classifier(model, lexicon, min_confidence=0.5).classify([Document("a", text)])
    assert result.sentences == 3
    (pair,) = [s for s in result.stances if s.country == "RU"]
    assert (pair.country, pair.topic, pair.stance, pair.confidence) == ("RU", "sanctions", "oppose", 0.9)
    assert pair.sentence.startswith("Russia strongly opposes")
    (row,) = [r for r in stance_dicts(result) if r["country"] == "RU"]
    assert row["evidence"] == pair.sentence
    assert row["conflicting"] == [
        {
            "stance": "support",
            "confidence": 0.8,
            "evidence": "Later Russia said it could support some sanctions.",
        }
    ]


def test_one_model_call_for_many_documents_in_order(lexicon) -> None:  # type: ignore[no-untyped-def]
    model = FakeModel()
    docs = [
        Document("1", "Tokyo supports the THAAD deployment."),
        Document("2", "Nothing about any country here."),
        Document("3", "Beijing opposes the THAAD deployment."),
    ]
    results = Classifier(model, lexicon).classify(docs)
    assert len(model.calls) == 1
    assert [r.id for r in results] == ["1", "2", "3"]
    assert [[(s.country, s.stance) for s in r.stances] for r in results] == [
        [("JP", "support")],
        [],
        [("CN", "oppose")],
    ]
    assert results[1].queries == 0


def test_context_is_given_only_to_carried_candidates(lexicon) -> None:  # type: ignore[no-untyped-def]
    model = FakeModel()
    text = (
        "Lavrov spoke in Moscow about the drills. He said Russia will oppose the drills. "
        "It opposes the drills."
    )
    Classifier(model, lexicon).classify([Document("x", text)])
    asked = {(q.sentence, q.country): q.context for q in model.calls[0]}
    # Russia named in the sentence itself: no context; the asked country is marked
    assert asked[("He said [Russia] will oppose the drills.", "RU")] == ""
    # no country in the sentence: Russia comes from the sentence before, which goes with it, marked
    assert asked[("It opposes the drills.", "RU")] == "He said [Russia] will oppose the drills."


def test_below_threshold_is_left_out(lexicon) -> None:  # type: ignore[no-untyped-def]
    (result,) = Classifier(FakeModel(), lexicon, min_confidence=0.85).classify(
        [Document("a", "Japan opposes sanctions.")]
    )
    assert result.stances == ()


def test_the_title_is_read_as_evidence_once(lexicon) -> None:  # type: ignore[no-untyped-def]
    model = FakeModel()
    title = "Beijing opposes the THAAD deployment"
    docs = [Document("t", "The decision came on Monday.", title), Document("u", title, title)]
    with_text, title_only = Classifier(model, lexicon).classify(docs)
    assert [(s.country, s.topic, s.stance, s.sentence) for s in with_text.stances] == [
        ("CN", "thaad", "oppose", title)
    ]
    assert with_text.sentences == 2
    assert title_only.sentences == 1  # a text that is only the title is not read twice
