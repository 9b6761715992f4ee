"""Ingest throughput: feeds polled per minute against a local server of 1,000 feeds, side by side with a
naive sequential ``feedparser.parse(url)`` loop, in the same run.

    python -m benchmarks.bench_ingest [--feeds 1000] [--naive-sample 100] [--latency-ms 0]
                                      [--host-concurrency 32] [--host-gap 0] [--bootstrap host:port]

The server runs in its own process (so it does not share our GIL). Half the feeds answer 304 to a
conditional request; the other half always answer 200 with 20 entries, fresh ones on every request, so
every steady-state poll parses, dedups and publishes 20 new articles for them. Our poller first makes one
cold pass (every feed 200, ETags learned), then the measured steady-state pass. The naive loop keeps no
ETags (that is what makes it naive), so it downloads and parses every feed; it runs on a sample and is
extrapolated. All feeds live on one host (127.0.0.1), so the per-host politeness settings used are
printed: with the production defaults (1 s gap, 2 at a time) one host caps any poller at 60 feeds/min.
``--latency-ms`` adds a server-side delay per response to model remote servers; it applies to both loops.
Publishing goes to an in-memory twin unless ``--bootstrap`` names a broker.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import tempfile
import threading
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import feedparser

from core.kafka import ACKED, Delivery, Topics, ensure_topics
from core.messages import Article
from core.metrics import new_registry
from core.settings import load_settings
from ingest.feeds import Feed
from ingest.fetch import Fetcher
from ingest.metrics import IngestMetrics
from ingest.poller import Poller
from ingest.publish import LazyPublisher
from ingest.service import run_once
from ingest.state import State

ENTRIES = 20


def feed_xml(i: int, round_no: int) -> bytes:
    items = "".join(
        f"<item><title>Feed {i} story {round_no}-{j}: talks on the peninsula resume</title>"
        f"<link>http://127.0.0.1/news/{i}/{round_no}/{j}?utm_source=rss</link><guid>f{i}-{round_no}-{j}</guid>"
        f"<description>&lt;p&gt;Officials from several capitals met on {round_no}-{j} to discuss "
        f"sanctions, dialogue and the &lt;b&gt;alliance&lt;/b&gt;.&lt;/p&gt;</description>"
        f"<pubDate>Tue, 03 Jun 2025 09:{j:02d}:21 GMT</pubDate></item>"
        for j in range(ENTRIES)
    )
    return (
        f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Bench feed {i}</title>"
        f"<link>http://127.0.0.1/</link><description>benchmark</description>{items}</channel></rss>"
    ).encode()


def serve(n_feeds: int, latency: float, conn: Any) -> None:
    """Child process: the 1,000-feed server. Even feeds honour If-None-Match, odd ones always change."""
    static = {i: feed_xml(i, 0) for i in range(0, n_feeds, 2)}
    rounds: dict[int, int] = {}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            i = int(self.path.rsplit("/", 1)[-1])
            if latency:
                time.sleep(latency)
            if i % 2 == 0:
                etag = f'"static-{i}"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body, headers = static[i], {"ETag": etag}
            else:
                with lock:
                    rounds[i] = rounds.get(i, 0) + 1
                    body, headers = feed_xml(i, rounds[i]), {}
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 256

    httpd = Server(("127.0.0.1", 0), Handler)
    conn.send(httpd.server_address[1])
    httpd.serve_forever()


class CountingPublisher:
    """In-memory twin of core.kafka.Publisher: keeps a count, acknowledges at once."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def publish_each(self, topic: str, messages: Sequence[Article]) -> list[Delivery]:
        with self._lock:
            self.count += len(messages)
        return [ACKED] * len(messages)


