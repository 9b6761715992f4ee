"""The fault scenario (marker ``faults``): the project's own broker on free ports, classify-stream and the
alert stage as separate processes, articles in waves while faults hit - ``kill -9`` of classify-stream,
``kill -9`` of the alert stage, the broker stopped for 10 s, the webhook answering 503 - and then the
figures: every article classified (0 lost), every expected alert delivered (0 lost), duplicates counted.

classify-stream runs with the keyword fake model (tests/processors/fakes.py): the model is not what is
tested here, and loading the real one twice would dominate the run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core import baseline as core_baseline
from core.baseline import Baseline, Position
from core.broker import LocalBroker
from core.kafka import Consumer, Publisher, Topics, ensure_topics
from core.messages import Article, StanceObservation, decode
from core.settings import REPO_ROOT, Settings
from tests.alerts.servers import http_receiver
from tests.processors.test_static_membership import CHILD

pytestmark = [pytest.mark.integration, pytest.mark.faults]

# (country, topic, baseline stance, a sentence that reverses it at confidence 0.9 with the fake model)
PAIRS = [
    ("JP", "thaad", "oppose", "Tokyo strongly supports the THAAD deployment."),
    ("CN", "sanctions", "oppose", "Beijing strongly supports new sanctions."),
    ("KR", "thaad", "support", "Seoul strongly opposes the THAAD deployment."),
    ("RU", "sanctions", "oppose", "Moscow strongly supports new sanctions."),
    ("US", "thaad", "support", "Washington strongly opposes the THAAD deployment."),
    ("CN", "thaad", "oppose", "Beijing strongly supports the THAAD deployment."),
]


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.3)


def test_fault_scenario_loses_no_article_and_no_alert(
    own_broker: tuple[Settings, LocalBroker], tmp_path: Path
) -> None:
    base, broker = own_broker
    settings = base.model_copy(update={"topic_partitions": 3})
    bootstrap, prefix = settings.kafka_bootstrap, settings.topic_prefix
    topics = Topics(prefix)
    ensure_topics(settings, bootstrap)
    path = tmp_path / "baseline.yaml"
    core_baseline.save(
        Baseline(positions=tuple(Position(country=c, topic=t, stance=s, evidence=f"{c} {t} {s}")
                                 for c, t, s, _ in PAIRS)),  # type: ignore[arg-type]
        path,
    )  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("STANCEWATCH_")} | {
        "PYTHONPATH": str(REPO_ROOT),
        "STANCEWATCH_KAFKA_BOOTSTRAP": bootstrap,
        "STANCEWATCH_TOPIC_PREFIX": prefix,
        "STANCEWATCH_DATA_DIR": str(tmp_path / "data"),
        "STANCEWATCH_METRICS_PORT": "0",
        "STANCEWATCH_BROKER_PROBE_S": "1",
        "STANCEWATCH_KAFKA_REQUEST_TIMEOUT_MS": "3000",
        "STANCEWATCH_CLASSIFY_BATCH_MS": "100",
        "STANCEWATCH_BASELINE_PATH": str(path),
        "STANCEWATCH_ALERTS_CONSOLE": "false",
        "STANCEWATCH_DELIVERY_BACKOFF_S": "0.2",
    }
    procs: list[subprocess.Popen[bytes]] = []

    def start(argv: list[str], extra: dict[str, str]) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen([sys.executable, *argv], cwd=REPO_ROOT, env=env | extra,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        procs.append(proc)
        return proc

    published: list[str] = []

    def wave(pairs: list[int]) -> None:
        when = datetime(2026, 11, 1, tzinfo=UTC)
        articles = []
        for i in pairs:
            for source in ("a", "b"):  # two independent sources per pair
                n = len(published) + len(articles)
                articles.append(Article(id=f"f{n}", feed="faults", url=f"https://{source}{i}.example/{n}",
                                        content=PAIRS[i][3], published=when, fetched_at=when))  # fmt: skip
        publisher = Publisher(settings, bootstrap)
        try:
            publisher.publish_all(topics.articles, articles)
        finally:
            publisher.close()
        published.extend(a.id for a in articles)

    def kill(proc: subprocess.Popen[bytes]) -> None:
        proc.kill()
        proc.wait()

    # The webhook refuses the first deliveries with 503 (retried by the outbox).
    with http_receiver((503, {}, 0.0), (503, {}, 0.0), (503, {}, 0.0)) as hook:
        env["STANCEWATCH_WEBHOOK_URL"] = hook.url()

        def delivered() -> list[tuple[str, str]]:
            """(alert id, COUNTRY:topic) of every alert in a POST that was answered 200."""
            out = []
            for got in hook.received[3:]:
                body = got.json()
                for alert in body.get("alerts", [body]):
                    out.append((alert["id"], f"{alert['country']}:{alert['topic']}"))
            return out

        try:
            began = time.monotonic()
            classify = start(["-c", CHILD], {})
            alert = start(["-m", "stancewatch", "alert"], {})
            wave([0, 1])
            wait_until(lambda: len({k for _, k in delivered()}) == 2, 120, "the first alerts")
            kill(classify)  # fault 1: classify-stream killed; a wave arrives while it is down
            wave([2])
            classify = start(["-c", CHILD], {})
            kill(alert)  # fault 2: the alert stage killed; a wave arrives while it is down
            wave([3])
            alert = start(["-m", "stancewatch", "alert"], {})
            broker.stop()  # fault 3: the broker away for 10 s under both stages
            time.sleep(10)
            broker.start()
            wave([4, 5])
            expected = {f"{c}:{t}" for c, t, _, _ in PAIRS}
            wait_until(lambda: {k for _, k in delivered()} == expected, 180, "every alert")
            assert classify.poll() is None and alert.poll() is None, "a stage exited during the faults"
            for proc in (classify, alert):
                proc.send_signal(signal.SIGTERM)
                assert proc.wait(timeout=60) == 0
            elapsed = time.monotonic() - began
        finally:
            for proc in procs:
                if proc.poll() is None:
                    kill(proc)

    reader = Consumer(settings, f"check-{uuid.uuid4().hex[:8]}", [topics.stances], bootstrap)
    stances: list[StanceObservation] = []
    try:
        deadline = time.monotonic() + 30
        while len({s.article_id for s in stances}) < len(published) and time.monotonic() < deadline:
            stances += [decode(StanceObservation, r.value) for r in reader.poll_batch(500, 500)]
        stances += [decode(StanceObservation, r.value) for r in reader.poll_batch(500, 1000)]
    finally:
        reader.close()
    alerts = delivered()
    lost_articles = set(published) - {s.article_id for s in stances}
    lost_alerts = {f"{c}:{t}" for c, t, _, _ in PAIRS} - {k for _, k in alerts}
    dup_stances = sum(n - 1 for n in Counter(s.article_id for s in stances).values())
    dup_alerts = sum(n - 1 for n in Counter(i for i, _ in alerts).values())
    print(
        f"\nfault scenario ({elapsed:.0f} s): articles {len(published)}, lost {len(lost_articles)}, "
        f"duplicate stances {dup_stances}; alerts {len(PAIRS)}, lost {len(lost_alerts)}, delivered "
        f"{len(alerts)} (duplicates {dup_alerts}), 503 answers 3"
    )
    assert lost_articles == set() and lost_alerts == set()
    assert len({i for i, _ in alerts}) == len(PAIRS)  # one alert id per reversed pair
