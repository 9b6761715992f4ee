import pytest

from processors.pipeline import Document, evidence_sentences
from processors.text import SPLITTERS, SplitterError, sentence_splitter, split_sentences


def test_splits_on_terminal_punctuation_and_lines() -> None:
    text = "Russia objects. China agrees!\nIs it over? Nobody knows."
    assert split_sentences(text) == ["Russia objects.", "China agrees!", "Is it over?", "Nobody knows."]


def test_abbreviations_titles_and_initials_do_not_split() -> None:
    text = (
        "The U.S. envoy met Dr. Lee and Gen. Park on Jan. 5 in Seoul. "
        "John F. Kennedy faced a crisis too. The U.N. Security Council voted."
    )
    assert split_sentences(text) == [
        "The U.S. envoy met Dr. Lee and Gen. Park on Jan. 5 in Seoul.",
        "John F. Kennedy faced a crisis too.",
        "The U.N. Security Council voted.",
    ]


def test_dotted_acronym_ends_a_sentence_before_a_usual_opener() -> None:
    text = "Beijing blamed the U.S. The ministry said so."
    assert split_sentences(text) == ["Beijing blamed the U.S.", "The ministry said so."]


def test_quotes_and_brackets_close_with_the_sentence() -> None:
    text = 'He said: "We oppose it." "Never," she replied. (It was late.) Then they left.'
    assert split_sentences(text) == [
        'He said: "We oppose it."',
        '"Never," she replied.',
        "(It was late.)",
        "Then they left.",
    ]


def test_lowercase_after_period_and_decimals_do_not_split() -> None:
    assert split_sentences("Growth was 2.5 percent. it was low, e.g. in May.") == [
        "Growth was 2.5 percent. it was low, e.g. in May."
    ]


def test_empty_text() -> None:
    assert split_sentences("  \n\n ") == []


# Made-up news sentences for every splitter: "U.S." and "Mr." inside a sentence, a line break, a question.
MIXED = (
    "Mr. Kim told the U.S. envoy that Seoul backs the plan. The talks ended early.\n"
    "Will Tokyo join the drills? Officials in Washington said it might."
)
MIXED_SENTENCES = [
    "Mr. Kim told the U.S. envoy that Seoul backs the plan.",
    "The talks ended early.",
    "Will Tokyo join the drills?",
    "Officials in Washington said it might.",
]


@pytest.mark.parametrize("name", SPLITTERS)
def test_every_splitter_keeps_abbreviations_and_ends_sentences(name: str) -> None:
    split = sentence_splitter(name)
    assert split(MIXED) == MIXED_SENTENCES
    assert split("Mr. Lee met Dr. Park of the U.S. Army on Monday.") == [
        "Mr. Lee met Dr. Park of the U.S. Army on Monday."
    ]
    assert split("  \n\n ") == []


def test_an_unknown_splitter_is_one_line() -> None:
    with pytest.raises(SplitterError, match="choose one of builtin, pysbd, syntok"):
        sentence_splitter("nltk")


def test_the_classifier_reads_sentences_with_its_splitter() -> None:
    seen: list[str] = []

    def split(text: str) -> list[str]:
        seen.append(text)
        return [text]

    doc = Document("d", "One. Two.", "Title")
    assert evidence_sentences(doc, split) == ["Title", "One. Two."] and seen == ["One. Two."]
