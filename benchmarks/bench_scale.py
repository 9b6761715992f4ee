"""``make bench-scale``: classify-stream throughput with 1 and then 2 instances in one consumer group,
over the same backlog of articles, side by side from the same run.

Each run starts its instances as the deployment does (``stancewatch classify-stream`` subprocesses in
one consumer group, each with its own data directory and metrics port) on a private topic prefix of the
configured cluster or the local broker, with ``--partitions`` partitions (the most instances that can
share the work). Once every instance is up (model loaded, metrics served) and the group has settled,
the backlog - the same made-up articles for every run - is published at once, and the run is timed
until the instances' ``stancewatch_classifier_articles_total`` add up to the backlog. Model loading is
thus not counted; what is counted is consuming, classifying, publishing stances and committing.

Every instance gets ``--threads`` torch threads (default: the machine's cores divided by the number of
instances, so the runs use the same cores): on one machine two instances share its cores, so the
speed-up measured here is what partitioning adds on top of one process's own threads, not what two
machines would give. Usage:

    python -m benchmarks.bench_scale [--articles 200] [--instances 1,2] [--partitions 4]
                                     [--model PATH] [--threads N] [--settle 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.connect import start_local
from core.kafka import Publisher, Topics, drop_topics_with_prefixes, ensure_topics
from core.messages import Article
from core.settings import REPO_ROOT, Settings, load_settings

T0 = datetime(2030, 1, 1, tzinfo=UTC)
# Made-up sentences: each names a country and a topic the lexicon knows, so every article gives the
# model candidate pairs to classify (the work that scales).
SENTENCES = (
    "{c} said on {d} that it supports tougher United Nations sanctions against North Korea.",
    "Officials in {c} opposed the deployment of the THAAD missile defense system on {d}.",
    "{c} called for the joint military exercises to be suspended, a spokesman said on {d}.",
    "On {d}, {c} urged both Koreas to return to inter-Korean dialogue without conditions.",
    "Diplomats from {c} said on {d} that denuclearization of the peninsula remains the goal.",
    "{c} backed new export bans and an asset freeze on {d}, according to its foreign ministry.",
)
COUNTRIES = ("Russia", "China", "Japan", "South Korea", "the United States", "North Korea")


def backlog(n: int) -> list[Article]:
    """``n`` made-up articles of four sentences each, the same for every run."""
    out = []
    for i in range(n):
        when = T0 + timedelta(hours=i)
        day = when.strftime("%d %B")
        text = " ".join(
            SENTENCES[(i + k) % len(SENTENCES)].format(c=COUNTRIES[(i * 7 + k) % len(COUNTRIES)], d=day)
            for k in range(4)
        )
        out.append(
            Article(
                id=f"scale-{i}",
                feed="bench",
                url=f"https://bench.example/scale/{i}",
                title=f"bench article {i}",
                content=text,
                published=when,
                fetched_at=when,
            )
        )
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def classified(port: int) -> float | None:
    """The instance's articles_total (None while its metrics endpoint does not answer)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as answer:
            text = answer.read().decode()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("stancewatch_classifier_articles_total "):
            return float(line.split()[1])
    return 0.0


class Run:
    """``n`` classify-stream processes in one group on their own topic prefix."""

    def __init__(
        self, n: int, settings: Settings, bootstrap: str, base_env: dict[str, str], tmp: Path, threads: int
    ) -> None:
        self.prefix = f"bench-scale-{uuid.uuid4().hex[:8]}-{n}."
        ensure_topics(settings.model_copy(update={"topic_prefix": self.prefix}), bootstrap)
        self.ports = [free_port() for _ in range(n)]
        self.procs: list[subprocess.Popen[bytes]] = []
        for i, port in enumerate(self.ports):
            env = {
                **base_env,
                "STANCEWATCH_TOPIC_PREFIX": self.prefix,
                "STANCEWATCH_CLASSIFY_GROUP": f"{self.prefix}classify",
                "STANCEWATCH_DATA_DIR": str(tmp / f"{n}-{i}"),
                "STANCEWATCH_METRICS_PORT": str(port),
                "OMP_NUM_THREADS": str(threads),
                "MKL_NUM_THREADS": str(threads),
            }
            cmd = [sys.executable, "-m", "stancewatch", "classify-stream"]
            self.procs.append(subprocess.Popen(cmd, cwd=REPO_ROOT, env=env))

    def counts(self) -> list[float | None]:
        dead = [p.returncode for p in self.procs if p.poll() is not None]
        if dead:
            raise RuntimeError(f"a classify-stream instance exited with {dead[0]}")
        return [classified(port) for port in self.ports]

    def stop(self) -> None:
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()


