import pytest

from processors.candidates import Candidate, wide_candidates
from processors.lexicon import load_lexicon


@pytest.fixture(scope="module")
def lexicon():  # type: ignore[no-untyped-def]
    return load_lexicon()


def pairs(cands: list[Candidate]) -> set[tuple[int, str, str]]:
    return {(c.index, c.country, c.topic) for c in cands}


def test_every_named_country_is_asked_about_a_cued_topic(lexicon) -> None:  # type: ignore[no-untyped-def]
    got = wide_candidates(["The Kremlin rejected new sanctions against North Korea."], lexicon)
    # the target of the sanctions is asked too: the model says "none" for it
    assert pairs(got) == {(0, "RU", "sanctions"), (0, "KP", "sanctions")}


def test_subject_is_carried_to_a_sentence_without_mentions(lexicon) -> None:  # type: ignore[no-untyped-def]
    sentences = [
        "Russian Foreign Minister Sergei Lavrov spoke in Moscow on Tuesday.",
        "He said the joint drills must stop.",
    ]
    got = wide_candidates(sentences, lexicon)
    assert Candidate(1, "RU", "military_exercises", carried=True) in got


def test_only_the_sentence_before_lends_its_countries(lexicon) -> None:  # type: ignore[no-untyped-def]
    sentences = [
        "Tokyo spoke first.",
        "It wants sanctions.",
        "It wants more sanctions.",
    ]
    got = wide_candidates(sentences, lexicon)
    assert Candidate(1, "JP", "sanctions", carried=True) in got
    assert (2, "JP", "sanctions") not in pairs(got)


def test_topic_is_carried_from_the_sentence_before(lexicon) -> None:  # type: ignore[no-untyped-def]
    sentences = [
        "Seoul agreed to host the THAAD battery.",
        "China's ambassador called for a halt of the deployment.",
    ]
    got = wide_candidates(sentences, lexicon)
    assert Candidate(1, "CN", "thaad", carried=True) in got
    assert (0, "KR", "thaad") in pairs(got)


def test_weak_cue_needs_participants_in_the_window(lexicon) -> None:  # type: ignore[no-untyped-def]
    alone = wide_candidates(["Japan favours talks."], lexicon)
    assert not any(c.topic == "us_dprk_diplomacy" for c in alone)
    with_neighbours = wide_candidates(["Japan favours talks.", "Washington and Pyongyang agree."], lexicon)
    assert (0, "JP", "us_dprk_diplomacy") in pairs(with_neighbours)


def test_no_country_no_topic_no_wide_candidates(lexicon) -> None:  # type: ignore[no-untyped-def]
    assert wide_candidates(["The weather was fine.", "Stocks rose."], lexicon) == []


def test_pronoun_subject_adds_the_previous_subject(lexicon) -> None:  # type: ignore[no-untyped-def]
    sentences = [
        "Russian Foreign Minister Sergei Lavrov met his counterpart on Monday.",
        "He said the joint drills held by Washington and Seoul must stop.",
    ]
    got = wide_candidates(sentences, lexicon)
    assert Candidate(1, "RU", "military_exercises", carried=True) in got
    assert Candidate(1, "US", "military_exercises", carried=False) in got


def test_headings_are_not_evidence(lexicon) -> None:  # type: ignore[no-untyped-def]
    got = wide_candidates(["Russia and the Sanctions Debate", "Moscow opposes new sanctions."], lexicon)
    assert pairs(got) == {(1, "RU", "sanctions")}


def test_a_neighbours_topic_is_asked_with_the_sentence_before_as_context(lexicon) -> None:  # type: ignore[no-untyped-def]
    sentences = ["Seoul agreed to host the THAAD battery.", "Tokyo held elections on Sunday."]
    got = wide_candidates(sentences, lexicon)
    assert Candidate(0, "KR", "thaad", carried=False) in got
    assert Candidate(1, "JP", "thaad", carried=True) in got  # the model may say "none"
    assert {c.topic for c in got} == {"thaad"}


def test_a_topic_is_never_asked_of_a_country_that_cannot_hold_it(lexicon) -> None:  # type: ignore[no-untyped-def]
    got = wide_candidates(["Pyongyang praised its alliance with Moscow and Beijing's support."], lexicon)
    assert all(c.country != "KP" for c in got if c.topic == "support_for_dprk")
    assert lexicon.topic("support_for_dprk").not_held_by == ("KP",)


