"""Prometheus metrics of the alerts stage, built against an injected registry.

Labels are low-cardinality: channel, kind, outcome/reason - never URLs, ids or secrets.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from core.metrics import PREFIX, ConsumerLag, StanceBoard


@dataclass(frozen=True)
class AlertMetrics:
    observations: Counter
    skipped: Counter
    alerts: Counter
    dead_letters: Counter
    sends: Counter
    send_seconds: Histogram
    outbox_pending: Gauge
    restores: Counter
    restored: Counter
    requeued: Counter
    receipts_published: Counter
    receipts_failed: Counter
    lag: ConsumerLag  # the shared stancewatch_consumer_lag_records{group,topic,partition}
    board: StanceBoard  # the shared stancewatch_stance_baseline / stancewatch_stance_current gauges

    @classmethod
    def build(cls, registry: CollectorRegistry) -> AlertMetrics:
        p = PREFIX + "alerts_"
        metrics = cls(
            observations=Counter(
                p + "observations_total", "Stance observations folded in", registry=registry
            ),
            skipped=Counter(
                p + "observations_skipped_total",
                "Observations skipped (already processed)",
                ["reason"],
                registry=registry,
            ),
            alerts=Counter(p + "fired_total", "Alerts fired by kind", ["kind"], registry=registry),
            dead_letters=Counter(p + "dead_letters_total", "Records sent to the DLQ", registry=registry),
            sends=Counter(
                p + "sends_total",
                "Channel sends by outcome (ok, retry, failed) and reason",
                ["channel", "outcome", "reason"],
                registry=registry,
            ),
            send_seconds=Histogram(
                p + "send_duration_seconds", "Time of one channel send", ["channel"], registry=registry
            ),
            outbox_pending=Gauge(
                p + "outbox_pending", "Pending outbox rows per channel", ["channel"], registry=registry
            ),
            restores=Counter(
                p + "state_restores_total",
                "Partition assignments restored from the pair-state changelog",
                registry=registry,
            ),
            restored=Counter(
                p + "state_restored_records_total",
                "Changelog records read while restoring pair state",
                registry=registry,
            ),
            requeued=Counter(
                p + "state_requeued_alerts_total",
                "Alerts enqueued again on restore (fired by records the last owner did not commit)",
                registry=registry,
            ),
            receipts_published=Counter(
                p + "receipts_published_total",
                "Delivery receipts acknowledged on the deliveries topic",
                registry=registry,
            ),
            receipts_failed=Counter(
                p + "receipts_failed_total",
                "Delivery receipts not published: retry (not acknowledged, kept) or drop (lost)",
                ["action"],
                registry=registry,
            ),
            lag=ConsumerLag(registry),
            board=StanceBoard(registry),
        )
        for action in ("retry", "drop"):  # at 0 from the start: dashboards and rules see the series
            metrics.receipts_failed.labels(action)
        return metrics
