"""classify-stream rides out a broker outage (the project's own broker, stopped and started again): the
stage neither exits nor loses anything, shows the outage in ``stancewatch_broker_up``, and resumes by
itself; a stop requested during the outage ends it cleanly (exit code 0)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from core.broker import LocalBroker
from core.kafka import Publisher, Topics, ensure_topics
from core.messages import StanceObservation, decode
from core.metrics import new_registry
from core.settings import Settings
from processors.lexicon import load_lexicon
from processors.pipeline import Classifier
from processors.runtime import run_stream
from tests.processors.fakes import FakeModel
from tests.processors.test_stream_integration import article, drain

pytestmark = pytest.mark.integration


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.3)


def test_classify_stream_waits_through_an_outage_and_resumes(
    own_broker: tuple[Settings, LocalBroker],
) -> None:
    base, broker = own_broker
    settings = base.model_copy(
        update={"classify_batch_ms": 200, "broker_probe_s": 1.0, "kafka_request_timeout_ms": 3000}
    )
    bootstrap = settings.kafka_bootstrap
    topics = Topics(settings.topic_prefix)
    ensure_topics(settings, bootstrap)

    def publish(n: int, text: str) -> None:
        producer = Publisher(settings, bootstrap)
        try:
            producer.publish_all(topics.articles, [article(n, text)])
        finally:
            producer.close()

    registry = new_registry()

    def up() -> float | None:
        return registry.get_sample_value("stancewatch_broker_up", {"stage": "processors"})

    stop = threading.Event()
    codes: list[int] = []
    classifier = Classifier(FakeModel(), load_lexicon())
    worker = threading.Thread(target=lambda: codes.append(run_stream(settings, classifier, stop, registry)))
    worker.start()
    try:
        publish(1, "Tokyo supports the THAAD deployment.")
        assert len(drain(settings, bootstrap, topics.stances, want=1)) == 1
        broker.stop()
        wait_until(lambda: up() == 0.0, 60, "the outage to show")
        time.sleep(3)
        assert worker.is_alive() and codes == [], "the stage exited during the outage"
        broker.start()
        wait_until(lambda: up() == 1.0, 90, "the stage to see the broker again")
        publish(2, "Beijing strongly opposes new sanctions.")
        stances = drain(settings, bootstrap, topics.stances, want=2, timeout=90)
        assert registry.get_sample_value("stancewatch_broker_outages_total", {"stage": "processors"}) == 1.0
        broker.stop()  # and a stop during an outage is prompt and clean
        wait_until(lambda: up() == 0.0, 60, "the second outage to show")
    finally:
        stop.set()
        worker.join(60)
    assert codes == [0]
    assert sorted(decode(StanceObservation, r.value).article_id for r in stances) == ["a1", "a2"]
