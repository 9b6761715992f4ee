"""Builds and runs the processors stage from settings (``stancewatch classify-stream``; ``replay`` builds
it too): consumer, publisher, dead letters, metrics server, start-up through ``core.connect``.

``run_stream`` returns the process exit code: 0 after a clean stop (SIGTERM/SIGINT); it raises
``StartError`` (one line) when the local broker cannot be started or the metrics port is taken. A
broker that is away (at start or later) is waited for, with backoff, for as long as it takes
(``core.outage``); a restart resumes from the last committed offset.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TypeVar

from prometheus_client import CollectorRegistry

from core.connect import connect, serve_metrics
from core.kafka import (
    Consumer,
    DeadLetters,
    Publisher,
    PublishError,
    Topics,
    bootstrap_of,
    instance_id_for,
)
from core.metrics import new_registry
from core.outage import BrokerWatch, StopRequested, broker_watch
from core.settings import Settings
from processors.metrics import ProcessorMetrics
from processors.pipeline import Classifier
from processors.service import StanceStream

log = logging.getLogger(__name__)

T = TypeVar("T")


def build_stream(
    settings: Settings,
    classifier: Classifier,
    bootstrap: str,
    registry: CollectorRegistry,
    watch: BrokerWatch | None = None,
    stop: threading.Event | None = None,
) -> tuple[StanceStream, Consumer, Publisher]:
    """The wired stream. With ``watch``, connecting waits out a broker outage (StopRequested when
    ``stop`` is set meanwhile) and the stream rides out later ones."""
    stop = stop or threading.Event()

    def connect(fn: Callable[[], T]) -> T:
        return fn() if watch is None else watch.call(stop, fn)

    topics = Topics(settings.topic_prefix)
    publisher = connect(lambda: Publisher(settings, bootstrap))
    try:
        instance = instance_id_for(
            settings.classify_instance_id,
            settings.classify_group,
            settings.topic_prefix,
            settings.metrics_port,
        )
        consumer = connect(
            lambda: Consumer(settings, settings.classify_group, [topics.articles], bootstrap, instance)
        )
    except BaseException:
        publisher.close()
        raise
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
        watch=watch,
        max_chars=settings.classify_max_chars,
        batch_max_s=settings.classify_batch_max_s,
    )
    return stream, consumer, publisher


def run_stream(
    settings: Settings,
    classifier: Classifier,
    stop: threading.Event,
    registry: CollectorRegistry | None = None,
) -> int:
    """Run the stage until ``stop``; return the exit code. Raises StartError (one line) when the
    metrics port is taken or the local broker cannot be started."""
    registry = registry or new_registry()
    # Metrics first: while the broker is away, stancewatch_broker_up{stage="processors"} shows it.
    served = serve_metrics(settings, registry)
    watch = broker_watch("processors", bootstrap_of(settings), registry, settings)
    try:
        bootstrap = connect(settings, watch, stop)
        stream, consumer, publisher = build_stream(settings, classifier, bootstrap, registry, watch, stop)
    except StopRequested:
        if served is not None:
            served[0].shutdown()
        return 0
    except BaseException:  # a local broker that cannot be started: the command says it in one line
        if served is not None:
            served[0].shutdown()
        raise
    log.info(
        "classify-stream: group %s (member %s) on %s, model %s",
        settings.classify_group, consumer.instance_id or "dynamic", bootstrap, classifier.version,
    )  # fmt: skip
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
