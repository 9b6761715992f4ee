"""``stancewatch board`` as a command: the exposure refusal, and a live board process end to end."""

from __future__ import annotations

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

from .helpers import alert, obs


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
        assert proc.stderr is not None
        lines: list[str] = []
        deadline = time.monotonic() + 60
        while not any(line.startswith("stancewatch board: http://") for line in lines):
            assert time.monotonic() < deadline and proc.poll() is None, "".join(lines)
            lines.append(proc.stderr.readline())
        assert f"stancewatch board: http://127.0.0.1:{port}/\n" in lines
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
