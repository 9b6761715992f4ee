"""Kafka wiring: the only module that imports kafka-python.

Stages talk to Kafka through three small objects:

- ``Publisher``: idempotent producer (acks=all). ``publish_all`` sends and waits for every
  acknowledgement, raising ``PublishError`` if any message was not acknowledged; callers write their own
  state (seen ids, offsets) only after it returns. ``publish_each`` returns each message's own
  ``Delivery`` instead (acknowledged, refused as too large, or not acknowledged).
- ``Consumer``: a consumer group member with auto-commit off. ``poll_batch`` returns ``Record`` values;
  ``commit`` commits the offsets after a batch's side effects were acknowledged (at-least-once).
- ``DeadLetters``: routes a record that cannot be decoded or processed to the stage's dead-letter topic,
  with the error, origin topic, partition and offset in headers.
- ``PartitionReader``: reads one partition from an offset up to its end, outside any group (a stage
  restores its state from a changelog topic with it when a ``Consumer`` reports newly assigned partitions).
"""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from kafka import ConsumerRebalanceListener, KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import (
    KafkaError,
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    TopicAlreadyExistsError,
)
from kafka.structs import OffsetAndMetadata

from core.messages import Message
from core.settings import Settings

log = logging.getLogger(__name__)

CONSUMING_STAGES = ("processors", "alerts")


class PublishError(RuntimeError):
    """At least one message was not acknowledged by the broker; nothing may be marked as sent."""


class BrokerUnavailable(RuntimeError):
    """The broker could not be reached (refused, timed out, no broker to bootstrap from): an outage to
    wait out (``core.outage``), not a bug. The message is one line."""


def _unavailable(what: str, exc: Exception) -> BrokerUnavailable:
    first = (str(exc).strip().splitlines() or [""])[0]
    return BrokerUnavailable(f"{what}: {type(exc).__name__}: {first}".rstrip(": "))


# Raised by the client (record over max_request_size) or answered by the broker (over message.max.bytes):
# the record can never be accepted as it is, so retrying it is pointless.
_TOO_LARGE = (MessageSizeTooLargeError, RecordListTooLargeError)


@dataclass(frozen=True)
class Delivery:
    """One message's fate in ``Publisher.publish_each``.

    ``ok``: acknowledged. ``too_large``: refused for its size (it will never be accepted; route it to a
    dead-letter record). Otherwise not acknowledged (broker down, timeout): send it again later.
    """

    ok: bool
    too_large: bool = False
    error: str = ""


ACKED = Delivery(ok=True)


@dataclass(frozen=True)
class Topics:
    """Topic names, all carrying the configured prefix."""

    prefix: str = ""

    @property
    def articles(self) -> str:
        return f"{self.prefix}articles"

    @property
    def stances(self) -> str:
        return f"{self.prefix}stances"

    @property
    def alerts(self) -> str:
        return f"{self.prefix}alerts"

    @property
    def deliveries(self) -> str:
        """Delivery receipts of the alert stage (``DeliveryReceipt``, keyed by alert id)."""
        return f"{self.prefix}deliveries"

    @property
    def ingest_health(self) -> str:
        """The ingest stage's closed poll rounds (``IngestRound``, keyed by instance)."""
        return f"{self.prefix}ingest-health"

    @property
    def alert_changelog(self) -> str:
        """The alert stage's pair-state changelog: compacted, keyed and partitioned like ``stances``."""
        return f"{self.prefix}alerts.changelog"

    def dlq(self, stage: str) -> str:
        """Dead-letter topic of a consuming stage."""
        return f"{self.prefix}{stage}.dlq"

    def all(self) -> tuple[str, ...]:
        return (
            self.articles,
            self.stances,
            self.alerts,
            *(self.dlq(s) for s in CONSUMING_STAGES),
            self.alert_changelog,
            self.deliveries,
            self.ingest_health,
        )


def bootstrap_of(settings: Settings) -> str:
    """The bootstrap address: the configured cluster, or the project's local broker."""
    return settings.kafka_bootstrap or f"{settings.broker_host}:{settings.broker_port}"


def cluster_answers(bootstrap: str, timeout_ms: int = 5_000, quiet: bool = False) -> str | None:
    """One metadata round trip to ``bootstrap``; None when the cluster answered, else the error text.

    Used by ``core.broker`` to tell a started broker from one that is still booting or gone, and by
    ``core.outage`` to probe during an outage (``quiet``: kafka-python's own connection errors unlogged).
    """
    if quiet:
        kafka_log = logging.getLogger("kafka")
        level = kafka_log.level
        kafka_log.setLevel(logging.CRITICAL)
        try:
            return cluster_answers(bootstrap, timeout_ms)
        finally:
            kafka_log.setLevel(level)
    try:
        admin = KafkaAdminClient(
            bootstrap_servers=bootstrap,
            client_id="stancewatch-probe",
            request_timeout_ms=timeout_ms,
            bootstrap_timeout_ms=timeout_ms,
        )
    except KafkaError as exc:
        return f"{type(exc).__name__}: {exc}"
    try:
        admin.list_topics()
        return None
    except KafkaError as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        admin.close()


