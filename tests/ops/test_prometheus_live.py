"""A real Prometheus scrapes a running pipeline; every dashboard query is valid and returns series.

The pipeline is the real thing: ``classify-stream``, ``alert`` and ``ingest`` as separate processes
(``python -m stancewatch ...``) on the real broker, each serving /metrics on its own port, fed by a local
HTTP server with the demo's sample feeds plus an ill-formed feed, a 404 and a 410, a poison record on
each consumed topic, and a webhook receiver that answers 400 - so the error, dead-letter, feed-health and
notifier-failure series exist for real. Prometheus (Debian's package) runs on 127.0.0.1 with
deploy/prometheus's config and rules, scraping every second. Skips when prometheus is not installed.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from core.kafka import Consumer, Publisher, Topics, ensure_topics
from core.settings import REPO_ROOT, load_settings
from stancewatch.demo_parts import (
    SAMPLES_DIR,
    StageProcess,
    free_port,
    group_overrides,
    sample_files,
    stage_env,
    write_feeds_file,
)
from tests.ops.promserver import PrometheusServer, Query, dashboard_queries, scrape_config

pytestmark = [pytest.mark.integration, pytest.mark.model, pytest.mark.timeout(1200)]

DASHBOARDS = sorted((REPO_ROOT / "deploy" / "grafana" / "dashboards").glob("*.json"))
BASELINE = """\
article: ops-test
positions:
  - {country: RU, topic: sanctions, stance: oppose, evidence: "ops test baseline"}
  - {country: RU, topic: thaad, stance: oppose, evidence: "ops test baseline"}
  - {country: RU, topic: support_for_dprk, stance: support, evidence: "ops test baseline"}
  - {country: CN, topic: military_exercises, stance: oppose, evidence: "ops test baseline"}
