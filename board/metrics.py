"""Prometheus metrics of the board stage, built against an injected registry.

Labels are low-cardinality (topic kind, page name, status class), never pair keys, URLs or ids.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter

from core.metrics import PREFIX, ConsumerLag


@dataclass(frozen=True)
class BoardMetrics:
    # new rows in the read model, by kind (observation, alert; receipt and feed_round: a stored state
    # replaced by a newer report)
    stored: Counter
    duplicates: Counter  # records already in the read model (redelivery; a superseded report), by kind
    bad_records: Counter  # records that did not decode (the alert stage dead-letters bad stances)
    requests: Counter  # page requests by page and status class
    lag: ConsumerLag

    @classmethod
    def build(cls, registry: CollectorRegistry) -> BoardMetrics:
        p = PREFIX + "board_"
        return cls(
            stored=Counter(
                p + "stored_total",
                "Records added to (or, for reports, updating) the read model",
                ["kind"],
                registry=registry,
            ),
            duplicates=Counter(
                p + "duplicates_total", "Records already in the read model", ["kind"], registry=registry
            ),
            bad_records=Counter(
                p + "bad_records_total", "Records that could not be decoded", ["topic"], registry=registry
            ),
            requests=Counter(
                p + "requests_total", "Board HTTP requests", ["page", "status"], registry=registry
            ),
            lag=ConsumerLag(registry),
        )
