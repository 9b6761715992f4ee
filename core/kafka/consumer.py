"""Consuming: the consumer-group member ``Consumer`` (manual commits, rebalance hooks) and the
``PartitionReader`` that restores state from a changelog partition outside any group.
"""

from __future__ import annotations

import logging
import re
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from kafka import ConsumerRebalanceListener, KafkaConsumer, TopicPartition
from kafka.errors import (
    KafkaError,
)
from kafka.structs import OffsetAndMetadata

from core.kafka.admin import BrokerUnavailable, bootstrap_of, unavailable
from core.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Record:
    """A consumed record, detached from kafka-python's types."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]
    timestamp_ms: int


def instance_id_for(
    setting: str, group: str, prefix: str, port: int = 0, host: str | None = None
) -> str | None:
    """The ``group.instance.id`` a setting asks for: None when empty (dynamic membership), the setting
    itself, or for "auto" one derived from the group, the topic prefix, the host name and the metrics
    port (stable across restarts; instances side by side on one host differ by their metrics port).
    Kafka allows letters, digits, ``._-`` and 249 characters."""
    if not setting:
        return None
    auto = f"{group}-{prefix}{host or socket.gethostname()}-{port}"
    raw = auto if setting == "auto" else setting
    return re.sub(r"[^A-Za-z0-9._-]", "_", raw)[:249]


def _record(r: Any) -> Record:
    return Record(
        topic=r.topic,
        partition=r.partition,
        offset=r.offset,
        key=r.key,
        value=r.value,
        headers=tuple((h[0], h[1]) for h in (r.headers or [])),
        timestamp_ms=r.timestamp,
    )


Partitions = Callable[[Sequence[tuple[str, int]]], None]


class _Listener(ConsumerRebalanceListener):
    """Hands kafka-python's rebalance callbacks on as (topic, partition) pairs."""

    def __init__(self, on_assigned: Partitions | None, on_revoked: Partitions | None) -> None:
        self._assigned, self._revoked = on_assigned, on_revoked

    def on_partitions_assigned(self, assigned: Any) -> None:
        if self._assigned is not None:
            self._assigned(sorted((tp.topic, tp.partition) for tp in assigned))

    def on_partitions_revoked(self, revoked: Any) -> None:
        if self._revoked is not None:
            self._revoked(sorted((tp.topic, tp.partition) for tp in revoked))


