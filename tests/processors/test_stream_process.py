"""``stancewatch classify-stream`` as a process with the real model: an article in, a stance out, and a
clean exit (code 0) on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.kafka import Consumer, Publisher, Topics, ensure_topics
from core.messages import Article, StanceObservation, decode

pytestmark = [pytest.mark.integration, pytest.mark.model]


def test_classify_stream_process_publishes_and_stops_on_sigterm(
    kafka_bootstrap: str, make_settings, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(kafka_bootstrap=kafka_bootstrap)
    topics = Topics(settings.topic_prefix)
    ensure_topics(settings, kafka_bootstrap)
    when = datetime(2026, 11, 1, tzinfo=UTC)
    text = "The Chinese foreign ministry said Beijing firmly opposes the deployment of THAAD in South Korea."
    article = Article(
        id="p1", feed="f", url="https://a.example/1", content=text, published=when, fetched_at=when
    )
    env = {
        **os.environ,
        "STANCEWATCH_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "STANCEWATCH_TOPIC_PREFIX": settings.topic_prefix,
        "STANCEWATCH_DATA_DIR": str(tmp_path / "data"),
        "STANCEWATCH_METRICS_PORT": "0",
        "STANCEWATCH_CLASSIFY_GROUP": f"g-{uuid.uuid4().hex[:8]}",
        "STANCEWATCH_CLASSIFY_MIN_CONFIDENCE": "0.3",
        "HF_HUB_OFFLINE": "1",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "stancewatch", "classify-stream"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    publisher = Publisher(settings, kafka_bootstrap)
    reader = Consumer(settings, f"reader-{uuid.uuid4().hex[:8]}", [topics.stances], kafka_bootstrap)
    try:
        publisher.publish_all(topics.articles, [article])
        got = []
        deadline = time.monotonic() + 120
        while not got and time.monotonic() < deadline and proc.poll() is None:
            got = reader.poll_batch(10, 1000)
        assert got, proc.stdout.read().decode() if proc.poll() is not None and proc.stdout else "no stance"
        observation = decode(StanceObservation, got[0].value)
        assert observation.article_id == "p1" and observation.source == "a.example"
        assert got[0].key == f"{observation.country}:{observation.topic}".encode()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        reader.close()
        publisher.close()
