"""The shared gauges of core.metrics: lag per partition, the stance board and model info."""

from __future__ import annotations

from prometheus_client import generate_latest

from core.metrics import ConsumerLag, StanceBoard, model_info, new_registry


def _value(registry, name: str, **labels: str) -> float | None:
    return registry.get_sample_value(name, labels)


def _lag(registry, partition: str) -> float | None:
    name = "stancewatch_consumer_lag_records"
    return _value(registry, name, group="g", topic="articles", partition=partition)


def test_consumer_lag_sets_and_drops_revoked_partitions() -> None:
    registry = new_registry()
    lag = ConsumerLag(registry)
    lag.update("g", {("articles", 0): 5, ("articles", 1): 0})
    assert _lag(registry, "0") == 5
    lag.update("g", {("articles", 1): 7})
    assert _lag(registry, "0") is None
    assert _lag(registry, "1") == 7


def test_stance_board_values() -> None:
    registry = new_registry()
    board = StanceBoard(registry)
    board.set_baseline("RU", "sanctions", "oppose")
    board.set_baseline("KR", "military_exercises", "mixed")
    board.set_current("RU", "sanctions", "support")
    assert _value(registry, "stancewatch_stance_baseline", country="RU", topic="sanctions") == -1
    assert _value(registry, "stancewatch_stance_baseline", country="KR", topic="military_exercises") == 0
    assert _value(registry, "stancewatch_stance_current", country="RU", topic="sanctions") == 1


def test_model_info_exposed() -> None:
    registry = new_registry()
    model_info(registry, version="v1", base="all-MiniLM-L6-v2")
    text = generate_latest(registry).decode()
    assert 'stancewatch_model_info{base="all-MiniLM-L6-v2",version="v1"} 1.0' in text
