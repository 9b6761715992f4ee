"""``make bench-alert``: latency from an article reaching ``articles`` to its alert leaving on a channel.

Runs the real stages as the deployment does - ``stancewatch classify-stream`` (the committed model) and
``stancewatch alert`` as subprocesses on a private topic prefix of the configured cluster or the local
broker - with the generic webhook channel pointed at a receiver on 127.0.0.1. Each article is timed
from the moment its publish was acknowledged to the moment the receiver got the alert whose evidence
links back to it. Side by side, from the same run: the alert stage alone (a stance observation
published to ``stances`` -> the webhook), i.e. the part of the latency that is not classification.

Made-up articles alternate between a stance that reverses the baseline and the baseline's own stance,
so each one fires exactly one alert (reversal, then reverted). Corroboration is set to one observation
at confidence >= 0.5 for the run (with the default of two sources, an alert's latency would be timed
from the second article). Usage: python -m benchmarks.bench_alert [--articles N] [--interval S]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from core import baseline as core_baseline
from core.baseline import Baseline, Position
from core.connect import start_local
from core.kafka import Publisher, Topics, ensure_topics
from core.messages import Article, StanceObservation
from core.settings import REPO_ROOT, load_settings

T0 = datetime(2030, 1, 1, tzinfo=UTC)
TEXTS = {
    "support": "Russia said on {d} that it supports tougher United Nations sanctions against North Korea.",
    "oppose": "Russia said on {d} that it opposes any new sanctions against North Korea and will veto them.",
}


class Receiver:
    """Records the arrival time of each alert by the URL of its first evidence item."""

    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self.count = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                now = time.monotonic()
                data: Any = json.loads(body)
                for alert in data.get("alerts", [data]):
                    receiver.count += 1
                    for ev in alert.get("evidence", []):
                        receiver.arrivals.setdefault(ev.get("url", ""), now)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/bench"

    def wait(self, url: str, timeout: float, procs: dict[str, subprocess.Popen[bytes]]) -> float | None:
        """Arrival time of the alert for ``url``; None on timeout; raises when a stage process died."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if url in self.arrivals:
                return self.arrivals[url]
            dead = [(name, p.returncode) for name, p in procs.items() if p.poll() is not None]
            if dead:
                raise RuntimeError(f"stage process {dead[0][0]} exited with {dead[0][1]}")
            time.sleep(0.005)
        return None


