"""Riding out a broker outage: every stage waits with backoff and resumes by itself.

``BrokerWatch`` is the one place that decides how a stage behaves while Kafka is away. A stage runs each
broker interaction through ``watch.call(stop, fn)``: a ``BrokerUnavailable`` or ``PublishError`` is an
outage, not a crash; the call waits (``OUTAGE_POLICY``: exponential, capped) and tries again until it
succeeds or ``stop`` is set (then ``StopRequested``). While idle (nothing polled), ``watch.idle(stop)``
probes the broker now and then, because kafka-python's consumer returns empty polls rather than raising
when the broker is gone. Each change of state (reachable -> unreachable -> reachable) is logged once, shown
in ``stancewatch_broker_up{stage}`` and counted in ``stancewatch_broker_outages_total{stage}``; while the
broker is away kafka-python's own per-connection error lines are muted, so the operator reads ours.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from prometheus_client import CollectorRegistry

from core.kafka import BrokerUnavailable, PublishError, cluster_answers
from core.metrics import BrokerHealth
from core.retry import RetryPolicy
from core.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Waits between attempts while the broker is away: 0.5 s doubling up to 15 s; never gives up.
OUTAGE_POLICY = RetryPolicy(attempts=2**31, base=0.5, cap=15.0)
OUTAGE_ERRORS: tuple[type[Exception], ...] = (BrokerUnavailable, PublishError)


class StopRequested(Exception):
    """``stop`` was set while waiting for the broker: the stage should shut down."""


class BrokerWatch:
    """Tracks whether one stage reaches the broker; see the module docstring.

    ``probe`` returns None when the broker answers, else a one-line reason (``core.kafka.cluster_answers``).
    Thread-safe for the state changes; ``call``/``idle`` are meant for the stage's own loop.
    """

    def __init__(
        self,
        stage: str,
        health: BrokerHealth,
        probe: Callable[[], str | None],
        policy: RetryPolicy = OUTAGE_POLICY,
        probe_every: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stage = stage
        self._health = health
        self._probe = probe
        self._policy = policy
        self._probe_every = probe_every
        self._clock = clock
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._failures = 0
        self._last_ok = clock()
        self._kafka_level: int | None = None
        health.up.labels(stage).set(1)
        health.outages.labels(stage)

    @property
    def down(self) -> bool:
        return self._down_since is not None

    def healthy(self) -> None:
        """The broker answered (records polled, messages acknowledged, a probe passed)."""
        with self._lock:
            self._last_ok = self._clock()
            self._failures = 0
            if self._down_since is None:
                return
            away = self._last_ok - self._down_since
            self._down_since = None
        self._mute_kafka(False)
        self._health.up.labels(self.stage).set(1)
        log.info("%s: broker reachable again after %.0f s; resuming", self.stage, away)

    def failed(self, error: str) -> float:
        """The broker did not answer; return how long to wait before the next attempt."""
        with self._lock:
            self._failures += 1
            delay = self._policy.delay(self._failures)
            if self._down_since is not None:
                return delay
            self._down_since = self._clock()
        self._health.up.labels(self.stage).set(0)
        self._health.outages.labels(self.stage).inc()
        log.warning(
            "%s: broker unreachable (%s); waiting for it with backoff (up to %.0f s between tries), "
            "nothing is lost or skipped",
            self.stage, _one_line(error), self._policy.cap,
        )  # fmt: skip
        self._mute_kafka(True)
        return delay

    def call(
        self, stop: threading.Event, fn: Callable[[], T], answered: Callable[[T], bool] = lambda _: True
    ) -> T:
        """``fn()``, retried through any outage; raises StopRequested when ``stop`` is set meanwhile.

        ``answered(result)`` says whether the result proves the broker answered (an empty poll does not:
        kafka-python returns one while the broker is gone; ``idle`` probes then).
        """
        while True:
            if stop.is_set():
                raise StopRequested
            try:
                result = fn()
            except OUTAGE_ERRORS as exc:
                if stop.wait(self.failed(str(exc))):
                    raise StopRequested from None
                continue
            if answered(result):
                self.healthy()
            return result

    def idle(self, stop: threading.Event) -> None:
        """Called after an empty poll: probe the broker when it has been quiet for a while, and while
        it does not answer, wait (with backoff) until it does or ``stop`` is set (then StopRequested)."""
        if self._clock() - self._last_ok < self._probe_every and not self.down:
            return
        self.ready(stop)

    def ready(self, stop: threading.Event) -> None:
        """Return once the broker answers a (quiet) probe; wait with backoff until then, or raise
        StopRequested when ``stop`` is set. Stages call it before connecting, so that a start during an
        outage reads as one line of ours rather than kafka-python's connection errors."""
        while True:
            problem = self._probe()
            if problem is None:
                self.healthy()
                return
            if stop.wait(self.failed(problem)):
                raise StopRequested

    def _mute_kafka(self, mute: bool) -> None:
        # kafka-python logs every refused connection at ERROR while the broker is away: one outage would
        # print thousands of lines. Our own line says it once; its warnings come back with the broker.
        kafka_log = logging.getLogger("kafka")
        if mute and self._kafka_level is None:
            self._kafka_level = kafka_log.level
            kafka_log.setLevel(logging.CRITICAL)
        elif not mute and self._kafka_level is not None:
            kafka_log.setLevel(self._kafka_level)
            self._kafka_level = None


def _one_line(text: str) -> str:
    return (text.strip().splitlines() or ["?"])[0][:300]


def broker_watch(stage: str, bootstrap: str, registry: CollectorRegistry, settings: Settings) -> BrokerWatch:
    """The watch of one stage process, probing ``bootstrap`` quietly with a short timeout."""
    timeout = min(settings.kafka_request_timeout_ms, 5_000)
    return BrokerWatch(
        stage,
        BrokerHealth(registry),
        lambda: cluster_answers(bootstrap, timeout, quiet=True),
        probe_every=settings.broker_probe_s,
    )
