from pathlib import Path

import pytest

from processors.lexicon import LexiconError, load_lexicon


@pytest.fixture(scope="module")
def lexicon():  # type: ignore[no-untyped-def]
    return load_lexicon()


def codes(lexicon, text: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [m.country for m in lexicon.mentions(text)]


def test_names_demonyms_and_metonyms(lexicon) -> None:  # type: ignore[no-untyped-def]
    text = "The Kremlin and the White House disagree; Beijing, Tokyo and the Blue House watch Pyongyang."
    assert codes(lexicon, text) == ["RU", "US", "CN", "JP", "KR", "KP"]


def test_leaders_ministers_and_state_media(lexicon) -> None:  # type: ignore[no-untyped-def]
    text = "Lavrov, Wang Yi, Kishida, Yoon Suk Yeol, Kim Yo Jong, Blinken and KCNA; Xinhua cited TASS."
    assert codes(lexicon, text) == ["RU", "CN", "JP", "KR", "KP", "US", "KP", "CN", "RU"]


def test_longest_alias_wins_and_possessives(lexicon) -> None:  # type: ignore[no-untyped-def]
    ms = lexicon.mentions("North Korean officials met South Korea's envoy and the Russian Foreign Ministry.")
    assert [(m.country, m.text) for m in ms] == [
        ("KP", "North Korean"),
        ("KR", "South Korea"),
        ("RU", "Russian"),
    ]
    # a match gives way to a longer one starting at a later word inside it
    ms = lexicon.mentions("Moscow spoke of the North Korean crisis and warned the South.")
    found = [(m.country, m.text) for m in ms]
    assert found == [("RU", "Moscow"), ("KP", "North Korean"), ("KR", "the South")]


def test_leaders_of_earlier_years_and_a_capitalised_the_north(lexicon) -> None:  # type: ignore[no-untyped-def]
    text = "Koizumi, Hu Jintao, Christopher Hill and Song Min-soon met; the Bush administration waited."
    assert codes(lexicon, text) == ["JP", "CN", "US", "KR", "US"]
    assert codes(lexicon, "The North's envoy answered The South.") == ["KP", "KR"]
    assert codes(lexicon, "Onodera, Patrushev and the unification minister spoke.") == ["JP", "RU", "KR"]
    # "the North" and "the South" inside another name are no Korea
    assert codes(lexicon, "The South African envoy and the North Atlantic allies met.") == []
    assert codes(lexicon, "In the South, the North Atlantic allies met the North.") == ["KR", "KP"]
    # a bare surname still needs no other first name before it
    assert codes(lexicon, "Kate Bush sang in Tokyo.") == ["JP"]


def test_word_boundaries_and_case(lexicon) -> None:  # type: ignore[no-untyped-def]
    # "us" is a pronoun, "Chinaware" and "Abernathy" are other words, "U.S.-led" is the US.
    assert codes(lexicon, "Let us buy Chinaware from Abernathy. U.S.-led drills began.") == ["US"]


def test_ignored_names_are_not_governments(lexicon) -> None:  # type: ignore[no-untyped-def]
    assert codes(lexicon, "The Washington Post reported from the Sea of Japan.") == []


def test_cues_weak_cues_need_participants(lexicon) -> None:  # type: ignore[no-untyped-def]
    assert "sanctions" in lexicon.cues("They want tougher sanctions.")
    assert "denuclearization" in lexicon.cues("They demand denuclearization now.")
    # "talks" alone is about US-North Korea diplomacy only when both are in view
    assert "us_dprk_diplomacy" not in lexicon.cues("They favour talks.", {"US"})
    assert "us_dprk_diplomacy" in lexicon.cues("They favour talks.", {"US", "KP"})
    # short cues only with an inflection: "war" is not "warn"
    assert "military_strike" not in lexicon.cues("They warn Pyongyang.", {"KP"})
    assert "military_strike" in lexicon.cues("They fear wars.", {"KP"})


@pytest.mark.parametrize(
    ("text", "in_view", "topic"),
    [
        ("They want the six-nation process revived.", set(), "six_party_talks"),
        ("They walked out of the six-way talks.", set(), "six_party_talks"),
        ("The battery at Seongju was upgraded.", set(), "thaad"),
        ("They called it a missile shield aimed at them.", set(), "thaad"),
        ("Four more launchers arrived at the base.", {"KR"}, "thaad"),
        ("The UN panel of experts was allowed to lapse.", set(), "sanctions"),
        ("It was taken off the list of state sponsors of terrorism.", set(), "sanctions"),
        ("Tokyo extended its ban on imports from the North.", {"JP", "KP"}, "sanctions"),
        ("They vowed never to give up their nuclear deterrent.", {"KP"}, "denuclearization"),
        ("Military means are no answer there.", {"KP"}, "military_strike"),
        ("They prefer bilateral channels.", {"US", "KP"}, "us_dprk_diplomacy"),
        ("He is ready to meet the president again.", {"US", "KP"}, "us_dprk_diplomacy"),
        ("They held back the heavy fuel oil they had promised.", {"KP"}, "support_for_dprk"),
        ("The oil deliveries over the border went on.", {"KP"}, "support_for_dprk"),
        ("They froze the accounts of two trading firms.", {"KP"}, "sanctions"),
        ("They sought broader waivers for aid groups.", {"KP"}, "sanctions"),
        ("They will never disarm while threatened.", {"KP"}, "denuclearization"),
        ("They had no plan to invade.", {"KP"}, "military_strike"),
        ("Full-scale field training resumed.", {"KR"}, "military_exercises"),
        ("They scrapped the military agreement.", {"KR", "KP"}, "inter_korean_dialogue"),
        ("They walked away from the multilateral process.", {"KP"}, "six_party_talks"),
    ],
)
def test_news_words_for_topics(lexicon, text: str, in_view: set[str], topic: str) -> None:  # type: ignore[no-untyped-def]
    assert topic in lexicon.cues(text, in_view)


def test_weak_news_words_need_their_participants(lexicon) -> None:  # type: ignore[no-untyped-def]
    # a battery or a launcher is the THAAD system only with South Korea in view
    assert "thaad" not in lexicon.cues("Four more launchers arrived at the base.", {"KP"})
    # a ban is a sanction only with North Korea in view
    assert "sanctions" not in lexicon.cues("Tokyo extended its ban on imports.", {"JP"})
    # training is the joint exercises only with South Korea in view, multilateral talks only with the North
    assert "military_exercises" not in lexicon.cues("Full-scale field training resumed.", {"US"})
    assert "six_party_talks" not in lexicon.cues("They walked away from the multilateral process.", {"US"})
    # to meet is US-North Korea diplomacy only with both in view
    assert "us_dprk_diplomacy" not in lexicon.cues("He is ready to meet the president again.", {"US"})


def test_user_file_extends_aliases(tmp_path: Path) -> None:
    extra = tmp_path / "more.yaml"
    extra.write_text("countries:\n  RU:\n    aliases: [Smolenskaya Square]\n", encoding="utf-8")
    lexicon = load_lexicon(countries_file=extra)
    assert [m.country for m in lexicon.mentions("Smolenskaya Square and Moscow")] == ["RU", "RU"]


def test_bad_file_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("countries:\n  RU:\n    aliases: Moscow\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"bad.yaml: countries.RU.aliases: expected a list"):
        load_lexicon(countries_file=bad)


def document_codes(lexicon, texts: list[str]) -> list[list[str]]:  # type: ignore[no-untyped-def]
    return [[m.country for m in ms] for ms in lexicon.document_mentions(texts)]


def test_a_bare_shared_surname_takes_the_nearest_full_name_or_the_default(lexicon) -> None:  # type: ignore[no-untyped-def]
    # no full name before it: a bare "Kim" is North Korea's leader
    assert document_codes(lexicon, ["Kim and Moon signed the declaration."]) == [["KP", "KR"]]
    # a full name before it, in this sentence or an earlier one, decides
    texts = ["Former president Kim Dae-jung met Putin.", "Kim said the talks would go on."]
    assert document_codes(lexicon, texts) == [["KR", "RU"], ["KR"]]
    assert document_codes(lexicon, ["Sung Kim arrived, and Kim's aides followed."]) == [["US", "US"]]
    # none before it: the first full name after it decides (a headline before the body that names him)
    texts = [
        "Kim hails the summit",
        "South Korean President Kim Dae-jung flew home.",
        "Later Kim Jong Il spoke.",
    ]
    assert document_codes(lexicon, texts) == [["KR"], ["KR", "KR"], ["KP"]]
    texts = ["Kim meets Moon", "North Korean leader Kim Jong Un crossed the line."]
    assert document_codes(lexicon, texts) == [["KP", "KR"], ["KP", "KP"]]
    # another first name, or no shared surname at all, is no mention
    assert document_codes(lexicon, ["Andrew Kim and Lee spoke."]) == [[]]
    # single texts are unchanged
    assert codes(lexicon, "Kim and Moon signed the declaration.") == ["KR"]


def test_a_shared_surname_with_an_unknown_country_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("shared_surnames:\n  Lee: XX\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"bad.yaml: shared_surnames.Lee: unknown country code 'XX'"):
        load_lexicon(countries_file=bad)
    bad.write_text("shared_surnames: [Lee]\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"bad.yaml: shared_surnames: expected a mapping"):
        load_lexicon(countries_file=bad)


def test_bare_surnames_need_no_other_first_name(lexicon) -> None:  # type: ignore[no-untyped-def]
    assert codes(lexicon, "Moon said so. President Moon agreed. Joshua Moon, a researcher, did not.") == [
        "KR",
        "KR",
    ]
    assert codes(lexicon, "Abe and Kevin Abe met; Moon Jae-in came.") == ["JP", "KR"]
    assert codes(lexicon, "Japan's Abe spoke.") == ["JP", "JP"]


def test_topic_file_follows_the_models_rule(tmp_path: Path) -> None:
    # A topic the model could not build hypotheses for must not pass the lexicon either.
    half = tmp_path / "topics.yaml"
    half.write_text("topics:\n  x:\n    description: d\n    support: s\n    cues: [x]\n", encoding="utf-8")
    with pytest.raises(LexiconError, match="lacks oppose"):
        load_lexicon(topics_file=half)
    whole = tmp_path / "ok.yaml"
    whole.write_text(
        "topics:\n  x:\n    description: d\n    support: favours d.\n    oppose: opposes d\n    cues: [x]\n",
        encoding="utf-8",
    )
    (topic,) = load_lexicon(topics_file=whole).topics
    assert (topic.id, topic.support, topic.oppose, topic.cues) == ("x", "favours d", "opposes d", ("x",))
    assert not topic.qualifies
    flagged = tmp_path / "flag.yaml"
    flagged.write_text(whole.read_text(encoding="utf-8") + "    qualifies: sometimes\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"flag.yaml: topics.x.qualifies: expected true or false"):
        load_lexicon(topics_file=flagged)


def test_a_group_name_mentions_each_of_its_countries(lexicon, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert codes(lexicon, "The two Koreas agreed, and Tokyo welcomed it.") == ["KR", "KP", "JP"]
    assert codes(lexicon, "South and North Korea met.") == ["KR", "KP"]
    extra = tmp_path / "groups.yaml"
    extra.write_text("groups:\n  the Quad: [US, JP, IN]\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"groups.yaml: groups.the Quad: unknown country codes \['IN'\]"):
        load_lexicon(countries_file=extra)