class Consumer:
    """A consumer-group member with manual commits (commit after the side effect: at-least-once).

    ``on_assigned`` / ``on_revoked`` are called from inside ``poll_batch`` when a rebalance gives or
    takes partitions, before any record of a newly assigned partition is returned. kafka-python logs
    and swallows an exception raised there, so a hook should only note the partitions and let the
    caller do I/O (a state restore) before it handles their records.
    """

    def __init__(
        self,
        settings: Settings,
        group_id: str,
        topics: Sequence[str],
        bootstrap: str | None = None,
        instance_id: str | None = None,
        on_assigned: Partitions | None = None,
        on_revoked: Partitions | None = None,
        **overrides: Any,
    ) -> None:
        """``instance_id``: static membership (``group.instance.id``; see ``instance_id_for``)."""
        config: dict[str, Any] = {
            "bootstrap_servers": bootstrap or bootstrap_of(settings),
            "client_id": f"{settings.kafka_client_id}-{group_id}",
            "group_id": group_id,
            "enable_auto_commit": False,
            "auto_offset_reset": "earliest",
            "max_poll_records": 500,
            "request_timeout_ms": max(settings.kafka_request_timeout_ms, 31_000),
            "bootstrap_timeout_ms": settings.kafka_request_timeout_ms,
            "reconnect_backoff_max_ms": settings.kafka_reconnect_backoff_max_ms,
            "session_timeout_ms": settings.kafka_session_timeout_ms,
            "heartbeat_interval_ms": max(1_000, settings.kafka_session_timeout_ms // 4),
        }
        if instance_id:
            config["group_instance_id"] = instance_id
        config.update(overrides)
        self.group_id = group_id
        self.instance_id = instance_id
        self._request_timeout_ms = int(config["request_timeout_ms"])
        try:  # kafka-python bootstraps eagerly: with the broker away this fails ("Unable to bootstrap")
            self._consumer = KafkaConsumer(**config)
        except KafkaError as exc:
            raise unavailable(f"cannot reach Kafka at {config['bootstrap_servers']}", exc) from exc
        self._await_partitions(topics, settings.kafka_request_timeout_ms / 1000)
        self._consumer.subscribe(list(topics), listener=_Listener(on_assigned, on_revoked))

    def _await_partitions(self, topics: Sequence[str], timeout: float) -> None:
        """Wait until the cluster's metadata lists partitions for every topic before subscribing.

        A topic created a moment ago has none yet; a group that joins then gets an empty assignment and
        kafka-python warns "No partition metadata for topic ...". A topic still without partitions after
        ``timeout`` seconds is reported once and subscribed anyway (a later rebalance assigns it).
        """
        deadline = time.monotonic() + timeout
        missing = list(topics)
        while True:
            try:
                missing = [t for t in missing if not self._consumer.partitions_for_topic(t)]
            except KafkaError as exc:  # the metadata request itself failed: subscribing will retry
                log.warning("no topic metadata from the broker yet (%s); subscribing anyway", exc)
                return
            if not missing or time.monotonic() >= deadline:
                break
            time.sleep(0.1)
        if missing:
            log.warning("topic(s) %s have no partitions after %.0fs; subscribing anyway",
                        ", ".join(missing), timeout)  # fmt: skip

    def poll_batch(self, max_records: int, timeout_ms: int) -> list[Record]:
        """Return up to ``max_records`` records, waiting at most ``timeout_ms`` for the first.

        Raises BrokerUnavailable when the broker is away and kafka-python says so (it may also just
        return nothing).
        """
        try:
            polled = self._consumer.poll(timeout_ms=timeout_ms, max_records=max_records)
        except KafkaError as exc:
            raise unavailable("poll failed", exc) from exc
        records = [_record(r) for batch in polled.values() for r in batch]
        records.sort(key=lambda r: (r.topic, r.partition, r.offset))
        return records

    def commit(self, records: Sequence[Record]) -> None:
        """Commit past the highest offset of each partition in ``records``."""
        highest: dict[TopicPartition, int] = {}
        for r in records:
            tp = TopicPartition(r.topic, r.partition)
            highest[tp] = max(highest.get(tp, -1), r.offset)
        if highest:
            self._consumer.commit({tp: OffsetAndMetadata(o + 1, "", -1) for tp, o in highest.items()})

    def rewind(self, records: Sequence[Record]) -> None:
        """Move back so that ``records`` (polled, not handled) are polled again: each partition's
        position goes to its lowest offset among them."""
        lowest: dict[TopicPartition, int] = {}
        for r in records:
            tp = TopicPartition(r.topic, r.partition)
            lowest[tp] = min(lowest.get(tp, r.offset), r.offset)
        for tp, offset in lowest.items():
            try:
                self._consumer.seek(tp, offset)
            except (KafkaError, ValueError) as exc:  # the partition was revoked meanwhile
                log.info("rewind of %s[%d] skipped (%s); its new owner reads it", tp.topic, tp.partition, exc)

    def committed(self, topic: str, partition: int) -> int | None:
        """The group's committed offset of one partition (the next record to read), None when none.

        Raises BrokerUnavailable when the broker does not answer."""
        try:
            return self._consumer.committed(
                TopicPartition(topic, partition), timeout_ms=self._request_timeout_ms
            )
        except KafkaError as exc:
            raise unavailable("committed offset unavailable", exc) from exc

    def lag(self) -> dict[tuple[str, int], int]:
        """Records behind the end offset, per assigned (topic, partition)."""
        assigned = list(self._consumer.assignment())
        if not assigned:
            return {}
        wait = min(self._request_timeout_ms, 5_000)  # diagnostics: never hold the stage for long
        ends = self._consumer.end_offsets(assigned, timeout_ms=wait)
        return {
            (tp.topic, tp.partition): max(0, ends[tp] - self._consumer.position(tp, timeout_ms=wait))
            for tp in assigned
        }

    def close(self) -> None:
        self._consumer.close(autocommit=False)


class PartitionReader:
    """Reads one partition from an offset to its end, outside any consumer group (no commits).

    Used to restore a stage's state from its changelog topic. Construction and ``read`` raise
    BrokerUnavailable when the broker does not answer.
    """

    def __init__(self, settings: Settings, bootstrap: str | None = None) -> None:
        address = bootstrap or bootstrap_of(settings)
        self._timeout_ms = max(settings.kafka_request_timeout_ms, 31_000)
        try:
            self._consumer = KafkaConsumer(
                bootstrap_servers=address,
                client_id=f"{settings.kafka_client_id}-restore",
                group_id=None,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                request_timeout_ms=self._timeout_ms,
                bootstrap_timeout_ms=settings.kafka_request_timeout_ms,
                reconnect_backoff_max_ms=settings.kafka_reconnect_backoff_max_ms,
            )
        except KafkaError as exc:
            raise unavailable(f"cannot reach Kafka at {address}", exc) from exc

    def read(
        self, topic: str, partition: int, start: int | None, timeout_s: float = 120.0
    ) -> tuple[list[Record], int]:
        """Every record of ``topic[partition]`` from ``start`` (None: the beginning) to the end offset
        taken when called; returns (records in offset order, that end offset). A ``start`` outside the
        partition's range (the topic was recreated) reads it from the beginning."""
        tp = TopicPartition(topic, partition)
        try:
            self._consumer.assign([tp])
            first = self._consumer.beginning_offsets([tp], timeout_ms=self._timeout_ms)[tp]
            end = self._consumer.end_offsets([tp], timeout_ms=self._timeout_ms)[tp]
            if start is None or not first <= start <= end:
                start = first
            self._consumer.seek(tp, start)
            records: list[Record] = []
            deadline = time.monotonic() + timeout_s
            while start < end and self._consumer.position(tp, timeout_ms=self._timeout_ms) < end:
                if time.monotonic() > deadline:
                    raise BrokerUnavailable(f"reading {topic}[{partition}] to offset {end} timed out")
                polled = self._consumer.poll(timeout_ms=500, max_records=2000)
                records.extend(_record(r) for batch in polled.values() for r in batch if r.offset < end)
            return records, end
        except KafkaError as exc:
            raise unavailable(f"cannot read {topic}[{partition}]", exc) from exc

    def close(self) -> None:
        self._consumer.close(autocommit=False)
