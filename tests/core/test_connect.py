"""Start-up through ``core.connect``, seen from every stage's command: a broker that cannot be reached
or started, and a metrics port that is taken, each end the command with one line and exit code 2."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import alerts.commands
import ingest.commands
import processors.commands
from core import baseline as core_baseline
from core.connect import StartError, connect, serve_metrics
from core.metrics import new_registry
from core.settings import Settings
from processors.lexicon import load_lexicon
from processors.pipeline import Classifier
from stancewatch import board_commands
from tests.alerts.helpers import baseline
from tests.processors.fakes import FakeModel

# Each stage's long-running command (and ingest's one-shot); the feed list is written by the fixture.
COMMANDS = {
    "ingest": ["ingest", "--feeds", "{feeds}"],
    "ingest --once": ["ingest", "--once", "--feeds", "{feeds}"],
    "classify-stream": ["classify-stream"],
    "alert": ["alert"],
    "board": ["board"],
}


@pytest.fixture
def listening() -> Iterator[int]:
    """A port on 127.0.0.1 that somebody else listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield int(s.getsockname()[1])


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def invoke(
    make_settings: Callable[..., Settings], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., tuple[int, list[str]]]:
    """Run one command on an app holding every stage's commands; return (exit code, stderr lines)."""
    feeds = tmp_path / "feeds.yaml"
    (tmp_path / "f.xml").write_text("<rss><channel><title>t</title></channel></rss>", encoding="utf-8")
    feeds.write_text("feeds:\n  - {name: local, url: f.xml}\n", encoding="utf-8")
    base = tmp_path / "baseline.yaml"
    core_baseline.save(baseline(("RU", "sanctions", "oppose")), base)
    # classify-stream loads its model before connecting; the keyword stand-in keeps torch out
    monkeypatch.setattr(
        processors.commands, "build_classifier", lambda s: Classifier(FakeModel(), load_lexicon())
    )

    def run(command: str, **overrides: object) -> tuple[int, list[str]]:
        settings = make_settings(baseline_path=base, kafka_request_timeout_ms=1_500, **overrides)
        app = typer.Typer()

        @app.callback()
        def _root(ctx: typer.Context) -> None:
            ctx.obj = settings

        for module in (ingest.commands, processors.commands, alerts.commands, board_commands):
            module.register(app)
        args = [a.format(feeds=feeds) for a in COMMANDS[command]]
        result = CliRunner().invoke(app, args)
        return result.exit_code, result.stderr.strip().splitlines()

    return run


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_local_broker_that_cannot_start_is_one_line_and_exit_2(
    command: str, invoke: Callable[..., tuple[int, list[str]]], listening: int, closed_port: int
) -> None:
    code, lines = invoke(command, broker_port=listening, broker_controller_port=closed_port)
    assert code == 2, lines
    assert len(lines) == 1, lines
    name = command.split()[0]
    assert lines[0].startswith(f"stancewatch {name}: broker at 127.0.0.1:{listening} unreachable: ")
    assert "is in use by another process" in lines[0]


@pytest.mark.parametrize("command", ["ingest --once", "board"])
def test_an_unreachable_cluster_is_one_line_and_exit_2_where_the_command_does_not_wait(
    command: str, invoke: Callable[..., tuple[int, list[str]]], closed_port: int
) -> None:
    code, lines = invoke(command, kafka_bootstrap=f"127.0.0.1:{closed_port}")
    assert code == 2, lines
    assert len(lines) == 1, lines
    assert lines[0].startswith(
        f"stancewatch {command.split()[0]}: broker at 127.0.0.1:{closed_port} unreachable: "
    )


@pytest.mark.parametrize("command", ["ingest", "classify-stream", "alert", "board"])
def test_a_taken_metrics_port_is_one_line_and_exit_2(
    command: str, invoke: Callable[..., tuple[int, list[str]]], listening: int, closed_port: int
) -> None:
    code, lines = invoke(
        command, metrics_host="127.0.0.1", metrics_port=listening, kafka_bootstrap=f"127.0.0.1:{closed_port}"
    )
    assert code == 2, lines
    assert len(lines) == 1, lines
    assert lines[0] == (
        f"stancewatch {command}: cannot serve /metrics on 127.0.0.1:{listening}: Address already in use "
        "(set STANCEWATCH_METRICS_PORT)"
    )


def test_connect_and_serve_metrics_raise_start_errors_in_one_line(
    make_settings: Callable[..., Settings], listening: int, closed_port: int
) -> None:
    settings = make_settings(kafka_bootstrap=f"127.0.0.1:{closed_port}", kafka_request_timeout_ms=1_000)
    with pytest.raises(StartError) as unreachable:
        connect(settings)
    assert "\n" not in str(unreachable.value) and f"127.0.0.1:{closed_port} unreachable" in str(
        unreachable.value
    )
    taken = make_settings(metrics_host="127.0.0.1", metrics_port=listening)
    with pytest.raises(StartError, match="STANCEWATCH_METRICS_PORT"):
        serve_metrics(taken, new_registry())
