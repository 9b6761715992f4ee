import pytest

from processors.candidates import Candidate, actors, candidates
from processors.lexicon import load_lexicon


@pytest.fixture(scope="module")
def lexicon():  # type: ignore[no-untyped-def]
    return load_lexicon()


def pairs(cands: list[Candidate]) -> set[tuple[int, str, str]]:
    return {(c.index, c.country, c.topic) for c in cands}


def test_actor_and_topic_from_one_sentence(lexicon) -> None:  # type: ignore[no-untyped-def]
    got = candidates(["The Kremlin rejected new sanctions against North Korea."], lexicon)
    # North Korea is the target of the sanctions, not an actor
    assert pairs(got) == {(0, "RU", "sanctions")}


def test_targets_and_coordinated_targets_are_not_actors(lexicon) -> None:  # type: ignore[no-untyped-def]
    sentence = "Beijing warned against aggression toward Japan and South Korea, said Moscow."
    assert actors(sentence, lexicon.mentions(sentence)) == ("CN", "RU")


def test_subject_is_carried_to_a_sentence_without_mentions(lexicon) -> None:  # type: ignore[no-untyped-def]
    sentences = [
        "Russian Foreign Minister Sergei Lavrov spoke in Moscow on Tuesday.",
        "He said the joint drills must stop.",
    ]
    got = candidates(sentences, lexicon)
    assert Candidate(1, "RU", "military_exercises", carried=True) in got


def test_carry_over_stops_after_two_sentences(lexicon) -> None:  # type: ignore[no-untyped-def]
    sentences = [
        "Tokyo spoke first.",
        "It wants sanctions.",
        "It wants more sanctions.",
        "It wants even more sanctions.",
    ]
    got = pairs(candidates(sentences, lexicon))
    assert (1, "JP", "sanctions") in got and (2, "JP", "sanctions") in got
    assert (3, "JP", "sanctions") not in got


def test_topic_is_carried_from_the_sentence_before(lexicon) -> None:  # type: ignore[no-untyped-def]
    sentences = [
        "Seoul agreed to host the THAAD battery.",
        "China's ambassador called for a halt of the deployment.",
    ]
    got = candidates(sentences, lexicon)
    assert Candidate(1, "CN", "thaad", carried=True) in got
    assert (0, "KR", "thaad") in pairs(got)


def test_weak_cue_needs_participants_in_the_window(lexicon) -> None:  # type: ignore[no-untyped-def]
    alone = candidates(["Japan favours talks."], lexicon)
    assert not any(c.topic == "us_dprk_diplomacy" for c in alone)
    with_neighbours = candidates(["Japan favours talks.", "Washington and Pyongyang agree."], lexicon)
    assert (0, "JP", "us_dprk_diplomacy") in pairs(with_neighbours)


def test_no_country_no_topic_no_candidates(lexicon) -> None:  # type: ignore[no-untyped-def]
    assert candidates(["The weather was fine.", "Stocks rose."], lexicon) == []


def test_pronoun_subject_adds_the_previous_subject(lexicon) -> None:  # type: ignore[no-untyped-def]
    sentences = [
        "Russian Foreign Minister Sergei Lavrov met his counterpart on Monday.",
        "He said the joint drills held by Washington and Seoul must stop.",
    ]
    got = candidates(sentences, lexicon)
    assert Candidate(1, "RU", "military_exercises", carried=True) in got
    assert Candidate(1, "US", "military_exercises", carried=False) in got


def test_objects_of_prepositions_are_not_actors_but_agents_are(lexicon) -> None:  # type: ignore[no-untyped-def]
    sentence = "Seoul seeks talks with Pyongyang and the denuclearization of North Korea, backed by Tokyo."
    assert actors(sentence, lexicon.mentions(sentence)) == ("KR", "JP")
    sentence = "Cooperation between Russia and China grew, as both oppose a strike."
    assert actors(sentence, lexicon.mentions(sentence)) == ("RU", "CN")


def test_headings_are_not_evidence(lexicon) -> None:  # type: ignore[no-untyped-def]
    got = candidates(["Russia and the Sanctions Debate", "Moscow opposes new sanctions."], lexicon)
    assert pairs(got) == {(1, "RU", "sanctions")}


def test_topic_is_carried_only_to_a_sentence_that_refers_back(lexicon) -> None:  # type: ignore[no-untyped-def]
    sentences = ["Seoul agreed to host the THAAD battery.", "Tokyo held elections on Sunday."]
    assert pairs(candidates(sentences, lexicon)) == {(0, "KR", "thaad")}
