"""Pure change-detection tables: kinds, corroboration, window, hysteresis, stable ids."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerts.detect import DetectConfig, PairState, kind_of, step
from alerts.service import fold
from core.baseline import Baseline

from .helpers import baseline, obs

CFG = DetectConfig(min_confidence=0.5, min_sources=2, window=timedelta(hours=24), high_confidence=0.9)


@pytest.mark.parametrize(
    ("base", "prev", "new", "kind"),
    [
        ("support", None, "oppose", "reversal"),
        ("oppose", None, "support", "reversal"),
        ("support", None, "neutral", "shift"),
        ("oppose", None, "neutral", "shift"),
        ("neutral", None, "support", "shift"),
        ("mixed", None, "support", "shift"),
        ("mixed", None, "oppose", "shift"),
        ("mixed", None, "neutral", None),
        (None, None, "support", "new_position"),
        (None, None, "oppose", "new_position"),
        (None, None, "neutral", None),
        ("support", "oppose", "support", "reverted"),
        ("mixed", "support", "neutral", "reverted"),
        ("support", None, "support", None),
        (None, "support", "oppose", "new_position"),
        (None, "support", "neutral", None),
        ("support", "neutral", "oppose", "reversal"),
    ],
)
def test_kind_table(base: str | None, prev: str | None, new: str, kind: str | None) -> None:
    assert kind_of(base, prev, new) == kind


def run(base: Baseline, *observations):  # type: ignore[no-untyped-def]
    states: dict[str, PairState] = {}
    return fold(states, base, list(observations), CFG), states


def test_two_distinct_domains_within_window_fire_a_reversal() -> None:
    base = baseline(("RU", "sanctions", "oppose"))
    alerts, _ = run(base, obs("support", source="a.example"), obs("support", source="b.example", hours=5))
    assert [(a.kind, a.new_stance, a.baseline_stance) for a in alerts] == [("reversal", "support", "oppose")]
    a = alerts[0]
    assert {e.url.split("/")[2] for e in a.evidence} == {"a.example", "b.example"}
    assert a.detected_at == obs("support", hours=5).published  # article time, not wall clock
    assert a.baseline_evidence == "RU sanctions oppose"


def test_same_domain_twice_does_not_corroborate() -> None:
    base = baseline(("RU", "sanctions", "oppose"))
    alerts, _ = run(base, obs("support", source="a.example"), obs("support", source="www.a.example", hours=1))
    assert alerts == []


def test_sources_outside_the_window_do_not_corroborate() -> None:
    base = baseline(("RU", "sanctions", "oppose"))
    alerts, _ = run(base, obs("support", source="a.example"), obs("support", source="b.example", hours=30))
    assert alerts == []


def test_one_high_confidence_observation_fires_alone() -> None:
    base = baseline(("RU", "sanctions", "oppose"))
    alerts, _ = run(base, obs("support", confidence=0.95))
    assert [a.kind for a in alerts] == ["reversal"]
    assert alerts[0].confidence == 0.95


def test_low_confidence_observations_are_ignored() -> None:
    base = baseline(("RU", "sanctions", "oppose"))
    alerts, states = run(
        base, obs("support", confidence=0.3), obs("support", source="b.example", confidence=0.4)
    )
    assert alerts == [] and states.get("RU:sanctions", PairState()).candidates == ()


def test_agreeing_observations_fire_nothing() -> None:
    base = baseline(("RU", "sanctions", "oppose"))
    alerts, _ = run(base, *(obs("oppose", source=f"s{i}.example", confidence=0.99) for i in range(4)))
    assert alerts == []


def test_shift_from_mixed_and_new_position() -> None:
    base = baseline(("KR", "military_exercises", "mixed"))
    alerts, _ = run(
        base,
        obs("oppose", country="KR", topic="military_exercises", confidence=0.95),
        obs("support", country="JP", topic="thaad", confidence=0.95),
        obs("neutral", country="CN", topic="thaad", confidence=0.95),  # no baseline + neutral: nothing
    )
    assert [(a.kind, a.country, a.baseline_stance) for a in alerts] == [
        ("shift", "KR", "mixed"),
        ("new_position", "JP", None),
    ]


def test_hysteresis_then_revert_then_realert() -> None:
    base = baseline(("RU", "sanctions", "oppose"))
    hi = 0.95
    alerts, _ = run(
        base,
        obs("support", confidence=hi, hours=0),
        obs("support", confidence=hi, hours=1, source="b.example"),  # same change: not again
        obs("support", confidence=hi, hours=2, source="c.example"),
        obs("oppose", confidence=hi, hours=3),  # back to baseline
        obs("oppose", confidence=hi, hours=4, source="d.example"),  # at baseline: nothing
        obs("support", confidence=hi, hours=5),  # a new change after the revert: alert again
    )
    assert [a.kind for a in alerts] == ["reversal", "reverted", "reversal"]
    assert len({a.id for a in alerts}) == 3


def test_hysteresis_holds_when_flapping_between_changed_stances() -> None:
    base = baseline(("RU", "sanctions", "oppose"))
    hi = 0.95
    alerts, states = run(
        base,
        obs("support", confidence=hi),
        obs("neutral", confidence=hi, hours=1),  # a different change: alerted
        obs("support", confidence=hi, hours=2),  # already alerted since the last revert: silent
    )
    assert [a.kind for a in alerts] == ["reversal", "shift"]
    assert states["RU:sanctions"].current == "support"


def test_ids_are_stable_for_the_same_history() -> None:
    base = baseline(("RU", "sanctions", "oppose"))
    history = [obs("support", confidence=0.95), obs("oppose", confidence=0.95, hours=1)]
    first, _ = run(base, *history)
    second, _ = run(base, *history)
    assert [a.id for a in first] == [a.id for a in second]
    other, _ = run(baseline(("RU", "sanctions", "neutral")), obs("support", confidence=0.95))
    assert other[0].id != first[0].id


def test_state_step_is_pure() -> None:
    base = baseline(("RU", "sanctions", "oppose"))
    state = PairState()
    new, alert = step(state, base.by_key()["RU:sanctions"], obs("support", confidence=0.95), CFG)
    assert state == PairState() and alert is not None and new.current == "support"


def test_evidence_is_capped_and_prefers_distinct_sources() -> None:
    cfg = DetectConfig(min_sources=4, window=timedelta(hours=24), high_confidence=1.0, evidence_max=2)
    base = baseline(("RU", "sanctions", "oppose"))
    states: dict[str, PairState] = {}
    seq = [obs("support", source=s, hours=h) for h, s in enumerate(["a.x", "a.x", "b.x", "c.x", "d.x"])]
    alerts = fold(states, base, seq, cfg)
    assert len(alerts) == 1 and len(alerts[0].evidence) == 2
    assert len({e.url.split("/")[2] for e in alerts[0].evidence}) == 2
