"""Structure of the deployment files that cannot run here (no Docker daemon): compose, Dockerfile,
Grafana provisioning and dashboards."""

from __future__ import annotations

import importlib.util
import json
import re
from types import ModuleType
from typing import Any

import yaml

from core.settings import REPO_ROOT

DEPLOY = REPO_ROOT / "deploy"
GRAFANA = DEPLOY / "grafana"
STAGE_COMMANDS = {"ingest": "ingest", "processors": "classify-stream", "alerts": "alert", "board": "board"}


def _compose() -> dict[str, Any]:
    data = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_compose_has_every_service_with_image_and_command() -> None:
    services = _compose()["services"]
    assert set(services) >= {"kafka", *STAGE_COMMANDS, "prometheus", "grafana"}
    for name, service in services.items():
        assert service.get("image"), f"{name}: no image"
    for name, command in STAGE_COMMANDS.items():
        service = services[name]
        assert service["image"] == "stancewatch:latest"
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"
        assert service["command"] == [command], name
        env = service["environment"]
        assert env["STANCEWATCH_KAFKA_BOOTSTRAP"] == "kafka:9092"
        assert env["STANCEWATCH_METRICS_HOST"] == "0.0.0.0"
        assert service["depends_on"]["kafka"]["condition"] == "service_healthy"


def test_compose_kafka_is_the_official_image_in_kraft_mode() -> None:
    kafka = _compose()["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    env = kafka["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "1@kafka:9093"
    assert "kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
    assert "healthcheck" in kafka


def test_compose_ports_are_bound_to_localhost() -> None:
    published = 0
    for name, service in _compose()["services"].items():
        for port in service.get("ports", []):
            text = port if isinstance(port, str) else f"{port.get('host_ip', '')}:{port.get('published')}"
            assert re.match(r"^127\.0\.0\.1:\d+:\d+$", text), f"{name}: port {port!r} not bound to 127.0.0.1"
            published += 1
    assert published >= 5  # kafka, ingest, alerts, prometheus, grafana


def test_compose_mounts_exist() -> None:
    """Every relative bind mount of the compose file points at something in the repository."""
    for name, service in _compose()["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                assert (DEPLOY / source).exists(), f"{name}: {source} missing"


def test_dockerfile_has_one_image_for_every_stage() -> None:
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.1[1-9]", text, re.M)
    assert 'ENTRYPOINT ["stancewatch"]' in text
    for package in ("core", "ingest", "processors", "alerts", "board", "stancewatch"):
        assert f"COPY {package} ./{package}" in text
    assert "HF_HUB_OFFLINE=1" in text
    assert re.search(r"^USER \w+", text, re.M), "the image must not run as root"


def test_docker_context_excludes_secrets_and_local_state() -> None:
    ignored = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").split()
    for pattern in (".venv", ".git", "**/.env", "deploy/.env"):
        assert pattern in ignored, pattern


def test_grafana_provisioning_points_at_the_dashboards() -> None:
    ds = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text())
    uids = {d["uid"] for d in ds["datasources"]}
    provider = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "stancewatch.yml").read_text())
    assert provider["providers"][0]["options"]["path"] == "/etc/grafana/dashboards"
    compose = _compose()["services"]["grafana"]
    assert "./grafana/dashboards:/etc/grafana/dashboards:ro" in compose["volumes"]
    for path in sorted((GRAFANA / "dashboards").glob("*.json")):
        board = json.loads(path.read_text(encoding="utf-8"))
        assert board["uid"].startswith("stancewatch-"), path.name
        used = {p["datasource"]["uid"] for p in board["panels"] if "datasource" in p}
        assert used <= uids, f"{path.name}: unknown datasource uid(s) {used - uids}"


def _dashboard_builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_dashboards", GRAFANA / "build_dashboards.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_dashboards_match_the_builder() -> None:
    rendered = _dashboard_builder().render()
    assert set(rendered) == {p.name for p in (GRAFANA / "dashboards").glob("*.json")}
    for name, text in rendered.items():
        committed = (GRAFANA / "dashboards" / name).read_text(encoding="utf-8")
        assert committed == text, f"{name} is stale: run python deploy/grafana/build_dashboards.py"


def test_dashboards_have_the_required_panels() -> None:
    health = json.loads((GRAFANA / "dashboards" / "pipeline-health.json").read_text())
    board = json.loads((GRAFANA / "dashboards" / "stance-board.json").read_text())
    health_exprs = " ".join(t["expr"] for p in health["panels"] for t in p.get("targets", []))
    needles = ("consumer_lag_records", "dead_letter", "feed_last_success", "feed_fetch_duration", "broker_up")
    for needle in needles:
        assert needle in health_exprs, needle
    board_exprs = " ".join(t["expr"] for p in board["panels"] for t in p.get("targets", []))
    assert "stancewatch_stance_current" in board_exprs and "stancewatch_stance_baseline" in board_exprs
    assert [a["name"] for a in board["annotations"]["list"]] == ["Alerts", "Stance changes"]
    assert health["uid"] != board["uid"]
