"""The ingest commands through typer, on an app holding only this stage's commands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import ingest.commands
from core.settings import Settings
from tests.ingest.server import RSS_HEADERS, items, rss, serve
from tests.isolation import free_port


def make_app(settings: Settings) -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root(ctx: typer.Context) -> None:
        ctx.obj = settings

    ingest.commands.register(app)
    return app


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_feed_check_one_line_per_feed_and_never_crashes(
    runner: CliRunner, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    good = tmp_path / "good.xml"
    good.write_bytes(rss(items(3)))
    broken = tmp_path / "broken.xml"
    broken.write_bytes(b"<rss><channel><item><title>x</title></item><item>")
    app = make_app(make_settings(http_read_timeout=1.0))
    routes = {
        "/feed": lambda _h: (200, RSS_HEADERS, rss(items(2))),
        "/html": lambda _h: (200, {}, b"<html/>"),
    }
    with serve(routes) as srv:
        targets = [str(good), str(broken), srv.url("/feed"), srv.url("/html"), srv.url("/404"),
                   str(tmp_path / "absent.xml"), "ftp://nope.test/x", "http://127.0.0.1:1/x"]  # fmt: skip
        result = runner.invoke(app, ["feed-check", *targets])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == len(targets)
    assert lines[0].endswith("entries=3 bozo=no error=none")
    assert "bozo=yes" in lines[1] and "entries=1" in lines[1]
    assert "entries=2 bozo=no error=none" in lines[2]
    assert "bozo=yes" in lines[3] and "entries=0" in lines[3]
    assert "error=http_error: HTTP 404" in lines[4]
    assert "does not exist" in lines[5] and "scheme 'ftp'" in lines[6] and "network_error" in lines[7]


def test_feed_check_without_arguments_is_a_usage_error(
    runner: CliRunner, make_settings: Callable[..., Settings]
) -> None:
    assert runner.invoke(make_app(make_settings()), ["feed-check"]).exit_code == 2


def test_bad_feed_list_stops_start_up_with_one_line_each(
    runner: CliRunner, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    bad = tmp_path / "feeds.yaml"
    bad.write_text(
        "feeds:\n  - {name: a, url: 'gopher://x'}\n  - {name: b, url: 'https://b.test/', every: 5}\n"
    )
    result = runner.invoke(make_app(make_settings()), ["ingest", "--once", "--feeds", str(bad)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2 and "gopher" in lines[0] and "every" in lines[1]


def test_once_with_unreachable_broker_exits_2_in_one_line(
    runner: CliRunner, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    feeds = tmp_path / "feeds.yaml"
    (tmp_path / "f.xml").write_bytes(rss(items(1)))
    feeds.write_text("feeds:\n  - {name: local, url: f.xml}\n")
    settings = make_settings(kafka_bootstrap="127.0.0.1:1", kafka_request_timeout_ms=1000)
    result = runner.invoke(make_app(settings), ["ingest", "--once", "--feeds", str(feeds)])
    assert result.exit_code == 2  # start-up failed (core.connect), as for bad configuration
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "broker at 127.0.0.1:1 unreachable" in lines[0]


@pytest.mark.integration
def test_once_stops_the_local_broker_it_started_or_says_that_it_keeps_running(
    runner: CliRunner, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    from core.broker import LocalBroker

    feeds = tmp_path / "feeds.yaml"
    (tmp_path / "f.xml").write_bytes(rss(items(2)))
    feeds.write_text("feeds:\n  - {name: local, url: f.xml}\n")
    settings = make_settings(broker_port=free_port(), broker_controller_port=free_port())
    address = f"{settings.broker_host}:{settings.broker_port}"
    broker = LocalBroker(settings)
    app = make_app(settings)
    try:
        once = runner.invoke(app, ["ingest", "--once", "--feeds", str(feeds)])
        assert once.exit_code == 0, once.output
        assert once.stderr.strip().splitlines()[-1] == (
            f"stancewatch ingest: stopped the local broker on {address} that it had started"
        )
        assert broker.status().running is False
        kept = runner.invoke(app, ["ingest", "--once", "--keep-broker", "--feeds", str(feeds)])
        assert kept.exit_code == 0, kept.output
        assert kept.stderr.strip().splitlines()[-1] == (
            f"stancewatch ingest: the local broker on {address} keeps running; "
            "stop it with `stancewatch broker stop`"
        )
        assert broker.status().running is True
        # a broker ingest did not start is neither stopped nor mentioned
        again = runner.invoke(app, ["ingest", "--once", "--feeds", str(feeds)])
        assert again.exit_code == 0, again.output
        assert "broker" not in again.stderr and broker.status().running is True
    finally:
        broker.stop()
