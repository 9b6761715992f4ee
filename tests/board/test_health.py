"""The health line: what it says about the board's consumer and the data's freshness."""

from __future__ import annotations

from datetime import timedelta

import pytest

from board.health import ConsumerSnapshot, ConsumerStatus, ago, feeds_line, health
from board.reports import FeedRound
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


def feed_round(ok: int, failed: int, minutes_ago: float, source: str = "h:feeds.yaml") -> FeedRound:
    return FeedRound(
        source, ok + failed, ok + failed, ok, failed, 3, NOW - timedelta(minutes=minutes_ago), 900.0
    )


@pytest.mark.parametrize(
    ("rounds", "level", "text"),
    [
        ((), "warn", "feeds: no report yet"),
        ((feed_round(24, 3, 5),), "warn", "feeds 24 ok \u00b7 3 failing"),
        ((feed_round(27, 0, 44),), "ok", "feeds 27 ok \u00b7 0 failing"),  # 44 min < 3 x 15 min
        ((feed_round(24, 3, 46),), "fail", "feeds: no report for 46 min"),
        ((feed_round(24, 3, 50), feed_round(20, 1, 120, "h:b.yaml")), "fail", "feeds: no report for 50 min"),
        ((feed_round(10, 0, 1), feed_round(5, 2, 60, "h:b.yaml")), "warn",
         "feeds 10 ok \u00b7 0 failing \u00b7 1 ingest silent 60 min"),
        ((feed_round(10, 1, 1), feed_round(5, 2, 2, "h:b.yaml")), "warn", "feeds 15 ok \u00b7 3 failing"),
    ],
)  # fmt: skip
def test_feeds_part_of_the_line(rounds: tuple[FeedRound, ...], level: str, text: str) -> None:
    assert feeds_line(rounds, NOW) == (level, text)
    h = health(STATS, ConsumerSnapshot(last_poll=NOW, lag=0), NOW, rounds)
    assert (h.feeds_level, h.feeds) == (level, text)
    assert (h.level, h.pipeline) == ("ok", "ok, lag 0")  # the rest of the line is as before


def test_a_replay_is_never_late() -> None:
    old = (feed_round(24, 3, 60 * 24 * 400),)
    assert feeds_line(old, NOW, replay=True) == (
        "warn",
        "feeds 24 ok \u00b7 3 failing (as of 2020-01-27 00:00 UTC)",
    )
    assert health(STATS, ConsumerSnapshot(mode="replay"), NOW, old).feeds.startswith("feeds 24 ok")
