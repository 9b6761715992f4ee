"""An oversized feed item against the real broker: trimmed to ``ARTICLE_MAX_BYTES`` when it can be, and
recorded as a dead letter when the broker still refuses it; either way the rest of the feed goes out,
each item exactly once, and the operator reads "refused: too large", not "unreachable"."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.settings import Settings
from ingest.state import State
from tests.ingest.server import RSS_HEADERS, items, rss, serve
from tests.ingest.test_commands import make_app
from tests.ingest.test_integration import consume

pytestmark = pytest.mark.integration

HUGE = 2 * 1024 * 1024  # over the broker's and the producer's default 1 MiB limit


def huge_feed() -> bytes:
    feed = items(3, prefix="big")
    feed[1]["description"] = "word " * (HUGE // 5)
    return rss(feed)


def run_twice(settings: Settings, tmp_path: Path) -> tuple[list[str], list[str]]:
    """``ingest --once`` twice over the same feed; the (stdout + stderr) lines of each run."""
    body = huge_feed()
    runner = CliRunner()
    outputs = []
    with serve({"/f": lambda _h: (200, RSS_HEADERS, body)}) as srv:
        feeds = tmp_path / "feeds.yaml"
        feeds.write_text(f"feeds:\n  - {{name: f, url: '{srv.url('/f')}'}}\n")
        for _ in range(2):
            result = runner.invoke(make_app(settings), ["ingest", "--once", "--feeds", str(feeds)])
            assert result.exit_code == 0, result.output
            outputs.append((result.stdout + result.stderr).splitlines())
    return outputs[0], outputs[1]


def test_an_oversized_item_is_trimmed_and_its_neighbours_go_out_once(
    kafka_bootstrap: str, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    limit = 256 * 1024
    settings = make_settings(kafka_bootstrap=kafka_bootstrap, host_min_gap=0.0, article_max_bytes=limit)
    first, second = run_twice(settings, tmp_path)
    assert any("published 3 article(s)" in line for line in first), first
    assert any("trimmed=1" in line for line in first), first
    assert any("published 0 article(s)" in line for line in second), second
    got = consume(settings, kafka_bootstrap, 3)
    assert sorted(a.guid for a in got) == ["big-0", "big-1", "big-2"]
    big = next(a for a in got if a.guid == "big-1")
    assert limit - 1024 < len(big.encode()) <= limit and big.summary.startswith("word word")


def test_an_item_the_broker_refuses_is_dead_lettered_and_the_rest_goes_on(
    kafka_bootstrap: str, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    # No trimming below the broker's limit: the broker (client-side check included) refuses the item.
    settings = make_settings(
        kafka_bootstrap=kafka_bootstrap, host_min_gap=0.0, article_max_bytes=8 * 1024 * 1024
    )
    first, second = run_twice(settings, tmp_path)
    text = "\n".join(first + second)
    assert "refused: too large" in text and "unreachable" not in text, text
    assert any("published 2 article(s)" in line for line in first), first
    assert any("published 0 article(s)" in line for line in second), second
    got = consume(settings, kafka_bootstrap, 2)
    assert sorted(a.guid for a in got) == ["big-0", "big-2"]
    state = State.in_data_dir(settings.data_dir)
    try:
        dead = state.dead_letters()
    finally:
        state.close()
    assert [(d.feed, d.url) for d in dead] == [("f", "http://news.example.test/big/1")]
    assert dead[0].size > HUGE and "too large" in dead[0].error
