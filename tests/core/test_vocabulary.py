"""The one vocabulary: the shipped files load from the package, an operator's files extend or replace
them, and whatever would fail later is refused at start-up in one line naming the file, entry and fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.vocabulary import VocabularyError, load_vocabulary

INDIA = """
countries:
  IN:
    name: India
    aliases: [India, Indian, New Delhi, Modi]
groups:
  the Quad: [US, JP, IN]
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_vocabulary() -> None:
    v = load_vocabulary()
    assert v.country_codes == ("US", "RU", "CN", "KR", "KP", "JP")
    assert v.country_names["US"] == "the United States" and v.country("US").label == "United States"
    assert len(v.topic_ids) == 9 and v.topic("sanctions").participants == ("KP",)
    assert ("Kim", "KP") in v.shared_surnames and "Washington Post" in v.ignore
    assert load_vocabulary() is v  # parsed once per process


def test_a_new_country_with_a_name_and_aliases_is_added(tmp_path: Path) -> None:
    v = load_vocabulary(countries_file=write(tmp_path, "in.yaml", INDIA + "ignore:\nshared_surnames:\n"))
    assert v.country_codes[-1] == "IN" and v.country_names["IN"] == "India"
    assert ("the Quad", ("US", "JP", "IN")) in v.groups
    assert v.country("US").aliases == load_vocabulary().country("US").aliases  # the shipped ones stay


@pytest.mark.parametrize(
    ("countries", "error"),
    [
        (
            "countries:\n  IN:\n    aliases: [India]\n",
            r"c.yaml: countries.IN: a new country lacks name: add the name the model's hypotheses use",
        ),
        ("countries:\n  IN:\n    name: India\n", r"c.yaml: countries.IN: no aliases: add the words"),
        (
            "countries:\n  IN:\n    name: India\n    aliases: [India, Washington]\n",
            r"c.yaml: countries.IN: alias 'Washington' already stands for US: remove it",
        ),
        (
            "countries:\n  India:\n    name: India\n",
            r"c.yaml: countries.India: a country code is two or three",
        ),
        ("countries:\n  NO:\n    name: Norway\n", r"c.yaml: countries: a key here is not text .*: quote it"),
        ("countries:\n  RU:\n    alias: [Smolensk]\n", r"c.yaml: countries.RU.alias: unknown key: check"),
        (
            "countries:\n  RU:\n    aliases: [Smolensk, '']\n",
            r"c.yaml: countries.RU.aliases: expected a list",
        ),
    ],
)
def test_a_countries_file_that_would_fail_later_is_refused(
    tmp_path: Path, countries: str, error: str
) -> None:
    with pytest.raises(VocabularyError, match=error) as err:
        load_vocabulary(countries_file=write(tmp_path, "c.yaml", countries))
    assert "\n" not in str(err.value)


TOPIC = """
topics:
  port_calls:
    description: port calls by North Korean ships
    support: favours letting North Korean ships call at its ports.
    oppose: opposes North Korean ships calling at its ports
    cues: [port call, port calls]
    participants: [KP]
"""


def test_a_topics_file_replaces_the_shipped_topics(tmp_path: Path) -> None:
    v = load_vocabulary(topics_file=write(tmp_path, "t.yaml", TOPIC))
    (topic,) = v.topics
    assert (
        topic.id == "port_calls" and topic.support == "favours letting North Korean ships call at its ports"
    )
    assert topic.cues == ("port call", "port calls") and not topic.qualifies


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (
            ("oppose: opposes North Korean ships calling at its ports", ""),
            r"t.yaml: topics.port_calls: lacks oppose",
        ),
        (
            ("oppose: opposes North Korean ships calling at its ports", "oppose:"),
            r"t.yaml: topics.port_calls: lacks oppose",
        ),
        (
            ("participants: [KP]", "participants: [IN]"),
            r"topics.port_calls.participants: unknown country codes",
        ),
        (
            ("participants: [KP]", "not_held_by: [XX]"),
            r"topics.port_calls.not_held_by: unknown country codes",
        ),
        (("cues: [port call, port calls]", ""), r"t.yaml: topics.port_calls: no cues: add cues"),
        (("port_calls:", "Port Calls:"), r"t.yaml: topics.Port Calls: a topic id is lower-case"),
        (
            ("participants: [KP]", "qualifies: sometimes"),
            r"topics.port_calls.qualifies: expected true or false",
        ),
        (("description: port", "descripton: port"), r"t.yaml: topics.port_calls.descripton: unknown key"),
    ],
)
def test_a_topics_file_that_would_fail_later_is_refused(
    tmp_path: Path, change: tuple[str, str], error: str
) -> None:
    with pytest.raises(VocabularyError, match=error) as err:
        load_vocabulary(topics_file=write(tmp_path, "t.yaml", TOPIC.replace(*change)))
    assert "\n" not in str(err.value)


def test_topics_may_name_a_country_the_countries_file_adds(tmp_path: Path) -> None:
    topics = write(tmp_path, "t.yaml", TOPIC.replace("participants: [KP]", "participants: [KP, IN]"))
    v = load_vocabulary(write(tmp_path, "in.yaml", INDIA), topics)
    assert v.topic("port_calls").participants == ("KP", "IN")


def test_an_unreadable_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(VocabularyError, match=r"missing\.yaml: no such file"):
        load_vocabulary(countries_file=tmp_path / "missing.yaml")
    with pytest.raises(VocabularyError, match=r"bad\.yaml: not valid YAML at line"):
        load_vocabulary(topics_file=write(tmp_path, "bad.yaml", "topics: [\n"))


def test_an_edited_file_is_read_again(tmp_path: Path) -> None:
    path = write(tmp_path, "in.yaml", INDIA)
    assert "Modi" in load_vocabulary(countries_file=path).country("IN").aliases
    path.write_text(INDIA.replace("Modi", "Narendra Modi, Jaishankar"), encoding="utf-8")
    assert "Jaishankar" in load_vocabulary(countries_file=path).country("IN").aliases
