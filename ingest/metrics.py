"""Prometheus metrics of the ingest stage, built against an injected registry.

The ``feed`` label is the feed's name from the feed list (a bounded, operator-chosen set), never a URL.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from core.metrics import PREFIX


class IngestMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        p = PREFIX
        self.fetches = Counter(
            f"{p}feed_fetches_total", "Feed fetches by result (ok, not_modified, gone, ...)", ["result"],
            registry=registry,
        )  # fmt: skip
        self.fetch_seconds = Histogram(
            f"{p}feed_fetch_duration_seconds", "Time to fetch one feed document, redirects included",
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60), registry=registry,
        )  # fmt: skip
        self.entries = Counter(
            f"{p}feed_entries_parsed_total", "Entries parsed from feeds", registry=registry
        )
        self.published = Counter(
            f"{p}articles_published_total", "Articles acknowledged by the broker", registry=registry
        )
        self.duplicates = Counter(
            f"{p}duplicates_skipped_total", "Entries skipped as already published", registry=registry
        )
        self.bozo = Counter(
            f"{p}bozo_feeds_total",
            "Feed documents feedparser flagged as ill-formed (bozo)",
            registry=registry,
        )
        self.publish_failures = Counter(
            f"{p}ingest_publish_failures_total", "Polls whose articles the broker did not acknowledge",
            registry=registry,
        )  # fmt: skip
        self.trimmed = Counter(
            f"{p}articles_trimmed_total", "Articles cut to ARTICLE_MAX_BYTES before publishing",
            registry=registry,
        )  # fmt: skip
        self.dead_letters = Counter(
            f"{p}ingest_dead_letters_total",
            "Articles the broker refused as too large, recorded as dead letters instead",
            registry=registry,
        )
        self.redirects = Counter(
            f"{p}feed_permanent_redirects_total", "Permanent redirects recorded for a feed", registry=registry
        )
        self.last_success = Gauge(
            f"{p}feed_last_success_timestamp_seconds", "Unix time of the feed's last successful poll",
            ["feed"], registry=registry,
        )  # fmt: skip
        self.failures = Gauge(
            f"{p}feed_consecutive_failures", "Failed polls in a row per feed", ["feed"], registry=registry
        )
        self.gone = Gauge(
            f"{p}feed_gone", "1 when the feed answered 410 Gone and is no longer polled", ["feed"],
            registry=registry,
        )  # fmt: skip
        self.round_reports = Counter(
            f"{p}ingest_round_reports_total",
            "Poll-round reports to the ingest-health topic by outcome (published, failed)",
            ["outcome"],
            registry=registry,
        )
        for outcome in ("published", "failed"):  # at 0 from the start: dashboards see the series
            self.round_reports.labels(outcome)