def test_a_title_is_evidence_but_a_heading_in_the_text_is_not(lexicon) -> None:  # type: ignore[no-untyped-def]
    title = "Russia opposes new sanctions"
    got = wide_candidates([title, "Seoul News Desk", "The vote is on Friday."], lexicon, title)
    assert pairs(got) == {(0, "RU", "sanctions")}


def test_a_weak_cue_about_other_parties_talks_is_not_a_topic(lexicon) -> None:  # type: ignore[no-untyped-def]
    sentences = [
        "North Korea fired a missile on Monday.",
        "Ahead of a summit between Washington and Moscow, Tillerson said dialogue could ease tensions.",
    ]
    assert all(c.index != 1 for c in wide_candidates(sentences, lexicon))
    # the same weak cue about the topic's own parties stays
    sentences[1] = "Tillerson said a summit between Washington and Pyongyang could ease tensions."
    assert (1, "US", "us_dprk_diplomacy") in pairs(wide_candidates(sentences, lexicon))


def test_a_weak_cue_naming_a_partner_outside_the_topic_is_not_a_topic(lexicon) -> None:  # type: ignore[no-untyped-def]
    sentences = ["North Korea tested a missile.", "Seoul praised its cooperation with Moscow."]
    assert not [c for c in wide_candidates(sentences, lexicon) if c.topic == "support_for_dprk"]
    sentences[1] = "Moscow praised its cooperation with Pyongyang."
    assert (1, "RU", "support_for_dprk") in pairs(wide_candidates(sentences, lexicon))


def test_a_weak_cue_inside_a_name_is_not_a_cue(lexicon) -> None:  # type: ignore[no-untyped-def]
    window = {"KP"}
    assert "military_strike" not in lexicon.cues("Beijing invited a Naval War College expert.", window)
    assert "military_strike" not in lexicon.cues("Moscow recalled the Korean War.", window)
    assert "military_strike" in lexicon.cues("Moscow warned that war was near.", window)
    assert "military_strike" in lexicon.cues("War must be avoided, Moscow said.", window)


def test_a_weak_cue_in_a_title_case_headline_is_still_a_cue(lexicon) -> None:  # type: ignore[no-untyped-def]
    window = {"US", "KP"}
    assert "us_dprk_diplomacy" in lexicon.cues("Trump Says Summit With Kim Is Off", window)
    assert "military_strike" not in lexicon.cues("Seoul hosted a Naval War College expert.", {"KP"})


def test_a_weak_cue_aimed_at_a_party_outside_the_lexicon_is_not_a_cue(lexicon) -> None:  # type: ignore[no-untyped-def]
    sentences = ["North Korea sent shells to Moscow.", "Russia pressed on with its war against Ukraine."]
    assert not [c for c in wide_candidates(sentences, lexicon) if c.topic == "military_strike"]
    sentences[1] = "Russia warned that a war against North Korea would be a disaster."
    assert (1, "RU", "military_strike") in pairs(wide_candidates(sentences, lexicon))
    # the peninsula and the calendar are not outside parties
    sentences[1] = "Russia warned against a war on the Korean Peninsula in June."
    assert (1, "RU", "military_strike") in pairs(wide_candidates(sentences, lexicon))
    sentences[1] = "Beijing expanded its trade with Iran."
    assert not [c for c in wide_candidates(sentences, lexicon) if c.topic == "support_for_dprk"]
    sentences[1] = "Beijing praised its ties with President Kim Jong Un."  # a title before a known name
    assert (1, "CN", "support_for_dprk") in pairs(wide_candidates(sentences, lexicon))


def test_north_korea_is_not_asked_about_strikes_on_itself(lexicon) -> None:  # type: ignore[no-untyped-def]
    sentences = ["Pyongyang threatened a preemptive strike on Guam, and Washington ruled out a strike."]
    got = pairs(wide_candidates(sentences, lexicon))
    assert (0, "US", "military_strike") in got
    assert (0, "KP", "military_strike") not in got


def test_a_meeting_with_one_participant_needs_the_other_in_place(lexicon) -> None:  # type: ignore[no-untyped-def]
    sentences = ["Tokyo applauded Seoul's planned meeting with Kim Jong Un."]
    assert not [c for c in wide_candidates(sentences, lexicon) if c.topic == "us_dprk_diplomacy"]
    sentences = ["Trump said his meeting with Kim Jong Un went well."]
    assert (0, "US", "us_dprk_diplomacy") in pairs(wide_candidates(sentences, lexicon))
    sentences = ["North Korea fired a missile.", "Washington called for a meeting with Pyongyang."]
    assert (1, "US", "us_dprk_diplomacy") in pairs(wide_candidates(sentences, lexicon))


