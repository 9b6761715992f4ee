"""The board's consumer against the real broker: both topics into the read model, no double counting
after a restart, bad records skipped; and the start-up exposure check."""

from __future__ import annotations

from pathlib import Path

import pytest

from board.runtime import BoardRuntime, ExposureError, check_exposure, is_loopback
from core.kafka import Publisher, Topics, ensure_topics
from core.metrics import new_registry

from .helpers import alert, baseline, obs


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("10.1.2.3", False),
        ("board.example", False),
    ],
)
def test_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_non_loopback_needs_a_token() -> None:
    check_exposure("127.0.0.1", None)
    check_exposure("0.0.0.0", "t0ken")
    with pytest.raises(ExposureError) as info:
        check_exposure("0.0.0.0", None)
    assert "STANCEWATCH_BOARD_TOKEN" in str(info.value) and "\n" not in str(info.value)


@pytest.mark.integration
def test_consumes_both_topics_and_restarts_without_double_counting(
    kafka_bootstrap: str, make_settings, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(kafka_bootstrap=kafka_bootstrap, board_db=tmp_path / "board.sqlite3")
    ensure_topics(settings, kafka_bootstrap)
    topics = Topics(settings.topic_prefix)
    publisher = Publisher(settings, kafka_bootstrap)
    try:
        publisher.publish_all(topics.stances, [obs(hours=h, source=f"s{h}.example") for h in range(5)])
        publisher.publish_all(topics.alerts, [alert(hours=3)])
        publisher.send_raw(topics.stances, [(b"RU:sanctions", b"{not json")])
        base = baseline(("RU", "sanctions", "oppose"))
        first = BoardRuntime(settings, base, new_registry())
        try:
            first.attach(kafka_bootstrap).catch_up()
            stats = first.model.stats(since=alert().detected_at)
            assert (stats.observations, stats.alerts) == (5, 1)
            assert first.consumer is not None and first.consumer.update_lag() == 0
        finally:
            first.close()
        # a second group reads everything again into the same file (as after lost offsets): nothing new
        publisher.publish_all(topics.stances, [obs(hours=9, source="late.example")])
        again = BoardRuntime(settings, base, new_registry())
        try:
            again.attach(kafka_bootstrap, group_id=f"{settings.topic_prefix}other").catch_up()
            stats = again.model.stats(since=alert().detected_at)
            assert (stats.observations, stats.alerts) == (6, 1)
            text = _metrics(again)
            assert 'stancewatch_board_duplicates_total{kind="observation"} 5.0' in text
            assert 'stancewatch_board_bad_records_total{topic="stances"} 1.0' in text
        finally:
            again.close()
    finally:
        publisher.close()


def _metrics(runtime: BoardRuntime) -> str:
    from prometheus_client import generate_latest

    return generate_latest(runtime.registry).decode()
