"""Wiring of the Kafka stage: broker address, topics, consumer, publisher, dead letters, metrics server.

``run_stream`` returns the process exit code: 0 after a clean stop (SIGTERM/SIGINT), 1 when the broker
cannot be reached at start or stops acknowledging (nothing is committed then; a restart resumes from
the last committed offset).
"""

from __future__ import annotations

import logging
import threading

from prometheus_client import CollectorRegistry

from core.kafka import Consumer, DeadLetters, Publisher, PublishError, Topics, bootstrap_of, ensure_topics
from core.metrics import new_registry, serve
from core.settings import Settings
from processors.metrics import ProcessorMetrics
from processors.pipeline import Classifier
from processors.stream import StanceStream

log = logging.getLogger(__name__)


def broker_address(settings: Settings) -> str:
    """The bootstrap address (starting the local broker when none is configured), topics created."""
    bootstrap = bootstrap_of(settings)
    if settings.uses_local_broker:
        from core.broker import LocalBroker

        bootstrap = LocalBroker(settings).ensure_running()
    ensure_topics(settings, bootstrap)
    return bootstrap


def build_stream(
    settings: Settings, classifier: Classifier, bootstrap: str, registry: CollectorRegistry
) -> tuple[StanceStream, Consumer, Publisher]:
    topics = Topics(settings.topic_prefix)
    publisher = Publisher(settings, bootstrap)
    consumer = Consumer(settings, settings.classify_group, [topics.articles], bootstrap)
    metrics = ProcessorMetrics(registry, classifier.version, settings.classify_group)
    stream = StanceStream(
        classifier=classifier,
        consumer=consumer,
        publisher=publisher,
        dead_letters=DeadLetters(publisher, topics, "processors"),
        stances_topic=topics.stances,
        metrics=metrics,
        batch_articles=settings.classify_batch_articles,
        batch_ms=settings.classify_batch_ms,
    )
    return stream, consumer, publisher


def run_stream(
    settings: Settings,
    classifier: Classifier,
    stop: threading.Event,
    registry: CollectorRegistry | None = None,
) -> int:
    try:
        bootstrap = broker_address(settings)
    except Exception as exc:  # kafka-python / broker start errors all mean "no broker"
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        log.error("broker at %s unreachable: %s", bootstrap_of(settings), first)
        return 1
    registry = registry or new_registry()
    stream, consumer, publisher = build_stream(settings, classifier, bootstrap, registry)
    served = serve(registry, settings.metrics_host, settings.metrics_port)
    log.info(
        "classify-stream: group %s on %s, model %s", settings.classify_group, bootstrap, classifier.version
    )
    code = 0
    try:
        stream.run(stop)
    except PublishError as exc:
        log.error("stopping: %s (offsets of the batch were not committed)", exc)
        code = 1
    finally:
        consumer.close()
        publisher.close()
        if served is not None:
            served[0].shutdown()
    return code
