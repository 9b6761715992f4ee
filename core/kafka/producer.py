"""Publishing: the idempotent ``Publisher`` (acks=all) and ``DeadLetters``, which routes a record that
cannot be handled to its stage's dead-letter topic.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from kafka import KafkaProducer
from kafka.errors import (
    KafkaError,
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
)

from core.kafka.admin import Topics, bootstrap_of
from core.kafka.consumer import Record
from core.messages import Message
from core.settings import Settings

log = logging.getLogger(__name__)


class PublishError(RuntimeError):
    """At least one message was not acknowledged by the broker; nothing may be marked as sent."""


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
