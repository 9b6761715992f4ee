"""Prometheus metrics of the processors stage, built against an injected registry.

Labels are low-cardinality: countries, topic ids, stances, partitions; never article ids or URLs.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

from core.metrics import PREFIX, ConsumerLag, model_info


class ProcessorMetrics:
    def __init__(self, registry: CollectorRegistry, model_version: str, group: str) -> None:
        p = f"{PREFIX}classifier_"
        self.group = group
        self.batch_articles = Histogram(
            f"{p}batch_articles",
            "Articles per classifier batch",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128),
            registry=registry,
        )
        self.batch_queries = Histogram(
            f"{p}batch_queries",
            "Candidate (sentence, country, topic) queries per classifier batch",
            buckets=(0, 8, 32, 128, 512, 2048, 8192),
            registry=registry,
        )
        self.batch_seconds = Histogram(
            f"{p}batch_seconds",
            "Time to classify one batch (sentence splitting, candidates, model, aggregation)",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
            registry=registry,
        )
        self.articles = Counter(f"{p}articles_total", "Articles classified", registry=registry)
        self.sentences = Counter(f"{p}sentences_total", "Sentences read", registry=registry)
        self.observations = Counter(
            f"{p}observations_total",
            "Stance observations published",
            ["country", "topic", "stance"],
            registry=registry,
        )
        self.dead_letters = Counter(
            f"{p}dead_letters_total", "Records sent to the dead-letter topic", ["reason"], registry=registry
        )
        self.publish_failures = Counter(
            f"{p}publish_failures_total", "Batches whose stances were not acknowledged", registry=registry
        )
        self.commit_failures = Counter(
            f"{p}commit_failures_total",
            "Batches whose offsets could not be committed (rebalance); they are processed again",
            registry=registry,
        )
        self.text_cut = Counter(
            f"{p}text_cut_total",
            "Articles whose text was cut to CLASSIFY_MAX_CHARS before classification",
            registry=registry,
        )
        self.batches_cut = Counter(
            f"{p}batches_cut_total",
            "Batches that stopped classifying early and left articles for the next poll (time, stop)",
            ["reason"],
            registry=registry,
        )
        self.lag = ConsumerLag(registry)
        self.info = model_info(registry, version=model_version)
