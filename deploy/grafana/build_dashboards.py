"""Write the Grafana dashboards (deploy/grafana/dashboards/*.json) from the panel lists below.

Run ``python deploy/grafana/build_dashboards.py`` after changing a panel; tests/ops checks that the
committed JSON equals what this renders, and (with a real Prometheus scraping real stages) that every
query is valid and returns series. Uids are stable: links and provisioning refer to them.

Metric names are the stages' own (ingest/metrics.py, processors/metrics.py, alerts/metrics.py) plus the
shared gauges of core/metrics.py (consumer lag, stance board, model info). ``stage`` is the scrape
target's label (deploy/prometheus/prometheus.yml), so panels can split any metric by stage.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "dashboards"
DATASOURCE = {"type": "prometheus", "uid": "stancewatch-prometheus"}
RATE = "$__rate_interval"

# One place for every metric name the dashboards read, so a rename in a stage is a one-line change here.
M = {
    "broker_up": "stancewatch_broker_up",
    "fetches": "stancewatch_feed_fetches_total",
    "fetch_seconds": "stancewatch_feed_fetch_duration_seconds",
    "entries": "stancewatch_feed_entries_parsed_total",
    "published": "stancewatch_articles_published_total",
    "duplicates": "stancewatch_duplicates_skipped_total",
    "bozo": "stancewatch_bozo_feeds_total",
    "ingest_publish_failures": "stancewatch_ingest_publish_failures_total",
    "feed_last_success": "stancewatch_feed_last_success_timestamp_seconds",
    "feed_failures": "stancewatch_feed_consecutive_failures",
    "feed_gone": "stancewatch_feed_gone",
    "classified": "stancewatch_classifier_articles_total",
    "classifier_dead_letters": "stancewatch_classifier_dead_letters_total",
    "classifier_publish_failures": "stancewatch_classifier_publish_failures_total",
    "batch_seconds": "stancewatch_classifier_batch_seconds",
    "batch_size": "stancewatch_classifier_batch_articles",
    "observations": "stancewatch_classifier_observations_total",
    "model_info": "stancewatch_model_info",
    "alert_observations": "stancewatch_alerts_observations_total",
    "alerts_fired": "stancewatch_alerts_fired_total",
    "sends": "stancewatch_alerts_sends_total",
    "receipts": "stancewatch_alerts_receipts_published_total",
    "receipts_failed": "stancewatch_alerts_receipts_failed_total",
    "round_reports": "stancewatch_ingest_round_reports_total",
    "send_seconds": "stancewatch_alerts_send_duration_seconds",
    "outbox": "stancewatch_alerts_outbox_pending",
    "lag": "stancewatch_consumer_lag_records",
    "baseline": "stancewatch_stance_baseline",
    "current": "stancewatch_stance_current",
}
# Dead-letter counters of every consuming stage, whatever their stage prefix.
DLQ_SELECTOR = '{__name__=~"stancewatch_.*dead_letter.*_total"}'

STANCE_MAPPINGS = [
    {
        "type": "value",
        "options": {
            "-1": {"text": "oppose", "color": "red", "index": 0},
            "0": {"text": "neutral / mixed", "color": "yellow", "index": 1},
            "1": {"text": "support", "color": "green", "index": 2},
        },
    }
]


def target(expr: str, legend: str = "", ref: str = "A", instant: bool = False) -> dict[str, Any]:
    t: dict[str, Any] = {"datasource": DATASOURCE, "refId": ref, "expr": expr, "legendFormat": legend}
    if instant:
        t.update({"instant": True, "range": False, "format": "table"})
    return t


class Layout:
    """Places panels left to right on Grafana's 24-column grid and numbers them."""

    def __init__(self) -> None:
        self.panels: list[dict[str, Any]] = []
        self.x = 0
        self.y = 0
        self.row_h = 0

    def row(self, title: str) -> None:
        self._newline()
        self.panels.append(
            {
                "type": "row",
                "title": title,
                "collapsed": False,
                "id": len(self.panels) + 1,
                "gridPos": {"x": 0, "y": self.y, "w": 24, "h": 1},
                "panels": [],
            }
        )
        self.y += 1

    def add(self, panel: dict[str, Any], w: int = 8, h: int = 8) -> None:
        if self.x + w > 24:
            self._newline()
        panel["id"] = len(self.panels) + 1
        panel["gridPos"] = {"x": self.x, "y": self.y, "w": w, "h": h}
        panel.setdefault("datasource", DATASOURCE)
        self.panels.append(panel)
        self.x += w
        self.row_h = max(self.row_h, h)

    def _newline(self) -> None:
        if self.x:
            self.y += self.row_h
        self.x, self.row_h = 0, 0