def scenario(args: argparse.Namespace, latency_ms: float) -> float:
    """One server, our cold + steady passes, the naive sample; print the figures; return the ratio."""
    parent, child = mp.Pipe()
    server = mp.Process(target=serve, args=(args.feeds, latency_ms / 1000, child), daemon=True)
    server.start()
    base = f"http://127.0.0.1:{parent.recv()}/feed"
    feeds = [Feed(f"bench-{i}", f"{base}/{i}") for i in range(args.feeds)]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = load_settings(
                data_dir=Path(tmp),
                fetch_concurrency=args.concurrency,
                host_concurrency=args.host_concurrency,
                host_min_gap=args.host_gap,
                kafka_bootstrap=args.bootstrap,
                topic_prefix=f"bench{time.time_ns()}.",
                topic_partitions=1,
                metrics_port=0,
            )
            publisher: Any
            if args.bootstrap:
                ensure_topics(settings, args.bootstrap)
                publisher, sink = LazyPublisher(settings, args.bootstrap), f"Kafka broker at {args.bootstrap}"
            else:
                publisher, sink = CountingPublisher(), "in-memory publisher twin (no broker)"
            state = State.in_data_dir(settings.data_dir)
            fetcher = Fetcher(settings)
            poller = Poller(
                settings,
                state,
                fetcher,
                publisher,
                Topics(settings.topic_prefix).articles,
                IngestMetrics(new_registry()),
            )
            try:
                t0 = time.perf_counter()
                cold = run_once(poller, feeds, args.concurrency)
                cold_s = time.perf_counter() - t0
                t0 = time.perf_counter()
                warm = run_once(poller, feeds, args.concurrency)
                warm_s = time.perf_counter() - t0
            finally:
                fetcher.close()
                state.close()
                if isinstance(publisher, LazyPublisher):
                    publisher.close()
        sample = [f"{base}/{i}" for i in range(min(args.naive_sample, args.feeds))]
        t0 = time.perf_counter()
        naive_entries = sum(len(feedparser.parse(url).entries) for url in sample)
        naive_s = time.perf_counter() - t0
    finally:
        server.terminate()
        server.join(5)

    def per_min(n: int, seconds: float) -> float:
        return n / seconds * 60

    errors = sum(1 for o in warm if o.result not in ("ok", "not_modified"))
    counts = {r: sum(1 for o in warm if o.result == r) for r in ("ok", "not_modified")}
    ours, naive = per_min(len(feeds), warm_s), per_min(len(sample), naive_s)
    print(f"--- server latency {latency_ms:g} ms per response ---")
    print(
        f"politeness for 127.0.0.1: host_concurrency={args.host_concurrency}, "
        f"host_min_gap={args.host_gap}s; poller threads: {args.concurrency}; publishing: {sink}"
    )
    cold_pub = sum(o.published for o in cold)
    print(
        f"stancewatch cold pass  : {len(feeds)} feeds in {cold_s:6.2f}s = "
        f"{per_min(len(feeds), cold_s):8,.0f} feeds/min ({cold_pub} articles published)"
    )
    print(
        f"stancewatch steady pass: {len(feeds)} feeds in {warm_s:6.2f}s = {ours:8,.0f} feeds/min "
        f"({counts['not_modified']} x 304, {counts['ok']} x 200, {sum(o.published for o in warm)} articles "
        f"published, {errors} errors)"
    )
    print(
        f"naive loop (sequential feedparser.parse(url), no ETags): {len(sample)}-feed sample in "
        f"{naive_s:6.2f}s = {naive:8,.0f} feeds/min extrapolated ({naive_entries} entries)"
    )
    print(f"ratio steady pass / naive: {ours / naive:.1f}x")
    return ours / naive


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--naive-sample", type=int, default=100)
    ap.add_argument("--latency-ms", default="0,150", help="comma-separated server latencies, one run each")
    ap.add_argument("--concurrency", type=int, default=64, help="poller threads (fetch_concurrency)")
    ap.add_argument("--host-concurrency", type=int, default=64)
    ap.add_argument("--host-gap", type=float, default=0.0, help="seconds between request starts per host")
    ap.add_argument(
        "--bootstrap", default="", help="publish to this Kafka broker instead of the in-memory twin"
    )
    args = ap.parse_args(argv)
    print(
        f"{args.feeds} feeds on one local HTTP server in its own process: half answer 304 to conditional "
        f"GET, half 200 with {ENTRIES} fresh entries each time."
    )
    print(
        "All feeds share one host (127.0.0.1), so the per-host politeness below is set for a local server; "
        "the production defaults (host_min_gap=1.0s, host_concurrency=2) would cap one host at 60 feeds/min."
    )
    for latency in (float(x) for x in args.latency_ms.split(",")):
        scenario(args, latency)
    print("targets: >= 2,000 feeds/min and >= 20x the naive loop")


if __name__ == "__main__":
    main()