def _admin(settings: Settings, bootstrap: str | None) -> KafkaAdminClient:
    return KafkaAdminClient(
        bootstrap_servers=bootstrap or bootstrap_of(settings),
        client_id=f"{settings.kafka_client_id}-admin",
        request_timeout_ms=settings.kafka_request_timeout_ms,
        bootstrap_timeout_ms=settings.kafka_request_timeout_ms,
    )


def ensure_topics(settings: Settings, bootstrap: str | None = None) -> list[str]:
    """Create the project's topics that do not exist yet; return the names created.

    The alert changelog is compacted and gets as many partitions as ``stances`` has (read from the
    broker when ``stances`` already exists): changelog partition p holds the state of the pairs that
    arrive on ``stances`` partition p. Raises BrokerUnavailable when the broker cannot be reached.
    """
    topics = Topics(settings.topic_prefix)
    try:
        admin = _admin(settings, bootstrap)
    except KafkaError as exc:
        raise _unavailable("cannot reach Kafka to create topics", exc) from exc
    try:
        existing = set(admin.list_topics())
        plain = [n for n in topics.all() if n not in existing and n != topics.alert_changelog]
        wanted = [NewTopic(n, settings.topic_partitions, settings.topic_replication) for n in plain]
        # another instance may create them between list and create
        with contextlib.suppress(TopicAlreadyExistsError):
            if wanted:
                admin.create_topics(wanted, validate_only=False)
        if topics.alert_changelog not in existing:
            count = settings.topic_partitions  # stances was created just now with this count
            if topics.stances in existing:
                described = admin.describe_topics([topics.stances])
                count = len(described[0]["partitions"]) or count
            changelog = NewTopic(
                topics.alert_changelog,
                count,
                settings.topic_replication,
                topic_configs={"cleanup.policy": "compact"},
            )
            try:
                admin.create_topics([changelog], validate_only=False)
                wanted.append(changelog)
            except TopicAlreadyExistsError:  # made meanwhile, or not yet in the listed metadata
                pass
        if not wanted:
            return []
        log.info("created topics %s", ", ".join(t.name for t in wanted))
        return [t.name for t in wanted]
    except KafkaError as exc:
        raise _unavailable("cannot create topics", exc) from exc
    finally:
        admin.close()


def drop_topics_with_prefixes(
    settings: Settings, prefixes: Iterable[str], bootstrap: str | None = None
) -> list[str]:
    """Delete every topic whose name starts with one of ``prefixes`` (each non-empty); return their names.

    For throw-away runs (tests, replays, demos) that used a private topic prefix.
    """
    wanted = tuple(p for p in prefixes if p)
    if not wanted:
        return []
    admin = _admin(settings, bootstrap)
    try:
        doomed = sorted(name for name in admin.list_topics() if name.startswith(wanted))
        for i in range(0, len(doomed), 100):  # bounded requests: a long test session makes hundreds
            admin.delete_topics(doomed[i : i + 100], timeout_ms=settings.kafka_request_timeout_ms)
        return doomed
    finally:
        admin.close()