def timeseries(title: str, targets: list[dict[str, Any]], unit: str = "short", **extra: Any) -> dict:
    panel: dict[str, Any] = {
        "type": "timeseries",
        "title": title,
        "targets": targets,
        "fieldConfig": {"defaults": {"unit": unit, "custom": {"lineWidth": 1, "fillOpacity": 10}}},
        "options": {"legend": {"displayMode": "list", "placement": "bottom"}, "tooltip": {"mode": "multi"}},
    }
    panel.update(extra)
    return panel


def stat(title: str, expr: str, unit: str = "short", legend: str = "") -> dict:
    return {
        "type": "stat",
        "title": title,
        "targets": [target(expr, legend)],
        "fieldConfig": {"defaults": {"unit": unit}},
        "options": {"reduceOptions": {"calcs": ["lastNotNull"]}, "colorMode": "value"},
    }


def table(title: str, targets: list[dict[str, Any]], unit: str = "short", description: str = "") -> dict:
    return {
        "type": "table",
        "title": title,
        "description": description,
        "targets": targets,
        "fieldConfig": {"defaults": {"unit": unit}},
        "transformations": [
            {"id": "merge"},
            {"id": "organize", "options": {"excludeByName": {"Time": True}}},
        ],
    }


def quantile(q: float, metric: str, by: str = "") -> str:
    labels = f"le{', ' + by if by else ''}"
    return f"histogram_quantile({q}, sum by ({labels}) (rate({metric}_bucket[{RATE}])))"


def dashboard(uid: str, title: str, panels: list[dict], **extra: Any) -> dict[str, Any]:
    board: dict[str, Any] = {
        "uid": uid,
        "title": title,
        "tags": ["stancewatch"],
        "timezone": "utc",
        "schemaVersion": 39,
        "version": 1,
        "editable": False,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "panels": panels,
        "templating": {"list": []},
        "annotations": {"list": []},
        "links": [
            {"type": "dashboards", "tags": ["stancewatch"], "title": "stancewatch", "asDropdown": False}
        ],
    }
    board.update(extra)
    return board


