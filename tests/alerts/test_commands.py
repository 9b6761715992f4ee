"""The CLI of the alerts stage as an operator runs it: ``notify-test`` and ``alert`` as subprocesses."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from alerts import baseline as alert_baseline
from core import baseline as core_baseline
from core.baseline import BaselineError
from core.kafka import Publisher, Topics, ensure_topics
from core.settings import REPO_ROOT
from tests.isolation import SESSION_VARIABLES

from .helpers import baseline, obs
from .servers import http_receiver, smtp_server

SECRET = "/services/T0/B0/xoxb-s3cr3t"


def cli(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stancewatch", *args],
        cwd=REPO_ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def clean_env(tmp_path: Path) -> dict[str, str]:
    """No channel from the developer's environment leaks into the test (the session's isolation stays)."""
    env = {k: "" for k in os.environ if k.startswith("STANCEWATCH_") and k not in SESSION_VARIABLES}
    env.update({"STANCEWATCH_DATA_DIR": str(tmp_path / "data"), "STANCEWATCH_ALERTS_CONSOLE": "false"})
    return env


@pytest.mark.integration
def test_notify_test_all_delivered(tmp_path: Path) -> None:
    with http_receiver() as slack, http_receiver() as hook, smtp_server() as (box, port):
        env = clean_env(tmp_path) | {
            "STANCEWATCH_SLACK_WEBHOOK_URL": slack.url(SECRET),
            "STANCEWATCH_WEBHOOK_URL": hook.url(),
            "STANCEWATCH_SMTP_HOST": "127.0.0.1",
            "STANCEWATCH_SMTP_PORT": str(port),
            "STANCEWATCH_SMTP_SECURITY": "none",
            "STANCEWATCH_EMAIL_FROM": "watch@example.org",
            "STANCEWATCH_EMAIL_TO": "desk@example.org",
            "STANCEWATCH_ALERTS_JSONL": str(tmp_path / "a.jsonl"),
        }
        proc = cli(["notify-test"], env)
        assert proc.returncode == 0, proc.stderr
        assert len(slack.received) == len(hook.received) == len(box.messages) == 1
    assert (tmp_path / "a.jsonl").read_text().count("\n") == 1
    for name in ("slack", "webhook", "email", "jsonl"):
        assert f"{name}: delivered" in proc.stderr


@pytest.mark.integration
def test_notify_test_reports_each_failed_channel_without_secrets(tmp_path: Path) -> None:
    with http_receiver() as hook:
        hook.default = (404, {}, 0.0)
        env = clean_env(tmp_path) | {
            "STANCEWATCH_SLACK_WEBHOOK_URL": f"http://127.0.0.1:9{SECRET}",  # nothing listens on port 9
            "STANCEWATCH_WEBHOOK_URL": hook.url(SECRET),
            "STANCEWATCH_DELIVERY_BACKOFF_S": "0.1",
            "STANCEWATCH_ALERTS_CONSOLE": "true",
        }
        proc = cli(["notify-test"], env)
    assert proc.returncode == 1
    failed = [line for line in proc.stderr.splitlines() if "FAILED" in line]
    assert len(failed) == 2 and failed[0].startswith("slack:") and failed[1].startswith("webhook:")
    assert "console: delivered" in proc.stderr
    assert "s3cr3t" not in proc.stderr + proc.stdout


@pytest.mark.integration
def test_notify_test_without_channels(tmp_path: Path) -> None:
    proc = cli(["notify-test"], clean_env(tmp_path))
    assert proc.returncode == 2 and "no channel configured" in proc.stderr


def test_missing_baseline_and_article_is_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(BaselineError, match="does not exist"):
        alert_baseline.ensure(tmp_path / "b.yaml", tmp_path / "missing-article.txt")


def test_no_baseline_and_no_article_set_says_which_setting_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(BaselineError) as missing:
        alert_baseline.ensure(tmp_path / "b.yaml", None)
    assert "\n" not in str(missing.value)
    assert "set STANCEWATCH_BASELINE_ARTICLE to the baseline article file" in str(missing.value)


def test_the_alert_command_without_baseline_or_article_exits_2_in_one_line(tmp_path: Path) -> None:
    env = clean_env(tmp_path) | {"STANCEWATCH_BASELINE_PATH": str(tmp_path / "none.yaml")}
    env["STANCEWATCH_BASELINE_ARTICLE"] = ""  # unset
    proc = cli(["alert"], env)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "set STANCEWATCH_BASELINE_ARTICLE to the baseline article file" in lines[0]


def test_existing_baseline_is_loaded_without_building(tmp_path: Path) -> None:
    path = tmp_path / "b.yaml"
    core_baseline.save(baseline(("KR", "thaad", "mixed")), path)
    assert (
        alert_baseline.ensure(path, tmp_path / "missing-article.txt").by_key()["KR:thaad"].stance == "mixed"
    )


@pytest.mark.integration
def test_alert_command_runs_delivers_and_stops_on_sigterm(kafka_bootstrap: str, tmp_path: Path) -> None:
    prefix = f"cli{time.time_ns() % 10**9}."
    path = tmp_path / "b.yaml"
    core_baseline.save(baseline(("RU", "sanctions", "oppose")), path)
    with http_receiver() as hook:
        env = clean_env(tmp_path) | {
            "STANCEWATCH_KAFKA_BOOTSTRAP": kafka_bootstrap,
            "STANCEWATCH_TOPIC_PREFIX": prefix,
            "STANCEWATCH_TOPIC_PARTITIONS": "1",
            "STANCEWATCH_BASELINE_PATH": str(path),
            "STANCEWATCH_WEBHOOK_URL": hook.url(SECRET),
            "STANCEWATCH_METRICS_PORT": "0",
            "STANCEWATCH_LOG_LEVEL": "DEBUG",
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "stancewatch", "alert"],
            cwd=REPO_ROOT,
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            from core.settings import load_settings

            settings = load_settings(topic_prefix=prefix, topic_partitions=1)
            ensure_topics(settings, kafka_bootstrap)
            pub = Publisher(settings, kafka_bootstrap)
            pub.publish_all(Topics(prefix).stances, [obs("support", confidence=0.97)])
            pub.close()
            got = hook.wait_for(1, 90)
        finally:
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=60)
    assert len(got) == 1 and got[0].json()["kind"] == "reversal", err[-3000:]
    assert proc.returncode == 0, err[-3000:]
    assert "s3cr3t" not in out + err  # DEBUG logging included


@pytest.mark.model
def test_missing_baseline_is_built_through_the_cli(shared_dir: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "review" / "baseline.yaml"
    built = alert_baseline.ensure(path, shared_dir / "seed" / "baseline-article.txt")
    assert path.is_file() and built.positions
    assert core_baseline.load(path) == built
    err = capsys.readouterr().err
    assert "no baseline at" in err and "for review" in err
