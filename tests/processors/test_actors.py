import pytest

from processors.actors import actors
from processors.lexicon import load_lexicon


@pytest.fixture(scope="module")
def lexicon():  # type: ignore[no-untyped-def]
    return load_lexicon()


def test_targets_and_coordinated_targets_are_not_actors(lexicon) -> None:  # type: ignore[no-untyped-def]
    sentence = "Beijing warned against aggression toward Japan and South Korea, said Moscow."
    assert actors(sentence, lexicon.mentions(sentence)) == ("CN", "RU")


def test_objects_of_prepositions_are_not_actors_but_agents_are(lexicon) -> None:  # type: ignore[no-untyped-def]
    sentence = "Seoul seeks talks with Pyongyang and the denuclearization of North Korea, backed by Tokyo."
    assert actors(sentence, lexicon.mentions(sentence)) == ("KR", "JP")
    sentence = "Cooperation between Russia and China grew, as both oppose a strike."
    assert actors(sentence, lexicon.mentions(sentence)) == ("RU", "CN")


def test_the_parties_of_talks_someone_else_promotes_are_not_actors(lexicon) -> None:  # type: ignore[no-untyped-def]
    sentence = "Tokyo's plan is the promotion of direct talks between Washington and Pyongyang."
    assert actors(sentence, lexicon.mentions(sentence)) == ("JP",)
    # the parties act when nobody before them does
    sentence = "Talks between Seoul and Pyongyang resumed on Monday."
    assert actors(sentence, lexicon.mentions(sentence)) == ("KR", "KP")
    # the parties' phrase ends with its clause
    sentence = "Tokyo backed talks between Washington and Pyongyang; Seoul welcomed them."
    assert actors(sentence, lexicon.mentions(sentence)) == ("JP", "KR")


def test_a_country_qualifying_a_military_action_is_not_an_actor(lexicon) -> None:  # type: ignore[no-untyped-def]
    sentence = "Beijing opposes a preemptive U.S. military strike on the North."
    assert actors(sentence, lexicon.mentions(sentence)) == ("CN",)
    # "a Chinese official" is still someone speaking
    sentence = "A Chinese official said any strike would be a disaster."
    assert actors(sentence, lexicon.mentions(sentence)) == ("CN",)


def test_the_owner_of_a_policy_is_an_actor_even_after_a_preposition(lexicon) -> None:  # type: ignore[no-untyped-def]
    sentence = "In contrast to Washington's focus on denuclearization, Moscow wants talks."
    assert actors(sentence, lexicon.mentions(sentence)) == ("US", "RU")
    # a possessive that owns no policy stays a target
    sentence = "Moscow opposed sanctions on North Korea's exports."
    assert actors(sentence, lexicon.mentions(sentence)) == ("RU",)


def test_the_one_urged_is_not_an_actor(lexicon) -> None:  # type: ignore[no-untyped-def]
    sentence = "Moscow urged South Korea to leave the drills, and asked Tokyo to wait."
    assert actors(sentence, lexicon.mentions(sentence)) == ("RU",)
    sentence = "Moscow wants compromises from both Pyongyang and Seoul."
    assert actors(sentence, lexicon.mentions(sentence)) == ("RU",)


def test_the_parties_of_talks_an_earlier_actor_welcomes_are_not_actors(lexicon) -> None:  # type: ignore[no-untyped-def]
    sentence = "Beijing praised Pyongyang's planned talks with Tokyo and Seoul."
    assert actors(sentence, lexicon.mentions(sentence)) == ("CN",)
    sentence = "Pyongyang's talks with Seoul resumed on Monday."  # no earlier actor: a party acts
    assert actors(sentence, lexicon.mentions(sentence)) == ("KP",)
    sentence = "Moscow keeps inviting Pyongyang to the table."
    assert actors(sentence, lexicon.mentions(sentence)) == ("RU",)


def test_the_one_assured_is_not_an_actor(lexicon) -> None:  # type: ignore[no-untyped-def]
    sentence = "Seoul's defence minister reassured Beijing about the missile shield."
    assert actors(sentence, lexicon.mentions(sentence)) == ("KR",)


def test_who_only_reports_is_not_an_actor(lexicon) -> None:  # type: ignore[no-untyped-def]
    sentence = "Beijing welcomed the talks, Yonhap reported."
    assert actors(sentence, lexicon.mentions(sentence)) == ("CN",)
    sentence = "Beijing welcomed the talks, Yonhap said."
    assert actors(sentence, lexicon.mentions(sentence)) == ("CN", "KR")


def test_the_venue_of_an_event_is_not_an_actor(lexicon) -> None:  # type: ignore[no-untyped-def]
    sentence = "After a meeting of Asian leaders in China, Putin said new sanctions were pointless."
    assert actors(sentence, lexicon.mentions(sentence)) == ("RU",)
    sentence = "Officials in China said new sanctions were pointless."  # not an event's venue
    assert actors(sentence, lexicon.mentions(sentence)) == ("CN",)


def test_a_bare_comma_ends_a_fronted_phrase_but_continues_a_list(lexicon) -> None:  # type: ignore[no-untyped-def]
    sentence = "Under pressure from China, Russia agreed to new sanctions."  # the main clause starts
    assert actors(sentence, lexicon.mentions(sentence)) == ("RU",)
    sentence = "Moscow spoke about Tokyo, Seoul and Washington."  # a list goes on
    assert actors(sentence, lexicon.mentions(sentence)) == ("RU",)
    sentence = "Beijing praises Pyongyang's dialogue with Tokyo, Seoul - report"  # a headline's list
    assert actors(sentence, lexicon.mentions(sentence)) == ("CN",)