class Publisher:
    """Idempotent producer; ``publish_all`` returns only when every message is acknowledged.

    Construction raises ``PublishError`` when no broker answers within the request timeout.
    """

    def __init__(self, settings: Settings, bootstrap: str | None = None, **overrides: Any) -> None:
        config: dict[str, Any] = {
            "bootstrap_servers": bootstrap or bootstrap_of(settings),
            "client_id": f"{settings.kafka_client_id}-producer",
            "acks": "all",
            "enable_idempotence": True,
            "linger_ms": 5,
            "retries": 5,
            "request_timeout_ms": settings.kafka_request_timeout_ms,
            "max_block_ms": settings.kafka_request_timeout_ms,
            "bootstrap_timeout_ms": settings.kafka_request_timeout_ms,
            "reconnect_backoff_max_ms": settings.kafka_reconnect_backoff_max_ms,
        }
        config.update(overrides)
        try:
            self._producer = KafkaProducer(**config)
        except KafkaError as exc:  # kafka-python bootstraps eagerly: an unreachable broker fails here
            raise PublishError(f"cannot reach Kafka at {config['bootstrap_servers']}: {exc}") from exc

    def publish_all(
        self,
        topic: str,
        messages: Sequence[Message],
        headers: Sequence[tuple[str, bytes]] | None = None,
        timeout: float = 60.0,
    ) -> None:
        """Send every message keyed by ``message.key()`` and wait for all acknowledgements."""
        self.send_raw(topic, [(m.key().encode(), m.encode()) for m in messages], headers, timeout)

    def send_raw(
        self,
        topic: str,
        items: Iterable[tuple[bytes | None, bytes | None]],
        headers: Sequence[tuple[str, bytes]] | None = None,
        timeout: float = 60.0,
    ) -> None:
        """Send (key, value) pairs and wait for all acknowledgements, raising PublishError otherwise."""
        try:
            futures = [
                self._producer.send(topic, key=k, value=v, headers=list(headers or [])) for k, v in items
            ]
            self._producer.flush(timeout=timeout)
            for future in futures:
                future.get(timeout=timeout)
        except KafkaError as exc:
            raise PublishError(f"publish to {topic} not acknowledged: {exc}") from exc

    def send_to_partition(
        self,
        topic: str,
        partition: int,
        items: Sequence[tuple[bytes, bytes]],
        timeout: float = 60.0,
    ) -> int:
        """Send (key, value) pairs to one partition and wait for every acknowledgement; return the
        highest offset written (-1 for no items). Raises PublishError when any was not acknowledged."""
        try:
            futures = [self._producer.send(topic, key=k, value=v, partition=partition) for k, v in items]
            self._producer.flush(timeout=timeout)
            return max((f.get(timeout=timeout).offset for f in futures), default=-1)
        except KafkaError as exc:
            raise PublishError(f"publish to {topic}[{partition}] not acknowledged: {exc}") from exc

    def publish_each(self, topic: str, messages: Sequence[Message], timeout: float = 60.0) -> list[Delivery]:
        """Send every message keyed by ``message.key()``; return each one's ``Delivery``, in order.

        Never raises for one message: a record refused for its size does not stop the others, and one
        not acknowledged within ``timeout`` is reported as such (its siblings may still be acknowledged).
        """
        pending: list[Any] = []
        down: Delivery | None = None
        for m in messages:
            if down is not None:  # send() just waited max_block_ms for the broker: do not wait per message
                pending.append(down)
                continue
            try:
                pending.append(self._producer.send(topic, key=m.key().encode(), value=m.encode()))
            except KafkaError as exc:
                failed = _failed(exc)
                pending.append(failed)
                down = None if failed.too_large else failed
        with contextlib.suppress(KafkaError):  # each unfinished future answers for itself below
            self._producer.flush(timeout=timeout)
        out: list[Delivery] = []
        for p in pending:
            if isinstance(p, Delivery):
                out.append(p)
                continue
            try:
                p.get(timeout=0.001)  # flush waited already; an unfinished future is not acknowledged
                out.append(ACKED)
            except KafkaError as exc:
                out.append(_failed(exc))
        return out

    def close(self, timeout: float = 10.0) -> None:
        """Close the producer and its I/O thread, also when the broker is gone.

        kafka-python's ``close`` flushes first and raises when records are still unsent, leaving its I/O
        thread running. Those records were already reported (``publish_all`` raised ``PublishError``), so
        they are dropped: the thread is force-closed, which fails them, and the close is retried.
        """
        try:
            self._producer.close(timeout=timeout)
        except KafkaTimeoutError:
            sender = getattr(self._producer, "_sender", None)  # no public API aborts unsent records
            if sender is not None:
                sender.force_close()
            try:
                self._producer.close(timeout=timeout)
            except KafkaError as exc:
                log.warning("producer close after dropping unsent records: %s", exc)
        except KafkaError as exc:  # closing is best effort; unsent data was already reported
            log.warning("producer close: %s", exc)


def _failed(exc: KafkaError) -> Delivery:
    if isinstance(exc, _TOO_LARGE):
        return Delivery(ok=False, too_large=True, error=f"refused: too large ({type(exc).__name__})")
    return Delivery(ok=False, error=f"not acknowledged: {type(exc).__name__}: {exc}")


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
            raise _unavailable(f"cannot reach Kafka at {config['bootstrap_servers']}", exc) from exc
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
            raise _unavailable("poll failed", exc) from exc
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
            raise _unavailable("committed offset unavailable", exc) from exc

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
            raise _unavailable(f"cannot reach Kafka at {address}", exc) from exc

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
            raise _unavailable(f"cannot read {topic}[{partition}]", exc) from exc

    def close(self) -> None:
        self._consumer.close(autocommit=False)


class DeadLetters:
    """Routes records that cannot be handled to the stage's dead-letter topic."""

    def __init__(self, publisher: Publisher, topics: Topics, stage: str) -> None:
        self._publisher = publisher
        self.topic = topics.dlq(stage)
        self._stage = stage

    def send(self, record: Record, error: str) -> None:
        """Publish the record unchanged with the error in headers; raises PublishError if not acked."""
        headers = [
            *record.headers,
            ("x-error", error.encode("utf-8", "replace")[:1000]),
            ("x-stage", self._stage.encode()),
            ("x-origin-topic", record.topic.encode()),
            ("x-origin-partition", str(record.partition).encode()),
            ("x-origin-offset", str(record.offset).encode()),
        ]
        log.warning(
            "dead-lettered %s[%d]@%d to %s: %s",
            record.topic,
            record.partition,
            record.offset,
            self.topic,
            error,
        )
        self._publisher.send_raw(self.topic, [(record.key, record.value)], headers)