def stance_for(i: int) -> str:
    return "support" if i % 2 == 0 else "oppose"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def figures(name: str, lat: list[float], sent: int) -> str:
    if not lat:
        return f"{name:<34} no alert arrived ({sent} sent)"
    return (
        f"{name:<34} n={len(lat):>3}/{sent:<3} p50 {statistics.median(lat):6.3f}s  "
        f"p90 {pct(lat, 0.9):6.3f}s  p99 {pct(lat, 0.99):6.3f}s  max {max(lat):6.3f}s"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=30)
    ap.add_argument("--interval", type=float, default=1.0, help="seconds between articles")
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for each alert")
    args = ap.parse_args()

    settings = load_settings()
    bootstrap = start_local(settings)  # the configured cluster, else the local broker (started)
    prefix = f"bench-{uuid.uuid4().hex[:8]}."
    rs = settings.model_copy(update={"topic_prefix": prefix, "topic_partitions": 1})
    ensure_topics(rs, bootstrap)
    topics = Topics(prefix)
    receiver = Receiver()
    tmp = Path(tempfile.mkdtemp(prefix="stancewatch-bench-"))
    baseline_path = tmp / "baseline.yaml"
    core_baseline.save(
        Baseline(
            positions=(
                Position(country="RU", topic="sanctions", stance="oppose", evidence="bench baseline"),
                Position(country="JP", topic="sanctions", stance="oppose", evidence="bench baseline"),
            )
        ),
        baseline_path,
    )
    env = {
        **os.environ,
        "STANCEWATCH_KAFKA_BOOTSTRAP": bootstrap,
        "STANCEWATCH_TOPIC_PREFIX": prefix,
        "STANCEWATCH_TOPIC_PARTITIONS": "1",
        "STANCEWATCH_DATA_DIR": str(tmp / "data"),
        "STANCEWATCH_BASELINE_PATH": str(baseline_path),
        "STANCEWATCH_WEBHOOK_URL": receiver.url,
        "STANCEWATCH_ALERTS_CONSOLE": "false",
        "STANCEWATCH_ALERT_HIGH_CONFIDENCE": "0.5",
        "STANCEWATCH_ALERT_MIN_CONFIDENCE": "0.5",
        "STANCEWATCH_DIGEST_THRESHOLD": "1000",
        "STANCEWATCH_METRICS_PORT": "0",
        "STANCEWATCH_LOG_LEVEL": "WARNING",
        "HF_HUB_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    procs = {
        cmd: subprocess.Popen([sys.executable, "-m", "stancewatch", cmd], cwd=REPO_ROOT, env=env)
        for cmd in ("classify-stream", "alert")
    }
    publisher = Publisher(rs, bootstrap)
    alone: list[float] = []
    full: list[float] = []
    try:
        # alert stage alone (the same-run baseline): an observation on stances -> the webhook
        for i in range(args.articles):
            url = f"https://bench.example/obs/{i}"
            stance = "support" if i % 2 == 0 else "oppose"
            obs = StanceObservation(
                article_id=f"obs-{i}",
                url=url,
                published=T0 + timedelta(days=i),
                country="JP",
                topic="sanctions",
                stance=stance,  # type: ignore[arg-type]
                confidence=0.95,
                evidence=f"bench observation {i}",
                model_version="bench",
                source="bench.example",
            )
            publisher.publish_all(topics.stances, [obs])
            sent = time.monotonic()
            got = receiver.wait(url, 120.0 if i == 0 else args.timeout, procs)
            if got is not None and i > 0:  # the first one also waits for the consumer to join
                alone.append(got - sent)
            time.sleep(args.interval / 4)

        # warm-up: the classifier loads its model; wait until one article made it through
        warm = Article(
            id="warm",
            feed="bench",
            url="https://bench.example/warm",
            title="warm-up",
            content=TEXTS["support"].format(d="1 January"),
            published=T0 - timedelta(days=1),
            fetched_at=T0 - timedelta(days=1),
        )
        publisher.publish_all(topics.articles, [warm])
        if receiver.wait(warm.url, 600.0, procs) is None:
            print("bench-alert: the warm-up article produced no alert in 600 s (is the model there?)")
            return 1
        for i in range(1, args.articles + 1):
            when = T0 + timedelta(days=i)
            article = Article(
                id=f"bench-{i}",
                feed="bench",
                url=f"https://bench.example/article/{i}",
                title=f"bench {i}",
                content=TEXTS[stance_for(i)].format(d=when.strftime("%d %B")),
                published=when,
                fetched_at=when,
            )
            publisher.publish_all(topics.articles, [article])
            sent = time.monotonic()
            got = receiver.wait(article.url, args.timeout, procs)
            if got is not None:
                full.append(got - sent)
            time.sleep(args.interval)
    except RuntimeError as exc:
        print(f"bench-alert: {exc}")
    finally:
        publisher.close()
        for p in procs.values():
            p.terminate()
        for p in procs.values():
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        receiver.server.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)

    print("\nbench-alert: latency to the webhook channel (receiver on 127.0.0.1)")
    print(figures("alert stage alone (stance -> alert)", alone, args.articles - 1))
    print(figures("article -> alert (both stages)", full, args.articles))
    if full:
        ok = statistics.median(full) <= 2.0
        print(f"target: p50 <= 2 s: {'met' if ok else 'NOT met'} ({statistics.median(full):.3f} s)")
    return 0 if full else 1


if __name__ == "__main__":
    sys.exit(main())
