"""The board's consumer against the real broker: both topics into the read model, no double counting
after a restart, bad records skipped; and the start-up exposure check."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest
from pydantic import SecretStr
from starlette.testclient import TestClient

from board.health import ConsumerStatus
from board.metrics import BoardMetrics
from board.runtime import BoardRuntime, ExposureError, check_exposure, is_loopback
from board.service import BoardConsumer
from board.store import ReadModel
from core.kafka import Publisher, Record, Topics, ensure_topics
from core.messages import DeliveryReceipt, IngestRound
from core.metrics import new_registry

from .helpers import T0, alert, baseline, obs


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


def _receipt(state: str, attempts: int, channel: str = "slack") -> DeliveryReceipt:
    return DeliveryReceipt(alert_id=alert().id, channel=channel, state=state, attempts=attempts, at=T0)  # type: ignore[arg-type]


def test_receipts_and_rounds_are_stored_and_a_bad_one_is_counted_and_skipped(tmp_path: Path) -> None:
    topics = Topics("t.")
    registry = new_registry()
    metrics = BoardMetrics.build(registry)
    model = ReadModel(tmp_path / "board.sqlite3")
    board = BoardConsumer(model, None, topics, metrics, ConsumerStatus())  # type: ignore[arg-type]
    feed_round = IngestRound(source="h:f.yaml", scheduled=3, polled=3, ok=2, failed=1, new_items=4,
                             ended_at=T0, poll_interval_s=900.0)  # fmt: skip

    def record(topic: str, value: bytes, offset: int) -> Record:
        return Record(topic, 0, offset, b"k", value, (), 0)

    batch = [
        record(topics.deliveries, _receipt("retrying", 1).encode(), 0),
        record(topics.deliveries, b'{"schema_version": 1, "alert_id": "x"}', 1),
        record(topics.ingest_health, b"\xff not json", 0),
        record(topics.ingest_health, feed_round.encode(), 1),
        record(topics.deliveries, _receipt("delivered", 2).encode(), 2),
        record(topics.deliveries, _receipt("retrying", 1).encode(), 3),  # late: changes nothing
    ]
    board.handle(batch)
    [(channel_state)] = model.deliveries([alert().id])[alert().id]
    assert (channel_state.state, channel_state.attempts) == ("delivered", 2)
    assert [(r.ok, r.failed) for r in model.feed_rounds()] == [(2, 1)]
    sample = registry.get_sample_value
    assert sample("stancewatch_board_bad_records_total", {"topic": "deliveries"}) == 1.0
    assert sample("stancewatch_board_bad_records_total", {"topic": "ingest-health"}) == 1.0
    assert sample("stancewatch_board_stored_total", {"kind": "receipt"}) == 2.0
    assert sample("stancewatch_board_duplicates_total", {"kind": "receipt"}) == 1.0
    assert sample("stancewatch_board_stored_total", {"kind": "feed_round"}) == 1.0
    board.handle(batch)  # the same batch again, as after a restart before the commit
    assert sample("stancewatch_board_stored_total", {"kind": "receipt"}) == 2.0
    model.close()


@pytest.mark.integration
def test_an_alert_stage_delivery_shows_on_the_board(
    kafka_bootstrap: str, make_settings, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from alerts import notifiers
    from alerts.runtime import AlertRuntime
    from tests.alerts.servers import http_receiver

    with http_receiver((503, {}, 0.0)) as slack, http_receiver() as hook:
        hook.default = (404, {}, 0.0)
        settings = make_settings(
            kafka_bootstrap=kafka_bootstrap,
            slack_webhook_url=SecretStr(slack.url("/services/T/B/secret")),
            webhook_url=SecretStr(hook.url()),
            alerts_console=False,
            slack_min_interval_s=0.0,
            delivery_backoff_s=0.2,
            board_db=tmp_path / "board.sqlite3",
            alert_state_db=tmp_path / "alerts.sqlite3",
        )
        ensure_topics(settings, kafka_bootstrap)
        topics = Topics(settings.topic_prefix)
        publisher = Publisher(settings, kafka_bootstrap)
        publisher.publish_all(
            topics.stances,
            [obs("support", source="a.example"), obs("support", source="b.example", hours=3)],
        )
        publisher.close()
        base = baseline(("RU", "sanctions", "oppose"))
        registry = new_registry()
        stage = AlertRuntime(settings, base, kafka_bootstrap, registry, notifiers.build(settings))
        thread = threading.Thread(target=stage.run, daemon=True)
        thread.start()
        board = BoardRuntime(settings, base, new_registry())
        try:
            assert len(slack.wait_for(2, 60)) == 2 and len(hook.wait_for(1, 60)) == 1
            consumer = board.attach(kafka_bootstrap)
            deadline = time.monotonic() + 60
            shown = ""
            while "webhook failed" not in shown or "slack delivered" not in shown:
                assert time.monotonic() < deadline, shown
                consumer.poll_once(timeout_ms=300)
                page = TestClient(board.app, base_url="http://127.0.0.1").get("/pair/RU/sanctions").text
                start = page.find('<span class="deliveries"')
                shown = " ".join(
                    re.sub(r"<[^>]+>", " ", page[start : page.find("</span></span>", start)]).split()
                )
        finally:
            stage.stop_event.set()
            thread.join(timeout=30)
            stage.close()
            board.close()
    assert shown == "Delivery: slack delivered · webhook failed"
    assert registry.get_sample_value("stancewatch_alerts_receipts_published_total") == 5.0  # 2 queued + 3
