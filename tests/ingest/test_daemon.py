"""`stancewatch ingest` as a long-running process: /metrics, SIGTERM shutdown, restart publishes nothing."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from core.kafka import Consumer, Record, Topics
from core.messages import IngestRound, decode
from core.settings import REPO_ROOT, Settings
from tests.ingest.server import RSS_HEADERS, items, rss, serve
from tests.ingest.test_integration import consume
from tests.isolation import session_env

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def env_for(settings: Settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STANCEWATCH_")}
    env.update(session_env(os.environ))  # the test session's ports and data dir, never the user's
    env.update(
        STANCEWATCH_DATA_DIR=str(settings.data_dir),
        STANCEWATCH_TOPIC_PREFIX=settings.topic_prefix,
        STANCEWATCH_TOPIC_PARTITIONS="1",
        STANCEWATCH_KAFKA_BOOTSTRAP=settings.kafka_bootstrap,
        STANCEWATCH_HOST_MIN_GAP="0",
        **extra,
    )
    return env


def test_daemon_serves_metrics_and_stops_cleanly_on_sigterm(
    kafka_bootstrap: str, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings(kafka_bootstrap=kafka_bootstrap)
    port = free_port()
    with serve({"/a": lambda _h: (200, RSS_HEADERS, rss(items(6, prefix="daemon")))}) as srv:
        feeds = tmp_path / "feeds.yaml"
        feeds.write_text(f"feeds:\n  - {{name: alpha, url: '{srv.url('/a')}'}}\n")
        cmd = [sys.executable, "-m", "tests.ingest.cli_main", "ingest", "--feeds", str(feeds)]
        proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env_for(settings, STANCEWATCH_METRICS_PORT=str(port)),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
        try:
            text, deadline = "", time.time() + 60
            while "stancewatch_articles_published_total 6.0" not in text and time.time() < deadline:
                time.sleep(0.3)
                try:
                    text = (
                        urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2).read().decode()
                    )
                except OSError:
                    continue
            assert "stancewatch_articles_published_total 6.0" in text, text[-2000:]
            assert 'stancewatch_feed_fetches_total{result="ok"} 1.0' in text
            assert 'stancewatch_feed_last_success_timestamp_seconds{feed="alpha"}' in text
            assert "stancewatch_feed_fetch_duration_seconds_bucket" in text
            # the round over the one feed closed with that poll and was reported to ingest-health
            assert 'stancewatch_ingest_round_reports_total{outcome="published"} 1.0' in text
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == 0, err[-2000:]
        assert "ingest: stopping" in err
        again = subprocess.run([*cmd, "--once"], cwd=REPO_ROOT, env=env_for(settings), capture_output=True,
                               text=True, timeout=120)  # fmt: skip
    assert again.returncode == 0, again.stderr[-2000:]
    assert "published 0 article(s)" in again.stdout
    assert len(consume(settings, kafka_bootstrap, 6)) == 6
    health = Topics(settings.topic_prefix).ingest_health
    reader = Consumer(settings, f"check-{uuid.uuid4().hex[:8]}", [health], kafka_bootstrap)
    records: list[Record] = []
    deadline = time.time() + 20
    try:
        while len(records) < 2 and time.time() < deadline:
            records += reader.poll_batch(10, 1000)
    finally:
        reader.close()
    daemon, once = [decode(IngestRound, r.value) for r in records]  # --once is one round too
    assert daemon.source == f"{socket.gethostname()}:feeds.yaml" and records[0].key == daemon.source.encode()
    assert (daemon.scheduled, daemon.polled, daemon.ok, daemon.failed, daemon.new_items) == (1, 1, 1, 0, 6)
    assert (once.source, once.ok, once.new_items) == (daemon.source, 1, 0) and once.ended_at > daemon.ended_at
    assert all(srv.url("/a").encode() not in (r.value or b"") for r in records)
