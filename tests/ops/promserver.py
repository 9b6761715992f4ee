"""A real Prometheus server for the operations tests, and the queries the Grafana dashboards run.

``PrometheusServer`` runs Debian's ``prometheus`` on 127.0.0.1 (a free port, storage in a temporary
directory) with the project's deploy/prometheus config, its scrape targets replaced by the stage
processes of the test; it is wrapped in coreutils ``timeout`` so it stops by itself even if the test run
is killed, and ``stop`` ends it at once. ``dashboard_queries`` lists every PromQL expression of a
dashboard (panel targets, template variables, annotations) with Grafana's variables filled in.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from core.settings import REPO_ROOT

PROM_DIR = REPO_ROOT / "deploy" / "prometheus"
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "1h"}


@dataclass(frozen=True)
class Query:
    where: str  # "panel 'Feed fetches by result' A", "variable country", "annotation Alerts"
    expr: str
    kind: str  # "instant", "range" (annotations), "label_values"


def fill(expr: str, variables: Mapping[str, str]) -> str:
    """Replace Grafana's built-in and template variables as Grafana would with 'All' selected."""
    for name, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(name, value)
    for name, value in variables.items():
        expr = re.sub(rf"\${name}\b", value, expr)
    return expr


def dashboard_queries(board: Mapping[str, Any]) -> list[Query]:
    variables = {v["name"]: ".*" for v in board.get("templating", {}).get("list", [])}
    queries: list[Query] = []
    for panel in board["panels"]:
        for t in panel.get("targets", []):
            where = f"panel {panel['title']!r} {t['refId']}"
            queries.append(Query(where, fill(t["expr"], variables), "instant"))
    for var in board.get("templating", {}).get("list", []):
        queries.append(Query(f"variable {var['name']}", var["query"]["query"], "label_values"))
    for ann in board.get("annotations", {}).get("list", []):
        queries.append(Query(f"annotation {ann['name']}", fill(ann["expr"], variables), "range"))
    return queries


def scrape_config(targets: Mapping[str, str], self_address: str, interval: str = "1s") -> dict[str, Any]:
    """deploy/prometheus/prometheus.yml with static targets ({stage: "127.0.0.1:port"}) and fast scrapes."""
    config = yaml.safe_load((PROM_DIR / "prometheus.yml").read_text(encoding="utf-8"))
    config["global"].update(
        {"scrape_interval": interval, "evaluation_interval": interval, "scrape_timeout": "1s"}
    )
    config["rule_files"] = [str(PROM_DIR / name) for name in config["rule_files"]]
    for job in config["scrape_configs"]:
        if job["job_name"] == "stancewatch":
            job.pop("dns_sd_configs", None)
            job.pop("relabel_configs", None)
            job["static_configs"] = [
                {"targets": [address], "labels": {"stage": stage}} for stage, address in targets.items()
            ]
        elif job["job_name"] == "prometheus":
            job["static_configs"] = [{"targets": [self_address]}]
    return config


class PrometheusServer:
    def __init__(self, workdir: Path, port: int, config: Mapping[str, Any], max_seconds: int = 1800) -> None:
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.address = f"127.0.0.1:{port}"
        self.url = f"http://{self.address}"
        self.config_path = workdir / "prometheus.yml"
        self.config_path.write_text(yaml.safe_dump(dict(config), sort_keys=False), encoding="utf-8")
        self.log_path = workdir / "prometheus.log"
        self.max_seconds = max_seconds
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, ready_timeout: float = 60.0) -> PrometheusServer:
        binary = shutil.which("prometheus")
        assert binary, "prometheus is not installed"
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                [
                    "timeout", "--kill-after=10", str(self.max_seconds), binary,
                    f"--config.file={self.config_path}",
                    f"--storage.tsdb.path={self.workdir / 'data'}",
                    f"--web.listen-address={self.address}",
                    "--storage.tsdb.retention.time=1h",
                ],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )  # fmt: skip
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"prometheus exited {self._proc.returncode}: {self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"prometheus not ready in {ready_timeout:.0f}s: {self.log_tail()}")

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=10)

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def api(self, path: str, **params: str | float) -> dict[str, Any]:
        """GET /api/v1/<path>; returns the decoded JSON body, error responses included."""
        query = urllib.parse.urlencode({k.replace("match", "match[]"): v for k, v in params.items()})
        try:
            with urllib.request.urlopen(f"{self.url}/api/v1/{path}?{query}", timeout=30) as response:
                data: dict[str, Any] = json.loads(response.read())
        except urllib.error.HTTPError as exc:  # 400/422: the body still says why
            data = json.loads(exc.read())
        return data

    def targets_up(self) -> dict[str, str]:
        """{stage: health} of the stancewatch job's active targets."""
        data = self.api("targets", state="active")
        return {
            t["labels"].get("stage", "?"): t["health"]
            for t in data["data"]["activeTargets"]
            if t["labels"].get("job") == "stancewatch"
        }