def pipeline_health() -> dict[str, Any]:
    g = Layout()
    g.row("Overview")
    g.add(stat("Stages up", 'sum by (stage) (up{job="stancewatch"})', legend="{{stage}}"), w=6, h=4)
    g.add(stat("Articles published (1h)", f"sum(increase({M['published']}[1h]))"), w=6, h=4)
    g.add(stat("Stance observations (1h)", f"sum(increase({M['observations']}[1h]))"), w=6, h=4)
    g.add(stat("Alerts fired (1h)", f"sum(increase({M['alerts_fired']}[1h]))"), w=6, h=4)
    g.add(
        stat("Broker reachable (1 = yes)", f"min by (stage) ({M['broker_up']})", legend="{{stage}}"),
        w=24,
        h=3,
    )

    g.row("Ingest")
    g.add(
        timeseries(
            "Feed fetches by result",
            [target(f"sum by (result) (rate({M['fetches']}[{RATE}]))", "{{result}}")],
            "reqps",
        )
    )
    g.add(
        timeseries(
            "Feed fetch duration",
            [
                target(quantile(0.5, M["fetch_seconds"]), "p50"),
                target(quantile(0.95, M["fetch_seconds"]), "p95", "B"),
            ],
            "s",
        )
    )
    g.add(
        timeseries(
            "Entries, articles, duplicates",
            [
                target(f"sum(rate({M['entries']}[{RATE}]))", "entries parsed"),
                target(f"sum(rate({M['published']}[{RATE}]))", "articles published", "B"),
                target(f"sum(rate({M['duplicates']}[{RATE}]))", "duplicates skipped", "C"),
            ],
            "ops",
        )
    )
    g.add(
        timeseries(
            "Ingest errors",
            [
                target(f"sum(rate({M['ingest_publish_failures']}[{RATE}]))", "publish failures"),
                target(f"sum(rate({M['bozo']}[{RATE}]))", "ill-formed (bozo) feeds", "B"),
                target(
                    f'sum(rate({M["fetches"]}{{result!~"ok|not_modified"}}[{RATE}]))', "failed fetches", "C"
                ),
            ],
            "ops",
        )
    )

    g.row("Classifier")
    g.add(
        timeseries(
            "Articles classified (per instance)",
            [target(f"sum by (instance) (rate({M['classified']}[{RATE}]))", "{{instance}}")],
            "ops",
        )
    )
    g.add(
        timeseries(
            "Classifier errors",
            [
                target(
                    f"sum by (reason) (rate({M['classifier_dead_letters']}[{RATE}]))",
                    "dead-lettered: {{reason}}",
                ),
                target(f"sum(rate({M['classifier_publish_failures']}[{RATE}]))", "publish failures", "B"),
            ],
            "ops",
        )
    )
    g.add(
        timeseries(
            "Batch latency and size",
            [
                target(quantile(0.5, M["batch_seconds"]), "p50 latency"),
                target(quantile(0.95, M["batch_seconds"]), "p95 latency", "B"),
                target(
                    f"sum(rate({M['batch_size']}_sum[{RATE}])) / sum(rate({M['batch_size']}_count[{RATE}]))",
                    "mean batch (articles)",
                    "C",
                ),
            ],
            "s",
            overrides=[
                {
                    "matcher": {"id": "byName", "options": "mean batch (articles)"},
                    "properties": [
                        {"id": "unit", "value": "short"},
                        {"id": "custom.axisPlacement", "value": "right"},
                    ],
                }
            ],
        )
    )
    g.add(
        timeseries(
            "Stance observations by stance",
            [target(f"sum by (stance) (rate({M['observations']}[{RATE}]))", "{{stance}}")],
            "ops",
        ),
        w=16,
    )
    g.add(table("Model", [target(M["model_info"], instant=True)]), w=8)

    g.row("Alerts and channels")
    g.add(
        timeseries(
            "Observations in, alerts out",
            [
                target(f"sum(rate({M['alert_observations']}[{RATE}]))", "observations"),
                target(f"sum by (kind) (rate({M['alerts_fired']}[{RATE}]))", "alerts: {{kind}}", "B"),
            ],
            "ops",
        )
    )
    g.add(
        timeseries(
            "Channel sends by outcome",
            [target(f"sum by (channel, outcome) (rate({M['sends']}[{RATE}]))", "{{channel}} {{outcome}}")],
            "ops",
        )
    )
    g.add(
        timeseries(
            "Send duration p95 and outbox depth",
            [
                target(quantile(0.95, M["send_seconds"], "channel"), "p95 {{channel}}"),
                target(f"sum by (channel) ({M['outbox']})", "outbox {{channel}}", "B"),
            ],
            "s",
            overrides=[
                {
                    "matcher": {"id": "byFrameRefID", "options": "B"},
                    "properties": [
                        {"id": "unit", "value": "short"},
                        {"id": "custom.axisPlacement", "value": "right"},
                    ],
                }
            ],
        )
    )

    g.add(
        timeseries(
            "Board reports: delivery receipts and ingest rounds",
            [
                target(f"sum(rate({M['receipts']}[{RATE}]))", "receipts published"),
                target(f"sum by (action) (rate({M['receipts_failed']}[{RATE}]))", "receipts {{action}}", "B"),
                target(f"sum by (outcome) (rate({M['round_reports']}[{RATE}]))", "rounds {{outcome}}", "C"),
            ],
            "ops",
        )
    )

    g.row("Kafka: consumer lag and dead letters")
    g.add(
        timeseries(
            "Consumer lag per group and partition",
            [target(f"sum by (group, topic, partition) ({M['lag']})", "{{group}} {{topic}}[{{partition}}]")],
            "short",
        ),
        w=12,
    )
    g.add(
        timeseries(
            "Dead-lettered records by stage (per hour)",
            [target(f"sum by (stage) (increase({DLQ_SELECTOR}[1h]))", "{{stage}}")],
            "short",
        ),
        w=12,
    )

    g.row("Feed health")
    g.add(
        table(
            "Feeds: time since last success, failures in a row",
            [
                target(f"time() - max by (feed) ({M['feed_last_success']})", ref="A", instant=True),
                target(f"max by (feed) ({M['feed_failures']})", ref="B", instant=True),
            ],
            "s",
            "Value #A: seconds since the feed's last successful poll; Value #B: consecutive failures",
        ),
        w=12,
        h=10,
    )
    g.add(
        timeseries(
            "Failing and gone feeds",
            [
                target(f"count({M['feed_failures']} > 0) or on() vector(0)", "feeds failing"),
                target(f"sum({M['feed_gone']})", "feeds gone (410)", "B"),
            ],
            "short",
        ),
        w=12,
        h=10,
    )
    return dashboard("stancewatch-pipeline", "stancewatch: pipeline health", g.panels)


