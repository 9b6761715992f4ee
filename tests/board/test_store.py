"""The board's read model: idempotent on redelivery and across restarts, newest first, filters."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from board.store import Query, ReadModel

from .helpers import T0, alert, obs


def test_redelivery_and_restart_add_nothing(tmp_path: Path) -> None:
    db = tmp_path / "board.sqlite3"
    model = ReadModel(db)
    batch = [obs(hours=1), obs(hours=2, source="b.example")]
    assert model.add(batch, [alert()]) == (2, 1)
    assert model.add(batch, [alert()]) == (0, 0)  # the same records delivered again
    model.close()
    again = ReadModel(db)  # a restart re-reads uncommitted records
    assert again.add([*batch, obs(hours=3)], [alert(), alert("reverted", new="oppose", hours=5)]) == (1, 1)
    stats = again.stats(since=T0 - timedelta(days=1))
    assert (stats.observations, stats.alerts) == (3, 2)
    assert len(again.observations()) == 3 and len(again.alerts()) == 2


def test_evidence_is_newest_first_per_pair(tmp_path: Path) -> None:
    model = ReadModel(tmp_path / "b.sqlite3")
    model.add([obs(hours=h) for h in (2, 5, 1)] + [obs(country="CN", hours=9)])
    rows = model.observations(Query(countries=("RU",), topics=("sanctions",)))
    assert [r.published for r in rows] == [T0 + timedelta(hours=h) for h in (5, 2, 1)]
    assert all(r.country == "RU" for r in rows)


def test_alert_history_newest_first_keeps_evidence(tmp_path: Path) -> None:
    model = ReadModel(tmp_path / "b.sqlite3")
    model.add(alerts=[alert(hours=1), alert("reverted", new="oppose", hours=9, sentence="Back again.")])
    history = model.alerts(Query(countries=("RU",)))
    assert [a.kind for a in history] == ["reverted", "reversal"]
    assert history[0].evidence[0].sentence == "Back again."
    assert history[1].baseline_evidence == "Baseline sentence for RU sanctions."


def test_filters_date_range_and_search(tmp_path: Path) -> None:
    model = ReadModel(tmp_path / "b.sqlite3")
    model.add(
        [
            obs(hours=1, sentence="Moscow backs the 100% plan."),
            obs(hours=30, sentence="Moscow rejects it.", source="b.example"),
            obs(hours=40, title="Under_score title", source="c.example"),
        ]
    )
    day2 = Query(since=T0 + timedelta(hours=24), until=T0 + timedelta(hours=48))
    assert [r.sentence for r in model.observations(day2)][-1] == "Moscow rejects it."
    assert len(model.observations(day2)) == 2
    assert [r.sentence for r in model.observations(Query(text="moscow"))] == [
        "Moscow rejects it.",
        "Moscow backs the 100% plan.",
    ]
    assert len(model.observations(Query(text="100%"))) == 1  # % is literal, not a wildcard
    assert len(model.observations(Query(text="a_m"))) == 0  # so is _ ("A made-up" would match it)
    assert len(model.observations(Query(text="under_score"))) == 1
    assert model.counts(Query(text="moscow")) == {("RU", "sanctions"): 2}


def test_stats_count_articles_received_since_and_freshness(tmp_path: Path) -> None:
    model = ReadModel(tmp_path / "b.sqlite3")
    assert model.stats(T0).last_received is None
    model.add([obs(hours=1)], received=T0)
    model.add(
        [obs(hours=2, source="b.example"), obs(hours=2, source="b.example", topic="thaad")],
        [alert(hours=3)],
        received=T0 + timedelta(hours=5),
    )
    stats = model.stats(since=T0 + timedelta(hours=4))
    assert stats.articles_since == 1  # one article (two observations) arrived after the cut
    assert stats.last_received == T0 + timedelta(hours=5)
    assert stats.last_published == T0 + timedelta(hours=2)
    assert stats.last_alert == T0 + timedelta(hours=3)
    before = stats.version
    model.add([obs(hours=7)])
    assert model.stats(T0).version != before
