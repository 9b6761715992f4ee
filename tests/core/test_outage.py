"""BrokerWatch (pure): waits with backoff through an outage, logs and counts each state change once,
resumes by itself, and stops promptly when asked."""

from __future__ import annotations

import logging
import threading

import pytest

from core.kafka import BrokerUnavailable, PublishError
from core.metrics import BrokerHealth, new_registry
from core.outage import BrokerWatch, StopRequested
from core.retry import RetryPolicy


class FakeStop(threading.Event):
    """A stop event whose waits return at once and are recorded (the test's clock is the waits)."""

    def __init__(self, stop_after: int | None = None) -> None:
        super().__init__()
        self.waits: list[float] = []
        self.stop_after = stop_after

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(float(timeout or 0))
        if self.stop_after is not None and len(self.waits) >= self.stop_after:
            self.set()
        return self.is_set()


def make(probe_answers: list[str | None] | None = None) -> tuple[BrokerWatch, object, list[float]]:
    registry = new_registry()
    clock = [0.0]
    answers = list(probe_answers or [])
    watch = BrokerWatch(
        "alerts",
        BrokerHealth(registry),
        lambda: answers.pop(0) if answers else None,
        policy=RetryPolicy(attempts=2**31, base=0.5, cap=4.0),
        probe_every=10.0,
        clock=lambda: clock[0],
    )
    return watch, registry, clock


def up(registry) -> float | None:  # type: ignore[no-untyped-def]
    return registry.get_sample_value("stancewatch_broker_up", {"stage": "alerts"})


def outages(registry) -> float | None:  # type: ignore[no-untyped-def]
    return registry.get_sample_value("stancewatch_broker_outages_total", {"stage": "alerts"})


def test_call_waits_with_backoff_through_an_outage_and_logs_each_change_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    watch, registry, _ = make()
    failures = [BrokerUnavailable("poll failed: KafkaConnectionError: 111 ECONNREFUSED")] * 3 + [
        PublishError("not acknowledged")
    ] * 3
    seen_down: list[float | None] = []

    def flaky() -> str:
        if failures:
            seen_down.append(up(registry))
            raise failures.pop(0)
        return "records"

    stop = FakeStop()
    with caplog.at_level(logging.INFO, logger="core.outage"):
        assert watch.call(stop, flaky) == "records"
    assert stop.waits == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]  # exponential, capped
    assert seen_down == [1.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    assert up(registry) == 1.0 and outages(registry) == 1.0 and not watch.down
    lines = [r.getMessage() for r in caplog.records if r.name == "core.outage"]
    assert len(lines) == 2
    assert "broker unreachable" in lines[0] and "ECONNREFUSED" in lines[0]
    assert "reachable again" in lines[1]
    assert logging.getLogger("kafka").level != logging.CRITICAL  # kafka-python's lines are back


def test_stop_during_an_outage_raises_stop_requested_promptly() -> None:
    watch, registry, _ = make()

    def never() -> None:
        raise BrokerUnavailable("gone")

    stop = FakeStop(stop_after=2)
    with pytest.raises(StopRequested):
        watch.call(stop, never)
    assert len(stop.waits) == 2 and up(registry) == 0.0


def test_other_errors_are_not_outages() -> None:
    watch, registry, _ = make()

    def bug() -> None:
        raise ValueError("a bug")

    with pytest.raises(ValueError):
        watch.call(FakeStop(), bug)
    assert up(registry) == 1.0 and outages(registry) == 0.0


def test_idle_probes_only_when_quiet_and_waits_until_the_broker_answers() -> None:
    watch, registry, clock = make(["refused", "refused", None])
    stop = FakeStop()
    watch.idle(stop)  # quiet for 0 s: no probe
    assert stop.waits == [] and up(registry) == 1.0
    clock[0] = 11.0
    watch.idle(stop)  # quiet for 11 s: probe; it fails twice, then the broker answers
    assert stop.waits == [0.5, 1.0]
    assert up(registry) == 1.0 and outages(registry) == 1.0
    watch.idle(stop)  # just answered: no probe
    assert stop.waits == [0.5, 1.0]


def test_an_empty_poll_is_no_proof_that_the_broker_answered() -> None:
    watch, registry, clock = make(["refused", None])
    stop = FakeStop()
    clock[0] = 11.0
    assert watch.call(stop, list, answered=bool) == []
    watch.idle(stop)  # the empty poll did not count: quiet for 11 s, so it probes (and waits once)
    assert stop.waits == [0.5] and outages(registry) == 1.0 and up(registry) == 1.0
