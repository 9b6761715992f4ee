"""The read model's delivery states and feed rounds: the latest report wins, whatever order the reports
arrive in, and a report read again changes nothing, across restarts too."""

from __future__ import annotations

import itertools
from datetime import timedelta
from pathlib import Path

from board.reports import ChannelState
from board.store import ReadModel
from core.messages import DeliveryReceipt, IngestRound

from .helpers import T0


def rcpt(state: str, attempts: int = 0, seconds: float = 0, channel: str = "slack", alert_id: str = "a1",
         error: str = "") -> DeliveryReceipt:  # fmt: skip
    return DeliveryReceipt.model_validate(
        {
            "alert_id": alert_id,
            "channel": channel,
            "state": state,
            "attempts": attempts,
            "error": error,
            "at": T0 + timedelta(seconds=seconds),
        }
    )


def round_(ok: int, failed: int, minutes: float, source: str = "h:feeds.yaml") -> IngestRound:
    return IngestRound(
        source=source, scheduled=ok + failed, polled=ok + failed, ok=ok, failed=failed, new_items=1,
        ended_at=T0 + timedelta(minutes=minutes), poll_interval_s=900.0,
    )  # fmt: skip


def states(model: ReadModel, *ids: str) -> dict[str, list[tuple[str, str, int]]]:
    return {k: [(c.channel, c.state, c.attempts) for c in v] for k, v in model.deliveries(list(ids)).items()}


CHAIN = [
    rcpt("queued"),
    rcpt("retrying", 1, 1, error="http_503"),
    rcpt("retrying", 2, 5, error="http_503"),
    rcpt("delivered", 3, 20),
]


def test_every_arrival_order_ends_at_the_latest_state(tmp_path: Path) -> None:
    for i, order in enumerate(itertools.permutations(CHAIN)):
        model = ReadModel(tmp_path / f"b{i}.sqlite3")
        for r in order:
            model.report([r])
        assert states(model, "a1") == {"a1": [("slack", "delivered", 3)]}, order
        model.close()


def test_a_reread_or_older_receipt_changes_nothing_and_a_restart_keeps_the_state(tmp_path: Path) -> None:
    db = tmp_path / "board.sqlite3"
    model = ReadModel(db)
    assert model.report(CHAIN[:3]) == (3, 0)  # in order: each one a newer state
    assert model.report(CHAIN[:3]) == (0, 0)  # read again after a restart: nothing changes
    assert model.report([CHAIN[1]]) == (0, 0)  # an older one late: nothing changes
    version = model.stats(T0).version
    model.close()
    again = ReadModel(db)
    assert states(again, "a1") == {"a1": [("slack", "retrying", 2)]}
    assert again.deliveries(["a1"])["a1"][0].error == "http_503"
    assert again.report([CHAIN[3], rcpt("failed", 1, 30, channel="webhook", error="http_404")]) == (2, 0)
    assert states(again, "a1", "a2") == {"a1": [("slack", "delivered", 3), ("webhook", "failed", 1)]}
    assert again.stats(T0).version != version  # the open page redraws


def test_a_final_state_is_not_undone_by_another_instance_queueing_it_again(tmp_path: Path) -> None:
    model = ReadModel(tmp_path / "b.sqlite3")
    model.report([rcpt("delivered", 1, 10)])
    assert model.report([rcpt("queued", 0, 600)]) == (0, 0)
    assert states(model, "a1") == {"a1": [("slack", "delivered", 1)]}


def test_channel_texts() -> None:
    model_texts = [
        ("slack", "delivered", 1, "slack delivered"),
        ("email", "retrying", 2, "email retrying (2)"),
        ("webhook", "failed", 8, "webhook failed"),
        ("jsonl", "queued", 0, "jsonl queued"),
    ]
    for channel, state, attempts, text in model_texts:
        assert ChannelState(channel, state, attempts, "", T0).text == text


def test_the_latest_round_per_instance_wins(tmp_path: Path) -> None:
    db = tmp_path / "b.sqlite3"
    model = ReadModel(db)
    assert model.report(rounds=[round_(20, 3, 10), round_(5, 0, 12, source="h:part-2.yaml")]) == (0, 2)
    assert model.report(rounds=[round_(24, 0, 5)]) == (0, 0)  # an older round, late
    assert model.report(rounds=[round_(20, 3, 10)]) == (0, 0)  # the same, again
    model.close()
    again = ReadModel(db)
    assert [(r.source, r.ok, r.failed) for r in again.feed_rounds()] == [
        ("h:part-2.yaml", 5, 0),
        ("h:feeds.yaml", 20, 3),
    ]
    assert again.report(rounds=[round_(22, 1, 25)]) == (0, 1)
    assert again.feed_rounds()[0].ok == 22
