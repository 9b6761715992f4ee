from processors.text import split_sentences


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