def timed(
    run: Run, settings: Settings, bootstrap: str, articles: list[Article], args: argparse.Namespace
) -> tuple[float, list[float]]:
    """Seconds from publishing the backlog to the last article classified, and each instance's share."""
    deadline = time.monotonic() + args.start_timeout
    while any(c is None for c in run.counts()):
        if time.monotonic() > deadline:
            raise RuntimeError(f"instances not up within {args.start_timeout:.0f} s (is the model there?)")
        time.sleep(0.5)
    time.sleep(args.settle)  # the group's rebalance as each member joined
    publisher = Publisher(settings.model_copy(update={"topic_prefix": run.prefix}), bootstrap)
    try:
        start = time.monotonic()
        publisher.publish_all(Topics(run.prefix).articles, articles)
    finally:
        publisher.close()
    deadline = start + args.timeout
    while True:
        counts = [c or 0.0 for c in run.counts()]
        if sum(counts) >= len(articles):
            return time.monotonic() - start, counts
        if time.monotonic() > deadline:
            raise RuntimeError(f"{sum(counts):.0f} of {len(articles)} articles after {args.timeout:.0f} s")
        time.sleep(0.05)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=200, help="backlog size")
    ap.add_argument("--instances", default="1,2", help="instance counts to run, in order")
    ap.add_argument("--partitions", type=int, default=4, help="partitions of the run's topics")
    ap.add_argument("--model", default="", help="model path (default: the configured/committed one)")
    ap.add_argument("--threads", type=int, default=0, help="torch threads per instance (0: cores/n)")
    ap.add_argument("--settle", type=float, default=5.0, help="seconds for the group to settle")
    ap.add_argument("--start-timeout", type=float, default=600.0)
    ap.add_argument("--timeout", type=float, default=1800.0, help="seconds to classify the backlog")
    args = ap.parse_args()
    counts = [int(x) for x in args.instances.split(",") if x.strip()]
    if max(counts) > args.partitions:
        print(f"bench-scale: {max(counts)} instances need at least as many partitions (--partitions)")
        return 2

    settings = load_settings(topic_partitions=args.partitions)
    bootstrap = start_local(settings)  # the configured cluster, else the local broker (started)
    cores = os.cpu_count() or 1
    articles = backlog(args.articles)
    tmp = Path(tempfile.mkdtemp(prefix="stancewatch-bench-scale-"))
    base_env = {
        **os.environ,
        "STANCEWATCH_KAFKA_BOOTSTRAP": bootstrap,
        "STANCEWATCH_TOPIC_PARTITIONS": str(args.partitions),
        "STANCEWATCH_LOG_LEVEL": "WARNING",
        "STANCEWATCH_ENV_FILE": "",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    if args.model:
        base_env["STANCEWATCH_MODEL_PATH"] = args.model
    results: list[tuple[int, int, float, list[float]]] = []
    prefixes: list[str] = []
    try:
        for n in counts:
            threads = args.threads or max(1, cores // n)
            run = Run(n, settings, bootstrap, base_env, tmp, threads)
            prefixes.append(run.prefix)
            try:
                seconds, shares = timed(run, settings, bootstrap, articles, args)
            finally:
                run.stop()
            results.append((n, threads, seconds, shares))
    except RuntimeError as exc:
        print(f"bench-scale: {exc}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            drop_topics_with_prefixes(settings, prefixes, bootstrap)
        except Exception as exc:  # clean-up only; the figures stand
            print(f"bench-scale: could not delete the run's topics: {exc}")

    print(
        f"\nbench-scale: classify-stream over the same backlog of {len(articles)} articles, "
        f"{args.partitions} partitions, {cores} cores"
    )
    first = results[0][2] if results else 0.0
    for n, threads, seconds, shares in results:
        split = " + ".join(f"{s:.0f}" for s in shares)
        print(
            f"{n} instance{'s' if n > 1 else ' '} x {threads} threads: "
            f"{len(articles) / seconds:7.2f} articles/s"
            f"  ({seconds:6.1f} s; per instance {split}; {first / seconds:4.2f}x the first run)"
        )
    return 0 if len(results) == len(counts) else 1


if __name__ == "__main__":
    sys.exit(main())
