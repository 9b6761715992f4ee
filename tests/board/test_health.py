"""The health line: what it says about the board's consumer and the data's freshness."""

from __future__ import annotations

from datetime import timedelta

import pytest

from board.health import ConsumerSnapshot, ConsumerStatus, ago, health
from board.store import Stats

from .helpers import T0

NOW = T0 + timedelta(days=1)
STATS = Stats(3, 1, 2, NOW - timedelta(minutes=3), T0, T0 + timedelta(hours=1), "3.1")


@pytest.mark.parametrize(
    ("snap", "level", "words"),
    [
        (ConsumerSnapshot(mode="replay"), "ok", "replay"),
        (ConsumerSnapshot(), "warn", "starting"),
        (ConsumerSnapshot(last_poll=NOW, lag=4), "ok", "ok, lag 4"),
        (ConsumerSnapshot(last_poll=NOW, lag=5000), "warn", "lagging (5000 records behind)"),
        (ConsumerSnapshot(last_poll=NOW - timedelta(minutes=10), lag=0), "fail", "no poll since 10 min ago"),
        (ConsumerSnapshot(last_poll=NOW, error="NoBrokersAvailable"), "fail", "failing: NoBrokersAvailable"),
    ],
)
def test_pipeline_state(snap: ConsumerSnapshot, level: str, words: str) -> None:
    h = health(STATS, snap, NOW)
    assert h.level == level and words in h.pipeline
    assert (h.articles_today, h.freshness, h.last_alert) == (2, "3 min ago", T0 + timedelta(hours=1))


def test_no_data_yet_and_ago() -> None:
    empty = Stats(0, 0, 0, None, None, None, "0.0")
    assert health(empty, ConsumerSnapshot(last_poll=NOW), NOW).freshness == "no data yet"
    assert [ago(NOW - timedelta(seconds=s), NOW) for s in (5, 120, 7200, 86400 * 3)] == [
        "5 s ago",
        "2 min ago",
        "2 h ago",
        "3 days ago",
    ]


def test_status_is_shared_as_snapshots() -> None:
    status = ConsumerStatus()
    before = status.snapshot()
    status.update(lag=7, last_poll=NOW)
    assert (before.lag, status.snapshot().lag, status.snapshot().mode) == (None, 7, "live")