def test_a_quote_without_a_speaker_is_asked_of_the_sentence_befores_countries(lexicon) -> None:  # type: ignore[no-untyped-def]
    sentence = "“Pyongyang had better stop its provocations,” Biden told reporters."
    sentences = [sentence, "“Any attack will be answered with overwhelming force.”"]
    got = pairs(wide_candidates(sentences, lexicon))
    assert (1, "US", "military_strike") in got
    assert (1, "KP", "military_strike") not in got  # never asked about strikes on itself


def test_a_group_name_is_asked_as_each_of_its_countries(lexicon) -> None:  # type: ignore[no-untyped-def]
    got = pairs(wide_candidates(["The two Koreas declared a commitment to denuclearization."], lexicon))
    assert {(0, "KR", "denuclearization"), (0, "KP", "denuclearization")} <= got


def test_a_weak_cue_right_after_a_talks_format_belongs_to_that_format(lexicon) -> None:  # type: ignore[no-untyped-def]
    window = {"US", "KP", "KR", "RU"}
    # "inter-Korean" says whose dialogue it is: no US-North Korea diplomacy in it
    cued = lexicon.cues("Moscow backs inter-Korean diplomatic dialogue.", window)
    assert cued == ("inter_korean_dialogue",)
    assert "inter_korean_dialogue" not in lexicon.cues("Seoul welcomed the US-DPRK talks.", window)
    assert "us_dprk_diplomacy" not in lexicon.cues("Tokyo wants six-party talks revived.", window)
    # an issue before the weak word does not claim it: denuclearization talks are still talks
    assert "us_dprk_diplomacy" in lexicon.cues("Washington resumed denuclearization talks.", window)
    # two words between the format and the weak word: the weak word is free again
    assert "us_dprk_diplomacy" in lexicon.cues("Trump hailed inter-Korean ties and his own summit.", window)


def test_a_weak_cue_aimed_at_a_known_country_outside_the_topic_is_not_a_cue(lexicon) -> None:  # type: ignore[no-untyped-def]
    sentences = ["North Korea tested a missile.", "Washington stepped up diplomatic pressure on Beijing."]
    got = wide_candidates(sentences, lexicon)
    assert not [c for c in got if c.topic in ("us_dprk_diplomacy", "sanctions")]
    sentences[1] = "Moscow sent aid to Seoul after the floods."
    assert not [c for c in wide_candidates(sentences, lexicon) if c.topic == "support_for_dprk"]
    # aimed at a participant, the cue stays
    sentences[1] = "Washington stepped up its pressure on Pyongyang."
    assert (1, "US", "sanctions") in pairs(wide_candidates(sentences, lexicon))
    sentences[1] = "Moscow sent aid to Pyongyang after the floods."
    assert (1, "RU", "support_for_dprk") in pairs(wide_candidates(sentences, lexicon))


def test_talks_in_a_city_are_held_there_not_with_it(lexicon) -> None:  # type: ignore[no-untyped-def]
    sentences = ["Pyongyang's negotiator left the talks in Geneva, saying Washington offered nothing."]
    assert {(0, "KP", "us_dprk_diplomacy"), (0, "US", "us_dprk_diplomacy")} <= pairs(
        wide_candidates(sentences, lexicon)
    )
    # for other topics "in" still names a party outside the lexicon: the war in Ukraine is not a strike
    sentences = ["Moscow blamed the war in Ukraine on Washington as Pyongyang watched."]
    assert not [c for c in wide_candidates(sentences, lexicon) if c.topic == "military_strike"]


def test_a_bare_kim_acts_for_the_north_unless_a_full_name_says_otherwise(lexicon) -> None:  # type: ignore[no-untyped-def]
    sentences = ["Kim and Moon agreed on the goal of denuclearization."]
    assert {(0, "KP", "denuclearization"), (0, "KR", "denuclearization")} <= pairs(
        wide_candidates(sentences, lexicon)
    )
    sentences = ["Kim Dae-jung flew north in June.", "Kim called for reunification."]
    got = pairs(wide_candidates(sentences, lexicon))
    assert (1, "KR", "inter_korean_dialogue") in got and (1, "KP", "inter_korean_dialogue") not in got
