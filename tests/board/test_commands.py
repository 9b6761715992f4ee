"""``stancewatch board`` as a command: the exposure refusal, and a live board process end to end."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import typer
from typer.testing import CliRunner

from core.kafka import Publisher, Topics, ensure_topics
from core.settings import REPO_ROOT, load_settings
from stancewatch import board_commands
from stancewatch.demo_parts import free_port

from .helpers import alert, baseline, obs

# `stancewatch board` in a child process, with the keyword model in place of the transformer.
RUNNER = """
import sys
import processors.commands
from tests.keyword_model import KeywordModel
processors.commands.load_model = lambda settings: KeywordModel()
from stancewatch import cli
sys.argv = ["stancewatch", *sys.argv[1:]]
cli.main()
"""


def wait_for_address(proc: subprocess.Popen[str], timeout: float = 120.0) -> list[str]:
    assert proc.stderr is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while not any(line.startswith("stancewatch board: http://") for line in lines):
        assert time.monotonic() < deadline and proc.poll() is None, "".join(lines)
        lines.append(proc.stderr.readline())
    return lines


def test_refuses_a_public_host_without_a_token_in_one_line() -> None:
    app = typer.Typer()

    @app.callback()
    def root(ctx: typer.Context) -> None:
        ctx.obj = load_settings(board_host="0.0.0.0", board_token=None)

    board_commands.register(app)
    result = CliRunner().invoke(app, ["board"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "STANCEWATCH_BOARD_TOKEN" in lines[0] and "0.0.0.0" in lines[0]


@pytest.mark.integration
def test_live_board_process_serves_what_the_topics_carry(
    kafka_bootstrap: str, make_settings, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(kafka_bootstrap=kafka_bootstrap)
    port = free_port()
    env = {
        **os.environ,
        "STANCEWATCH_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "STANCEWATCH_TOPIC_PREFIX": settings.topic_prefix,
        "STANCEWATCH_DATA_DIR": str(tmp_path / "data"),
        "STANCEWATCH_BASELINE_PATH": str(tmp_path / "none.yaml"),
        "STANCEWATCH_BOARD_PORT": str(port),
        "STANCEWATCH_BOARD_GROUP": f"{settings.topic_prefix}board",
        "STANCEWATCH_METRICS_PORT": "0",
    }
    env.pop("STANCEWATCH_BOARD_TOKEN", None)
    env.pop("STANCEWATCH_BOARD_HOST", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "stancewatch", "board"],
        cwd=REPO_ROOT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert f"stancewatch board: http://127.0.0.1:{port}/\n" in wait_for_address(proc)
        ensure_topics(settings, kafka_bootstrap)
        publisher = Publisher(settings, kafka_bootstrap)
        topics = Topics(settings.topic_prefix)
        publisher.publish_all(topics.stances, [obs(hours=1, sentence="Seen from a live process.")])
        publisher.publish_all(topics.alerts, [alert(hours=1, base=None, kind="new_position")])
        publisher.close()
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 30
        while 'data-pair="RU:sanctions" data-moved="new_position"' not in httpx.get(url).text:
            assert time.monotonic() < deadline, "the board never showed the alert"
            time.sleep(0.5)
        assert "Seen from a live process." in httpx.get(url + "pair/RU/sanctions").text
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.integration
def test_replay_command_fills_serves_and_cleans_up(
    kafka_bootstrap: str, make_settings, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from core import baseline as core_baseline

    settings = make_settings(kafka_bootstrap=kafka_bootstrap)
    timeline = tmp_path / "timeline.jsonl"
    row = {
        "id": "a",
        "date": "2021-01-05",
        "url": "https://a.example/a",
        "text": "Russia welcomes sanctions.",
    }
    timeline.write_text(json.dumps(row) + "\n", encoding="utf-8")
    base = tmp_path / "baseline.yaml"
    core_baseline.save(baseline(("RU", "sanctions", "oppose")), base)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    port = free_port()
    env = {
        **os.environ,
        "STANCEWATCH_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "STANCEWATCH_TOPIC_PREFIX": settings.topic_prefix,
        "STANCEWATCH_DATA_DIR": str(tmp_path / "data"),
        "STANCEWATCH_BOARD_PORT": str(port),
        "STANCEWATCH_METRICS_PORT": "0",
        "TMPDIR": str(scratch),
    }
    env.pop("STANCEWATCH_BOARD_TOKEN", None)
    env.pop("STANCEWATCH_BOARD_HOST", None)
    proc = subprocess.Popen(
        [sys.executable, "-c", RUNNER, "board", "--replay", str(timeline), "--baseline", str(base)],
        cwd=REPO_ROOT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = wait_for_address(proc)
        assert any("board filled: 1 observations, 1 alerts (1 fired)" in line for line in lines), lines
        page = httpx.get(f"http://127.0.0.1:{port}/").text
        assert 'data-pair="RU:sanctions" data-moved="reversal"' in page and "replay (offline" in page
        assert list(scratch.iterdir())  # the read model lives in a temporary directory while served
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert [p.name for p in scratch.iterdir() if p.name.startswith("stancewatch-")] == []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
