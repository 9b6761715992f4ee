"""The alert stage rides out a broker outage (the project's own broker, stopped and started again):
the running process waits instead of exiting, a restart during the outage waits too, both show it in
``stancewatch_broker_up``, and the restarted stage resumes by itself and delivers the next alert."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from core import baseline as core_baseline
from core.broker import LocalBroker
from core.kafka import Publisher, Topics, ensure_topics
from core.settings import REPO_ROOT, Settings

from .helpers import baseline, obs
from .servers import http_receiver

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def metric(port: int, name: str, stage: str) -> float | None:
    """One sample from a stage's /metrics, or None when it does not answer (yet)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as reply:
            text = reply.read().decode()
    except OSError:
        return None
    found = re.search(rf'^{name}{{stage="{stage}"}} (\S+)$', text, re.M)
    return float(found.group(1)) if found else None


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.3)


def test_the_alert_stage_waits_through_an_outage_and_resumes(
    own_broker: tuple[Settings, LocalBroker], tmp_path: Path
) -> None:
    settings, broker = own_broker
    bootstrap = settings.kafka_bootstrap
    prefix = settings.topic_prefix
    path = tmp_path / "b.yaml"
    core_baseline.save(baseline(("RU", "sanctions", "oppose"), ("CN", "thaad", "oppose")), path)
    ensure_topics(settings, bootstrap)

    def publish(observation) -> None:  # type: ignore[no-untyped-def]
        pub = Publisher(settings, bootstrap)
        try:
            pub.publish_all(Topics(prefix).stances, [observation])
        finally:
            pub.close()

    procs: list[subprocess.Popen[str]] = []

    def start(port: int) -> subprocess.Popen[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("STANCEWATCH_")} | {
            "STANCEWATCH_DATA_DIR": str(tmp_path / "data"),
            "STANCEWATCH_ALERTS_CONSOLE": "false",
            "STANCEWATCH_KAFKA_BOOTSTRAP": bootstrap,
            "STANCEWATCH_TOPIC_PREFIX": prefix,
            "STANCEWATCH_TOPIC_PARTITIONS": "1",
            "STANCEWATCH_BASELINE_PATH": str(path),
            "STANCEWATCH_WEBHOOK_URL": hook.url(),
            "STANCEWATCH_METRICS_PORT": str(port),
            "STANCEWATCH_BROKER_PROBE_S": "1",
            "STANCEWATCH_KAFKA_REQUEST_TIMEOUT_MS": "3000",
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "stancewatch", "alert"],
            cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        procs.append(proc)
        return proc

    def stop(proc: subprocess.Popen[str]) -> str:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err[-3000:]
        return err

    with http_receiver() as hook:
        try:
            first_port, second_port = free_port(), free_port()
            first = start(first_port)
            publish(obs("support", confidence=0.97))  # RU sanctions: a reversal
            got = hook.wait_for(1, 90)
            assert len(got) == 1, first.poll()
            assert metric(first_port, "stancewatch_broker_up", "alerts") == 1.0

            broker.stop()
            wait_until(
                lambda: metric(first_port, "stancewatch_broker_up", "alerts") == 0.0, 60, "the outage to show"
            )
            time.sleep(3)
            assert first.poll() is None, "the stage exited during the outage"
            first_err = stop(first)  # a stop while waiting is prompt and clean

            second = start(second_port)  # a restart during the outage waits too
            wait_until(
                lambda: metric(second_port, "stancewatch_broker_up", "alerts") == 0.0,
                60,
                "the restart to wait",
            )
            time.sleep(2)
            assert second.poll() is None, "the restarted stage exited during the outage"

            broker.start()
            wait_until(
                lambda: metric(second_port, "stancewatch_broker_up", "alerts") == 1.0,
                90,
                "the stage to resume",
            )
            publish(obs("support", country="CN", topic="thaad", confidence=0.97))
            got = hook.wait_for(2, 90)
            assert metric(second_port, "stancewatch_broker_outages_total", "alerts") == 1.0
            second_err = stop(second)
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                    proc.communicate()
    assert [(g.json()["country"], g.json()["kind"]) for g in got] == [("RU", "reversal"), ("CN", "reversal")]
    assert first_err.count("broker unreachable") == 1, first_err[-3000:]
    assert second_err.count("broker unreachable") == 1 and second_err.count("reachable again") == 1
    assert "ECONNREFUSED" not in second_err.split("broker unreachable", 1)[1].split("\n", 1)[1]
