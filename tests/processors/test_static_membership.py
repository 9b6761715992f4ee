"""A classify-stream killed with ``kill -9`` and started again takes its partitions back at once (static
group membership), instead of waiting out the killed member's session. The session timeout is set to
45 s here (kafka-python's default) so that waiting it out cannot pass for resuming; ``make
bench-restart`` measures the figure with the real model."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from core.kafka import Consumer, Publisher, Topics, ensure_topics, instance_id_for
from core.messages import StanceObservation, decode
from core.settings import REPO_ROOT, Settings
from tests.processors.test_stream_integration import article

pytestmark = pytest.mark.integration

CHILD = """
import signal, sys, threading
from core.settings import load_settings
from processors.lexicon import load_lexicon
from processors.pipeline import Classifier
from processors.runtime import run_stream
from tests.processors.fakes import FakeModel
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
sys.exit(run_stream(load_settings(), Classifier(FakeModel(), load_lexicon()), stop))
"""


def test_instance_ids() -> None:
    assert instance_id_for("", "g", "p.") is None
    assert (
        instance_id_for("auto", "stancewatch-processors", "t1.", 9309, host="box 1")
        == "stancewatch-processors-t1.box_1-9309"
    )
    assert instance_id_for("classify-a", "g", "p.") == "classify-a"


def test_a_restarted_member_resumes_without_waiting_out_the_session(
    kafka_bootstrap: str, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings(kafka_bootstrap=kafka_bootstrap, topic_partitions=2)
    topics = Topics(settings.topic_prefix)
    ensure_topics(settings, kafka_bootstrap)
    env = {k: v for k, v in os.environ.items() if not k.startswith("STANCEWATCH_")} | {
        "PYTHONPATH": str(REPO_ROOT),
        "STANCEWATCH_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "STANCEWATCH_TOPIC_PREFIX": settings.topic_prefix,
        "STANCEWATCH_DATA_DIR": str(tmp_path / "data"),
        "STANCEWATCH_METRICS_PORT": "0",
        "STANCEWATCH_CLASSIFY_GROUP": f"g-{uuid.uuid4().hex[:8]}",
        "STANCEWATCH_CLASSIFY_BATCH_MS": "100",
        "STANCEWATCH_KAFKA_SESSION_TIMEOUT_MS": "45000",
    }

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-c", CHILD], cwd=REPO_ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip

    publisher = Publisher(settings, kafka_bootstrap)
    reader = Consumer(settings, f"reader-{uuid.uuid4().hex[:8]}", [topics.stances], kafka_bootstrap)

    def stance_of(article_id: str, proc: subprocess.Popen[bytes], timeout: float) -> float | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and proc.poll() is None:
            for r in reader.poll_batch(50, 200):
                if decode(StanceObservation, r.value).article_id == article_id:
                    return time.monotonic()
        return None

    procs = [start()]
    try:
        publisher.publish_all(topics.articles, [article(1, "Tokyo supports the THAAD deployment.")])
        assert stance_of("a1", procs[0], 90) is not None
        procs[0].kill()
        procs[0].wait()
        publisher.publish_all(topics.articles, [article(2, "Seoul opposes THAAD.")])
        restarted = time.monotonic()
        procs.append(start())
        done = stance_of("a2", procs[1], 60)
        assert done is not None, "the restarted member processed nothing within 60 s"
        assert done - restarted < 30, f"{done - restarted:.1f} s: it waited out the 45 s session"
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        reader.close()
        publisher.close()
