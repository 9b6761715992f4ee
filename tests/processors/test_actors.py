"""Who acts in a sentence: a table of cases, grouped by the rule they check."""

import pytest

from processors.actors import actors
from processors.lexicon import load_lexicon

CASES = [
    # targets and coordinated targets are not actors
    ("Beijing warned against aggression toward Japan and South Korea, said Moscow.", ("CN", "RU")),
    # objects of prepositions are not actors but agents are
    (
        "Seoul seeks talks with Pyongyang and the denuclearization of North Korea, backed by Tokyo.",
        ("KR", "JP"),
    ),
    ("Cooperation between Russia and China grew, as both oppose a strike.", ("RU", "CN")),
    # the parties of talks someone else promotes are not actors
    ("Tokyo's plan is the promotion of direct talks between Washington and Pyongyang.", ("JP",)),
    # the parties act when nobody before them does
    ("Talks between Seoul and Pyongyang resumed on Monday.", ("KR", "KP")),
    # the parties' phrase ends with its clause
    ("Tokyo backed talks between Washington and Pyongyang; Seoul welcomed them.", ("JP", "KR")),
    # a country qualifying a military action is not an actor
    ("Beijing opposes a preemptive U.S. military strike on the North.", ("CN",)),
    # "a Chinese official" is still someone speaking
    ("A Chinese official said any strike would be a disaster.", ("CN",)),
    # the owner of a policy is an actor even after a preposition
    ("In contrast to Washington's focus on denuclearization, Moscow wants talks.", ("US", "RU")),
    # a possessive that owns no policy stays a target
    ("Moscow opposed sanctions on North Korea's exports.", ("RU",)),
    # the one urged is not an actor
    ("Moscow urged South Korea to leave the drills, and asked Tokyo to wait.", ("RU",)),
    ("Moscow wants compromises from both Pyongyang and Seoul.", ("RU",)),
    # the parties of talks an earlier actor welcomes are not actors
    ("Beijing praised Pyongyang's planned talks with Tokyo and Seoul.", ("CN",)),
    ("Pyongyang's talks with Seoul resumed on Monday.", ("KP",)),  # no earlier actor: a party acts
    # a country naming the problem a sentence is about is not an actor
    ("Tokyo says the North Korean nuclear threat is growing.", ("JP",)),
    ("Beijing sees the North Korea issue as urgent.", ("CN",)),
    ("North Korean threats worried Tokyo.", ("KP", "JP")),  # threats someone makes are acts
    # the one invited is not an actor
    ("Moscow keeps inviting Pyongyang to the table.", ("RU",)),
    # the one assured is not an actor
    ("Seoul's defence minister reassured Beijing about the missile shield.", ("KR",)),
    # who only reports is not an actor
    ("Beijing welcomed the talks, Yonhap reported.", ("CN",)),
    ("Beijing welcomed the talks, Yonhap said.", ("CN", "KR")),
    # the venue of an event is not an actor
    ("After a meeting of Asian leaders in China, Putin said new sanctions were pointless.", ("RU",)),
    ("Officials in China said new sanctions were pointless.", ("CN",)),  # not an event's venue
    # nor where a weapon or a force is placed
    ("China said the THAAD battery in South Korea must go.", ("CN",)),
    ("Moscow objects to U.S. troops stationed in Japan and the deployment in South Korea.", ("RU",)),
    ("In Seoul, the defence ministry defended the battery.", ("KR",)),  # a fronted place still speaks
    # a bare comma ends a fronted phrase but continues a list
    ("Under pressure from China, Russia agreed to new sanctions.", ("RU",)),  # the main clause starts
    ("Moscow spoke about Tokyo, Seoul and Washington.", ("RU",)),  # a list goes on
    ("Beijing praises Pyongyang's dialogue with Tokyo, Seoul - report", ("CN",)),  # a headline's list
    # who reacts is an actor even after "from"
    ("Seoul began the drills, a step that drew a sharp protest from Beijing.", ("KR", "CN")),
    ("Seoul began the drills after pressure from Beijing.", ("KR",)),  # pressure is not a reaction
    # the owner of a claim or a concern is an actor after a preposition
    ("Seoul had no comment on Beijing's claim that the radar sees too far.", ("KR", "CN")),
]


@pytest.fixture(scope="module")
def lexicon():  # type: ignore[no-untyped-def]
    return load_lexicon()


@pytest.mark.parametrize(("sentence", "expected"), CASES)
def test_actors(lexicon, sentence: str, expected: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    assert actors(sentence, lexicon.mentions(sentence)) == expected
