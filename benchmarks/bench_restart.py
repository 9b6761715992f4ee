"""``make bench-restart``: how long a classify-stream restarted after ``kill -9`` takes to process again.

Runs ``stancewatch classify-stream`` (the committed model) as a subprocess on a private topic prefix of the
configured cluster or the local broker. Per scenario: start it, see one article classified, ``kill -9``
it, publish one more article, start it again and time restart -> that article's stance on ``stances``.
The time is split into start-up (process start to the "classify-stream: group" line: imports, model
load, connecting) and the wait for partitions (that line to the stance). Side by side, from the same
run: the old configuration (dynamic membership, kafka-python's 45 s session timeout), where the new
member waits for the killed one's session to expire before a rebalance gives it the partitions.
Usage: python -m benchmarks.bench_restart [--rounds N]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime

from core.connect import start_local
from core.kafka import Consumer, Publisher, Topics, drop_topics_with_prefixes, ensure_topics
from core.messages import Article, StanceObservation, decode
from core.settings import REPO_ROOT, Settings, load_settings

TEXT = (
    "The Chinese foreign ministry said Beijing firmly opposes the deployment of THAAD in South Korea ({n})."
)
SCENARIOS: tuple[tuple[str, dict[str, str]], ...] = (
    ("dynamic membership, 45 s session (before)", {"STANCEWATCH_CLASSIFY_INSTANCE_ID": "",
                                                    "STANCEWATCH_KAFKA_SESSION_TIMEOUT_MS": "45000"}),
    ("static membership, 10 s session (now)", {}),
)  # fmt: skip


class Stage:
    """One classify-stream process; ``ready_at`` is when it logged that it is connected."""

    def __init__(self, env: dict[str, str]) -> None:
        self.started = time.monotonic()
        self.ready_at: float | None = None
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "stancewatch", "classify-stream"],
            cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            if "classify-stream: group" in line and self.ready_at is None:
                self.ready_at = time.monotonic()

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.kill()


def article(n: int) -> Article:
    when = datetime.now(UTC)
    return Article(id=f"restart-{n}", feed="bench", url=f"https://bench.example/{n}",
                   content=TEXT.format(n=n), published=when, fetched_at=when)  # fmt: skip


def wait_for(reader: Consumer, article_id: str, stage: Stage, timeout: float) -> float | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for r in reader.poll_batch(100, 200):
            if decode(StanceObservation, r.value).article_id == article_id:
                return time.monotonic()
        if stage.proc.poll() is not None:
            raise RuntimeError(f"classify-stream exited with {stage.proc.returncode}")
    return None


def scenario(
    settings: Settings, bootstrap: str, extra: dict[str, str], rounds: int
) -> list[tuple[float, float]]:
    """(total, start-up) seconds per round: restart -> the waiting article's stance."""
    prefix = f"bench-restart-{uuid.uuid4().hex[:8]}."
    rs = settings.model_copy(update={"topic_prefix": prefix, "topic_partitions": 3})
    ensure_topics(rs, bootstrap)
    env = {k: v for k, v in os.environ.items() if not k.startswith("STANCEWATCH_")} | {
        "STANCEWATCH_KAFKA_BOOTSTRAP": bootstrap, "STANCEWATCH_TOPIC_PREFIX": prefix,
        "STANCEWATCH_DATA_DIR": str(settings.data_dir), "STANCEWATCH_METRICS_PORT": "0",
        "STANCEWATCH_CLASSIFY_GROUP": f"{prefix}processors", "STANCEWATCH_CLASSIFY_MIN_CONFIDENCE": "0.3",
        "STANCEWATCH_CLASSIFY_BATCH_MS": "100", "HF_HUB_OFFLINE": "1", **extra,
    }  # fmt: skip
    publisher = Publisher(rs, bootstrap)
    reader = Consumer(rs, f"{prefix}reader", [Topics(prefix).stances], bootstrap)
    out: list[tuple[float, float]] = []
    try:
        stage = Stage(env)
        publisher.publish_all(Topics(prefix).articles, [article(0)])
        if wait_for(reader, "restart-0", stage, 180) is None:
            raise RuntimeError("the first article was not classified within 180 s")
        for n in range(1, rounds + 1):
            stage.kill()
            publisher.publish_all(Topics(prefix).articles, [article(n)])
            stage = Stage(env)
            done = wait_for(reader, f"restart-{n}", stage, 180)
            if done is None:
                raise RuntimeError(f"article {n} was not classified within 180 s of the restart")
            ready = stage.ready_at or done
            out.append((done - stage.started, ready - stage.started))
        stage.stop()
    finally:
        reader.close()
        publisher.close()
        drop_topics_with_prefixes(rs, [prefix], bootstrap)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--rounds", type=int, default=2, help="kill -9 and restart this many times per scenario")
    args = ap.parse_args()
    settings = load_settings()
    bootstrap = start_local(settings)  # the configured cluster, else the local broker (started)
    print(f"restart after kill -9 -> first processed record ({args.rounds} rounds each, broker {bootstrap})")
    for name, extra in SCENARIOS:
        rounds = scenario(settings, bootstrap, extra, args.rounds)
        totals = [t for t, _ in rounds]
        print(
            f"  {name:<44} median {statistics.median(totals):5.1f} s  (each: "
            + ", ".join(f"{t:.1f} s = {s:.1f} start-up + {t - s:.1f} waiting" for t, s in rounds)
            + ")",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
