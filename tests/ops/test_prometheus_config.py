"""promtool accepts deploy/prometheus (config and rules) and the rules behave as their unit tests say."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from core.settings import REPO_ROOT, load_settings
from stancewatch.run_commands import pipeline_stages

PROM_DIR = REPO_ROOT / "deploy" / "prometheus"


def _promtool() -> str:
    tool = shutil.which("promtool")
    if tool is None:
        pytest.skip("promtool is not installed (deploy/test-setup.sh installs Debian's prometheus package)")
    return tool


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_promtool(), *map(str, args)], cwd=PROM_DIR, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("name", ["prometheus.yml", "prometheus-local.yml"])
def test_promtool_check_config(name: str) -> None:
    result = _run("check", "config", PROM_DIR / name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_promtool_check_rules() -> None:
    result = _run("check", "rules", PROM_DIR / "rules.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "10 rules found" in result.stdout


def test_promtool_rule_unit_tests() -> None:
    result = _run("test", "rules", PROM_DIR / "rules_test.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_local_config_matches_stancewatch_run_ports() -> None:
    """prometheus-local.yml scrapes the ports `stancewatch run` gives its stages (metrics_port + 0/1/2)."""
    config = yaml.safe_load((PROM_DIR / "prometheus-local.yml").read_text(encoding="utf-8"))
    job = next(j for j in config["scrape_configs"] if j["job_name"] == "stancewatch")
    scraped = {t for sc in job["static_configs"] for t in sc["targets"]}
    settings = load_settings(metrics_port=9308)
    assert scraped == {f"127.0.0.1:{s.metrics_port}" for s in pipeline_stages(settings, "127.0.0.1:19092")}


def test_rules_cover_the_monitor_failures() -> None:
    """The issue's five conditions each have a rule: no articles, stale feeds, DLQ, notifiers, lag."""
    text = (PROM_DIR / "rules.yml").read_text(encoding="utf-8")
    for name in (
        "StancewatchNoArticles",
        "StancewatchFeedStale",
        "StancewatchDeadLettersGrowing",
        "StancewatchNotifierFailures",
        "StancewatchConsumerLagGrowing",
    ):
        assert f"alert: {name}" in text, name