"""


class _FeedHandler(SimpleHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.startswith("/gone.xml"):
            self.send_error(410, "Gone")
            return
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Webhook(BaseHTTPRequestHandler):
    received: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        type(self).received.append(self.rfile.read(length))
        self.send_response(400)  # a permanent refusal: the notifier marks the send failed
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _serve(handler: Any) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@dataclass
class Running:
    prometheus: PrometheusServer
    started: float
    alerts: int
    stages: dict[str, StageProcess]


def _wait_for_alert(consumer: Consumer, stages: dict[str, StageProcess], timeout: float) -> int:
    deadline = time.monotonic() + timeout
    alerts = 0
    while time.monotonic() < deadline and not (alerts and _Webhook.received):
        for name, proc in stages.items():
            assert proc.exit_code() is None, f"{name} exited {proc.exit_code()}:\n{proc.log_tail(30)}"
        alerts += len(consumer.poll_batch(100, 500))
    return alerts


@pytest.fixture(scope="module")
def running(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    if shutil.which("prometheus") is None:
        pytest.skip("prometheus is not installed (deploy/test-setup.sh installs Debian's prometheus package)")
    work = tmp_path_factory.mktemp("ops-live")
    served = work / "feeds"
    served.mkdir()
    for path in sample_files(SAMPLES_DIR):
        shutil.copy(path, served / path.name)
    (served / "broken.xml").write_text("<rss><channel><title>ops test: ill-formed<item><title>x</rss>")
    feed_server = _serve(lambda *a: _FeedHandler(*a, directory=str(served)))
    webhook = _serve(_Webhook)
    base = f"http://127.0.0.1:{feed_server.server_address[1]}"
    feed_files = [*sample_files(served), served / "gone.xml", served / "missing.xml"]
    feeds_file = write_feeds_file(feed_files, base, work / "feeds.yaml")
    (work / "baseline.yaml").write_text(BASELINE)

    prefix = f"ops{uuid.uuid4().hex[:8]}."
    settings = load_settings(
        data_dir=work / "data", topic_prefix=prefix, topic_partitions=1, kafka_bootstrap=kafka_bootstrap
    )
    ensure_topics(settings, kafka_bootstrap)
    topics = Topics(prefix)
    common: dict[str, object] = {
        "kafka_bootstrap": kafka_bootstrap,
        "topic_prefix": prefix,
        "topic_partitions": 1,
        "feeds_file": feeds_file,
        "baseline_path": work / "baseline.yaml",
        "alerts_jsonl": work / "alerts.jsonl",
        "alerts_console": "false",
        "webhook_url": f"http://127.0.0.1:{webhook.server_address[1]}/hook",
        "poll_jitter": 0,
        "metrics_host": "127.0.0.1",
        **group_overrides(prefix),
    }
    stages: dict[str, StageProcess] = {}
    for name, args in (("processors", ("classify-stream",)), ("alerts", ("alert",)), ("ingest", ("ingest",))):
        port = free_port()
        (work / name).mkdir()
        env = stage_env(os.environ, {**common, "data_dir": work / name, "metrics_port": port})
        stages[name] = StageProcess(name, args, env, work / f"{name}.log", metrics_port=port)
    prom_port = free_port()
    targets = {name: f"127.0.0.1:{proc.metrics_port}" for name, proc in stages.items()}
    prometheus = PrometheusServer(work / "prom", prom_port, scrape_config(targets, f"127.0.0.1:{prom_port}"))
    consumer = Consumer(settings, f"{prefix}ops-watch", [topics.alerts], kafka_bootstrap)
    publisher = Publisher(settings, kafka_bootstrap)
    try:
        prometheus.start()  # before the stages, so it sees every counter move (annotations, rates)
        started = time.time()
        for proc in stages.values():
            proc.start()
        publisher.send_raw(topics.articles, [(b"poison", b"not json")])
        publisher.send_raw(topics.stances, [(b"RU:sanctions", b'{"schema_version": 999}')])
        alerts = _wait_for_alert(consumer, stages, timeout=600)
        assert alerts, "no alert came out of the pipeline: " + stages["alerts"].log_tail(20)
        time.sleep(8)  # a few more scrapes and rule evaluations after the last change
        yield Running(prometheus, started, alerts, stages)
    finally:
        consumer.close()
        publisher.close()
        for proc in reversed(list(stages.values())):
            proc.stop()
        prometheus.stop()
        feed_server.shutdown()
        webhook.shutdown()


def test_prometheus_scrapes_every_stage(running: Running) -> None:
    assert running.prometheus.targets_up() == {"processors": "up", "alerts": "up", "ingest": "up"}


def test_monitor_rules_load_and_notifier_failure_fires(running: Running) -> None:
    rules = running.prometheus.api("rules")
    groups = rules["data"]["groups"]
    assert [g["name"] for g in groups] == ["stancewatch-monitor"]
    assert all(r["health"] == "ok" for g in groups for r in g["rules"]), json.dumps(groups)[:2000]
    deadline = time.monotonic() + 30
    firing: set[str] = set()
    while time.monotonic() < deadline and "StancewatchNotifierFailures" not in firing:
        firing = {a["labels"]["alertname"] for a in running.prometheus.api("alerts")["data"]["alerts"]}
        time.sleep(1)
    assert {"StancewatchNotifierFailures", "StancewatchFeedGone"} <= firing


def _queries() -> list[tuple[str, Query]]:
    return [(path.name, q) for path in DASHBOARDS for q in dashboard_queries(json.loads(path.read_text()))]


@pytest.mark.parametrize(("board", "query"), _queries(), ids=lambda v: v.where if isinstance(v, Query) else v)
def test_dashboard_query_is_valid_and_returns_series(running: Running, board: str, query: Query) -> None:
    prom = running.prometheus
    if query.kind == "label_values":
        metric, label = query.expr.removeprefix("label_values(").removesuffix(")").split(", ")
        data = prom.api(f"label/{label}/values", match=metric)
    elif query.kind == "range":
        data = prom.api("query_range", query=query.expr, start=running.started, end=time.time(), step=1)
    else:
        data = prom.api("query", query=query.expr)
    assert data["status"] == "success", f"{board} {query.where}: {query.expr}: {data.get('error')}"
    result = data["data"] if query.kind == "label_values" else data["data"]["result"]
    assert result, f"{board} {query.where}: no series for {query.expr}"
