"""Kafka topics and reachability: topic names, creating and dropping topics, probing a cluster.

Raises ``BrokerUnavailable`` (an outage to wait out) when the broker does not answer.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import (
    KafkaError,
    TopicAlreadyExistsError,
)

from core.settings import Settings

log = logging.getLogger(__name__)

CONSUMING_STAGES = ("processors", "alerts")


class BrokerUnavailable(RuntimeError):
    """The broker could not be reached (refused, timed out, no broker to bootstrap from): an outage to
    wait out (``core.outage``), not a bug. The message is one line."""


def unavailable(what: str, exc: Exception) -> BrokerUnavailable:
    first = (str(exc).strip().splitlines() or [""])[0]
    return BrokerUnavailable(f"{what}: {type(exc).__name__}: {first}".rstrip(": "))


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
        raise unavailable("cannot reach Kafka to create topics", exc) from exc
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
        raise unavailable("cannot create topics", exc) from exc
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
