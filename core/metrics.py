"""Prometheus plumbing shared by the stages.

Each stage builds its metrics against an injected ``CollectorRegistry`` (see the stage's ``metrics``
module); names carry the ``stancewatch_`` prefix, base units and ``_total`` for counters, and labels are
low-cardinality (never URLs or ids). ``serve`` exposes a registry on ``/metrics``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Info, start_http_server

log = logging.getLogger(__name__)

PREFIX = "stancewatch_"


def new_registry() -> CollectorRegistry:
    """A fresh registry (tests and each process use their own, never the global default)."""
    return CollectorRegistry(auto_describe=True)


def serve(registry: CollectorRegistry, host: str, port: int) -> tuple[Any, Any] | None:
    """Serve ``registry`` on http://host:port/metrics in a daemon thread; port 0 disables it.

    Returns the (server, thread) pair so callers can shut it down, or None when disabled.
    """
    if port == 0:
        return None
    server, thread = start_http_server(port, addr=host, registry=registry)
    log.info("metrics on http://%s:%d/metrics", host, port)
    return server, thread


# --- shared gauges the operations dashboards read ------------------------------------------------
# Built here once so every stage names them the same way; each takes the stage's injected registry.

#: Value of a stance on the stance board: support +1, oppose -1, neutral (and a baseline's mixed) 0.
STANCE_VALUE: dict[str, int] = {"support": 1, "neutral": 0, "mixed": 0, "oppose": -1}


class ConsumerLag:
    """``stancewatch_consumer_lag_records{group,topic,partition}``: records behind the end offset.

    Call ``update(consumer.group_id, consumer.lag())`` after each poll/commit cycle
    (``core.kafka.Consumer.lag`` computes it from the consumer's positions and the end offsets).
    Partitions revoked since the last update are removed, so a rebalance leaves no stale series behind.
    """

    def __init__(self, registry: CollectorRegistry) -> None:
        self._gauge = Gauge(
            f"{PREFIX}consumer_lag_records",
            "Records between the consumer group's position and the end of the partition",
            ["group", "topic", "partition"],
            registry=registry,
        )
        self._seen: dict[str, set[tuple[str, str]]] = {}

    def update(self, group: str, lag: Mapping[tuple[str, int], int]) -> None:
        current = {(topic, str(partition)) for topic, partition in lag}
        for topic, partition in self._seen.get(group, set()) - current:
            self._gauge.remove(group, topic, partition)
        for (name, number), behind in lag.items():
            self._gauge.labels(group, name, str(number)).set(behind)
        self._seen[group] = current


class StanceBoard:
    """The stance board's gauges, per (country, topic), valued by ``STANCE_VALUE``.

    ``stancewatch_stance_baseline{country,topic}``: the reviewed baseline's position (set at start for
    every baseline entry); ``stancewatch_stance_current{country,topic}``: the position the alert stage
    currently holds (after corroboration). Grafana draws both over time, one against the other.
    """

    def __init__(self, registry: CollectorRegistry) -> None:
        labels = ["country", "topic"]
        self._baseline = Gauge(
            f"{PREFIX}stance_baseline",
            "Baseline stance per country and topic (+1 support, 0 neutral or mixed, -1 oppose)",
            labels,
            registry=registry,
        )
        self._current = Gauge(
            f"{PREFIX}stance_current",
            "Current stance per country and topic (+1 support, 0 neutral, -1 oppose)",
            labels,
            registry=registry,
        )

    def set_baseline(self, country: str, topic: str, stance: str) -> None:
        self._baseline.labels(country, topic).set(STANCE_VALUE[stance])

    def set_current(self, country: str, topic: str, stance: str) -> None:
        self._current.labels(country, topic).set(STANCE_VALUE[stance])


class BrokerHealth:
    """``stancewatch_broker_up{stage}`` (1 while the stage reaches the broker, 0 during an outage) and
    ``stancewatch_broker_outages_total{stage}`` (outages the stage noticed and rode out)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.up = Gauge(
            f"{PREFIX}broker_up", "1 while the stage reaches the Kafka broker, 0 while it waits for it",
            ["stage"], registry=registry,
        )  # fmt: skip
        self.outages = Counter(
            f"{PREFIX}broker_outages_total", "Broker outages the stage noticed (it waits and resumes)",
            ["stage"], registry=registry,
        )  # fmt: skip


def model_info(registry: CollectorRegistry, **labels: str) -> Info:
    """``stancewatch_model_info{...} 1``: which model the classifier serves (e.g. version, base, path kind).

    Label values must be short identifiers (a version, a base model name), never file paths.
    """
    info = Info(f"{PREFIX}model", "The stance model served by the classifier", registry=registry)
    info.info(dict(labels))
    return info