def stance_board() -> dict[str, Any]:
    g = Layout()
    sel = 'country=~"$country", topic=~"$topic"'
    g.row("Where each country stands, against the baseline")
    g.add(
        {
            "type": "state-timeline",
            "title": "Current stance per country and topic",
            "targets": [target(f"{M['current']}{{{sel}}}", "{{country}} {{topic}}")],
            "fieldConfig": {"defaults": {"mappings": STANCE_MAPPINGS, "color": {"mode": "thresholds"}}},
            "options": {"showValue": "never", "mergeValues": True, "alignValue": "left"},
        },
        w=24,
        h=10,
    )
    g.add(
        table(
            "Current against baseline (0 = as the baseline, 1 = shift, 2 = reversal)",
            [
                target(
                    f"abs({M['current']}{{{sel}}} - on(country, topic) {M['baseline']}{{{sel}}})",
                    ref="A",
                    instant=True,
                ),
                target(f"{M['baseline']}{{{sel}}}", ref="B", instant=True),
            ],
            description="Value #A: distance from the baseline; #B: the baseline (+1 support, -1 oppose)",
        ),
        w=12,
        h=10,
    )
    g.add(
        timeseries(
            "Observations by stance ($country, $topic)",
            [
                target(
                    f"sum by (country, topic, stance) (increase({M['observations']}{{{sel}}}[{RATE}]))",
                    "{{country}} {{topic}} {{stance}}",
                )
            ],
            "short",
        ),
        w=12,
        h=10,
    )
    g.row("Per country: stance over time (solid) against the baseline (dashed)")
    g.add(
        timeseries(
            "$country",
            [
                target(f'{M["current"]}{{country=~"$country", topic=~"$topic"}}', "{{topic}} now"),
                target(f'{M["baseline"]}{{country=~"$country", topic=~"$topic"}}', "{{topic}} baseline", "B"),
            ],
            "short",
            repeat="country",
            repeatDirection="h",
            maxPerRow=3,
            fieldConfig={
                "defaults": {
                    "mappings": STANCE_MAPPINGS,
                    "min": -1,
                    "max": 1,
                    "custom": {"lineWidth": 2, "lineInterpolation": "stepAfter", "fillOpacity": 0},
                },
                "overrides": [
                    {
                        "matcher": {"id": "byFrameRefID", "options": "B"},
                        "properties": [
                            {"id": "custom.lineStyle", "value": {"fill": "dash", "dash": [10, 10]}}
                        ],
                    }
                ],
            },
        ),
        w=8,
        h=8,
    )
    g.row("Alerts")
    g.add(
        timeseries(
            "Alerts fired by kind",
            [target(f"sum by (kind) (increase({M['alerts_fired']}[{RATE}]))", "{{kind}}")],
            "short",
        ),
        w=24,
    )
    variables = [
        _variable("country", f"label_values({M['baseline']}, country)"),
        _variable("topic", f"label_values({M['baseline']}, topic)"),
    ]
    annotations = [
        {
            "name": "Alerts",
            "datasource": DATASOURCE,
            "enable": True,
            "iconColor": "red",
            # ``unless ... offset``: a kind's first alert creates its series at 1, which increase() misses.
            "expr": f"sum by (kind) (increase({M['alerts_fired']}[2m])) > 0 "
            f"or sum by (kind) ({M['alerts_fired']} unless {M['alerts_fired']} offset 2m)",
            "step": "1m",
            "titleFormat": "alert: {{kind}}",
            "tagKeys": "kind",
            "textFormat": "",
        },
        {
            "name": "Stance changes",
            "datasource": DATASOURCE,
            "enable": True,
            "iconColor": "orange",
            "expr": f"changes({M['current']}{{{sel}}}[2m]) > 0 "
            f"or ({M['current']}{{{sel}}} unless {M['current']}{{{sel}}} offset 2m)",
            "step": "1m",
            "titleFormat": "{{country}} {{topic}} changed",
            "tagKeys": "country,topic",
            "textFormat": "",
        },
    ]
    return dashboard(
        "stancewatch-stance-board",
        "stancewatch: stance board",
        g.panels,
        templating={"list": variables},
        annotations={"list": annotations},
    )


def _variable(name: str, query: str) -> dict[str, Any]:
    return {
        "name": name,
        "label": name,
        "type": "query",
        "datasource": DATASOURCE,
        "query": {"query": query, "refId": f"var-{name}"},
        "definition": query,
        "refresh": 2,
        "includeAll": True,
        "multi": True,
        "allValue": ".*",
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "sort": 1,
    }


DASHBOARDS = {"pipeline-health.json": pipeline_health, "stance-board.json": stance_board}


def render() -> dict[str, str]:
    """File name -> JSON text of every dashboard."""
    return {name: json.dumps(build(), indent=2, sort_keys=True) + "\n" for name, build in DASHBOARDS.items()}


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, text in render().items():
        (OUT / name).write_text(text, encoding="utf-8")
        print(f"wrote {OUT / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
