"""``make bench-board``: does the board's read model keep up with ``stances`` and ``alerts``?

Runs ``stancewatch board`` as the deployment does (a subprocess, its own consumer group) on a private
topic prefix of the configured cluster or the local broker, and measures from its read model:

1. burst: N observations (and one alert per 100) already on the topics when the board starts: time until
   every one is stored, records/s. Side by side, from the same run: a bare consumer of the same records
   that decodes and stores nothing (the Kafka read ceiling on this machine);
2. steady: observations published at ``--rate`` per second, in batches every 0.25 s, for ``--seconds``
   (the bench-alert load is one article, i.e. a few observations, per second): the board's lag
   (published minus stored records) just before each batch, and the time to drain after the last one.

Usage: python -m benchmarks.bench_board [--burst N] [--rate R] [--seconds S]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from board.store import ReadModel
from core.connect import start_local
from core.kafka import Consumer, Publisher, Topics, drop_topics_with_prefixes, ensure_topics
from core.messages import Alert, Evidence, StanceObservation
from core.settings import REPO_ROOT, load_settings

T0 = datetime(2030, 1, 1, tzinfo=UTC)
COUNTRIES = ("US", "RU", "CN", "KR", "KP", "JP")
TOPICS = ("sanctions", "thaad", "military_exercises", "denuclearization")


def observation(i: int, tag: str) -> StanceObservation:
    return StanceObservation(
        article_id=f"{tag}-{i}",
        url=f"https://bench{i % 7}.example/{tag}/{i}",
        title=f"Bench article {i}",
        published=T0 + timedelta(seconds=i),
        country=COUNTRIES[i % len(COUNTRIES)],
        topic=TOPICS[i % len(TOPICS)],
        stance=("support", "oppose", "neutral")[i % 3],  # type: ignore[arg-type]
        confidence=0.5 + (i % 50) / 100,
        evidence=f"A made-up bench sentence number {i} about the policy.",
        model_version="bench",
        source=f"bench{i % 7}.example",
    )


def alert(i: int, tag: str) -> Alert:
    return Alert(
        id=f"{tag}-alert-{i}",
        kind="reversal",
        country=COUNTRIES[i % len(COUNTRIES)],
        topic=TOPICS[i % len(TOPICS)],
        baseline_stance="oppose",
        new_stance="support",
        confidence=0.9,
        evidence=(Evidence(sentence=f"Bench evidence {i}.", url="https://bench.example/a"),),
        detected_at=T0 + timedelta(seconds=i),
    )


def stored(db: Path) -> int:
    if not db.exists():
        return 0
    model = ReadModel(db)
    try:
        stats = model.stats(since=T0)
    finally:
        model.close()
    return stats.observations + stats.alerts


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--burst", type=int, default=20_000)
    ap.add_argument("--rate", type=float, default=200.0, help="observations per second, steady phase")
    ap.add_argument("--seconds", type=float, default=30.0)
    args = ap.parse_args()

    settings = load_settings()
    bootstrap = start_local(settings)  # the configured cluster, else the local broker (started)
    prefix = f"bench-{uuid.uuid4().hex[:8]}."
    rs = settings.model_copy(update={"topic_prefix": prefix, "topic_partitions": 3})
    ensure_topics(rs, bootstrap)
    topics = Topics(prefix)
    tmp = Path(tempfile.mkdtemp(prefix="stancewatch-bench-board-"))
    db = tmp / "board.sqlite3"
    publisher = Publisher(rs, bootstrap)
    proc: subprocess.Popen[bytes] | None = None
    try:
        burst_obs = [observation(i, "burst") for i in range(args.burst)]
        burst_alerts = [alert(i, "burst") for i in range(args.burst // 100)]
        for i in range(0, len(burst_obs), 2000):
            publisher.publish_all(topics.stances, burst_obs[i : i + 2000])
        publisher.publish_all(topics.alerts, burst_alerts)
        total = len(burst_obs) + len(burst_alerts)

        bare = Consumer(rs, f"{prefix}bare", [topics.stances, topics.alerts], bootstrap)
        start, seen = time.monotonic(), 0
        while seen < total and time.monotonic() - start < 300:
            seen += len(bare.poll_batch(1000, 500))
        bare_s = time.monotonic() - start
        bare.close()

        env = {
            **os.environ,
            "STANCEWATCH_KAFKA_BOOTSTRAP": bootstrap,
            "STANCEWATCH_TOPIC_PREFIX": prefix,
            "STANCEWATCH_BOARD_DB": str(db),
            "STANCEWATCH_BOARD_GROUP": f"{prefix}board",
            "STANCEWATCH_BOARD_PORT": str(free_port()),
            "STANCEWATCH_BASELINE_PATH": str(tmp / "no-baseline.yaml"),
            "STANCEWATCH_DATA_DIR": str(tmp / "data"),
            "STANCEWATCH_METRICS_PORT": "0",
            "STANCEWATCH_LOG_LEVEL": "WARNING",
        }
        start = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "stancewatch", "board"],
            cwd=REPO_ROOT,
            env=env,
            stderr=subprocess.DEVNULL,
        )
        while stored(db) < total and time.monotonic() - start < 300:
            time.sleep(0.1)
        board_s = time.monotonic() - start  # includes the process start and joining the group
        burst_done = stored(db)

        lags: list[int] = []
        published = total
        steady = [observation(args.burst + i, "steady") for i in range(int(args.rate * args.seconds))]
        start = time.monotonic()
        step = max(1, int(args.rate / 4))
        for i in range(0, len(steady), step):
            lags.append(published - stored(db))  # still unstored from the earlier batches
            publisher.publish_all(topics.stances, steady[i : i + step])
            published += len(steady[i : i + step])
            time.sleep(max(0.0, start + (i + step) / args.rate - time.monotonic()))
        last = time.monotonic()
        while stored(db) < published and time.monotonic() - last < 120:
            time.sleep(0.05)
        drain_s = time.monotonic() - last
        final = stored(db)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        publisher.close()
        try:
            drop_topics_with_prefixes(rs, [prefix], bootstrap)
        except Exception as exc:  # clean-up only
            print(f"could not delete the bench topics: {exc}", file=sys.stderr)
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"burst: {total} records ({len(burst_alerts)} alerts)")
    print(f"  bare consumer (no decode, no store): {bare_s:6.2f} s  {total / bare_s:8.0f} records/s")
    print(
        f"  board (process start included):     {board_s:6.2f} s  {burst_done / board_s:8.0f} records/s"
        f"  stored {burst_done}/{total}"
    )
    print(f"steady: {len(steady)} observations at {args.rate:.0f}/s for {args.seconds:.0f} s")
    print(
        f"  board lag before each batch (published - stored): p50 {statistics.median(lags):.0f},"
        f" max {max(lags)} records;"
        f" drained {drain_s:.2f} s after the last publish; stored {final}/{published}"
    )
    return 0 if final == published and burst_done == total else 1


if __name__ == "__main__":
    raise SystemExit(main())
