from processors.aggregate import Judgement, aggregate


def j(index: int, label: str, confidence: float, country: str = "RU", topic: str = "sanctions") -> Judgement:
    return Judgement(index, f"sentence {index}", country, topic, label, confidence)


def test_strongest_side_wins_and_both_sides_are_kept() -> None:
    (pair,) = aggregate([j(0, "support", 0.7), j(1, "oppose", 0.9), j(2, "support", 0.6)], 0.5)
    assert (pair.stance, pair.confidence, pair.sentence) == ("oppose", 0.9, "sentence 1")
    assert [(e.stance, e.index) for e in pair.evidence] == [("oppose", 1), ("support", 0), ("support", 2)]
    assert [e.index for e in pair.conflicting] == [0, 2]


def test_side_beats_a_stronger_neutral() -> None:
    (pair,) = aggregate([j(0, "neutral", 0.95), j(1, "support", 0.6)], 0.5)
    assert pair.stance == "support" and pair.confidence == 0.6


def test_neutral_only_pair_is_neutral() -> None:
    (pair,) = aggregate([j(0, "neutral", 0.8), j(3, "neutral", 0.9)], 0.5)
    assert (pair.stance, pair.sentence) == ("neutral", "sentence 3")


def test_none_and_weak_judgements_are_left_out() -> None:
    assert aggregate([j(0, "none", 0.99), j(1, "support", 0.4)], 0.5) == ()


def test_pairs_are_separate_and_sorted() -> None:
    out = aggregate([j(0, "support", 0.8, "US", "thaad"), j(0, "oppose", 0.8, "CN", "thaad")], 0.5)
    assert [(p.country, p.topic, p.stance) for p in out] == [
        ("CN", "thaad", "oppose"),
        ("US", "thaad", "support"),
    ]


def test_ties_go_to_the_earlier_sentence() -> None:
    (pair,) = aggregate([j(4, "oppose", 0.8), j(2, "support", 0.8)], 0.5)
    assert pair.sentence == "sentence 2" and pair.stance == "support"


def test_evidence_is_capped_per_label() -> None:
    (pair,) = aggregate([j(i, "support", 0.9 - i / 100) for i in range(6)], 0.5, max_evidence=3)
    assert [e.index for e in pair.evidence] == [0, 1, 2]
