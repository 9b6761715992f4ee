"""Kafka wiring: the only package that imports kafka-python (admin, producer and consumer modules).

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

from core.kafka.admin import (
    CONSUMING_STAGES,
    BrokerUnavailable,
    Topics,
    bootstrap_of,
    cluster_answers,
    drop_topics_with_prefixes,
    ensure_topics,
)
from core.kafka.consumer import Consumer, PartitionReader, Partitions, Record, instance_id_for
from core.kafka.producer import ACKED, DeadLetters, Delivery, Publisher, PublishError

__all__ = [
    "ACKED",
    "CONSUMING_STAGES",
    "BrokerUnavailable",
    "Consumer",
    "DeadLetters",
    "Delivery",
    "PartitionReader",
    "Partitions",
    "PublishError",
    "Publisher",
    "Record",
    "Topics",
    "bootstrap_of",
    "cluster_answers",
    "drop_topics_with_prefixes",
    "ensure_topics",
    "instance_id_for",
]
