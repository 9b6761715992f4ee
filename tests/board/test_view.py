"""Matrix cells: baseline side, the alert stage's current side, and what moved."""

from __future__ import annotations

from pathlib import Path

from board.runtime import board_topics
from board.store import ReadModel
from board.view import MOVED_LABEL, all_topics, matrix
from core.vocabulary import load_vocabulary

from .helpers import alert, baseline


def test_cells_follow_the_latest_alert_per_pair(tmp_path: Path) -> None:
    model = ReadModel(tmp_path / "b.sqlite3")
    model.add(
        alerts=[
            alert(hours=1),  # RU sanctions: oppose -> support
            alert("reverted", new="oppose", hours=5, country="CN", topic="thaad"),
            alert("shift", new="neutral", hours=1, country="CN", topic="thaad"),
            alert("new_position", new="support", base=None, country="JP", topic="thaad"),
        ]
    )
    base = baseline(("RU", "sanctions", "oppose"), ("CN", "thaad", "oppose"), ("US", "thaad", "support"))
    rows = matrix(["RU", "CN", "US", "JP"], ["sanctions", "thaad"], base, model.alerts())
    cells = {c.key: c for row in rows for c in row}
    ru = cells["RU:sanctions"]
    assert (ru.baseline, ru.current, ru.moved, ru.label) == ("oppose", "support", "reversal", "REVERSED")
    cn = cells["CN:thaad"]  # shifted, then reverted: back at the baseline, unmoved
    assert (cn.current, cn.moved, cn.label) == ("oppose", None, "unchanged")
    assert cn.since is not None
    us = cells["US:thaad"]
    assert (us.baseline, us.current, us.moved, us.since) == ("support", "support", None, None)
    jp = cells["JP:thaad"]
    assert (jp.baseline, jp.current, jp.label) == (None, "support", MOVED_LABEL["new_position"])
    assert cells["JP:sanctions"].current is None


def test_topics_come_from_the_vocabulary_then_baseline(tmp_path: Path) -> None:
    shipped = load_vocabulary()
    assert board_topics(shipped, baseline()) == shipped.topic_ids and len(shipped.topic_ids) == 9
    own = tmp_path / "topics.yaml"  # an operator's topic file replaces the shipped topics, on the board too
    own.write_text(
        "topics:\n  trade:\n    description: trade\n    support: favours trade\n"
        "    oppose: opposes trade\n    cues: [trade]\n",
        encoding="utf-8",
    )
    names = board_topics(load_vocabulary(topics_file=own), baseline(("RU", "ports", "oppose")))
    assert names == ("trade", "ports")
    assert all_topics(names, baseline(), ["fish"]) == [*names, "fish"]
