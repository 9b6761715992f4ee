"""The alert stage end to end on a real broker: observation in -> alert on the topic and every channel;
poison records dead-lettered; no duplicate alert after a restart (even one that lost its offsets)."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

import pytest
from pydantic import SecretStr

from alerts import notifiers
from alerts.runtime import AlertRuntime
from core.kafka import Consumer, Publisher, Topics, ensure_topics
from core.messages import Alert, decode
from core.metrics import new_registry

from .helpers import baseline, obs
from .servers import http_receiver, smtp_server


def consume(settings, bootstrap: str, topic: str, n: int, timeout: float = 60.0) -> list:  # type: ignore[no-untyped-def]
    consumer = Consumer(settings, f"check-{uuid.uuid4().hex[:8]}", [topic], bootstrap)
    got = []
    deadline = time.monotonic() + timeout
    try:
        while len(got) < n and time.monotonic() < deadline:
            got.extend(consumer.poll_batch(100, 500))
        # a short extra poll: more than n would be a duplicate
        got.extend(consumer.poll_batch(100, 1500))
    finally:
        consumer.close()
    return got


def start(runtime: AlertRuntime) -> threading.Thread:
    thread = threading.Thread(target=runtime.run, daemon=True)
    thread.start()
    return thread


def stop(runtime: AlertRuntime, thread: threading.Thread) -> None:
    runtime.stop_event.set()
    thread.join(timeout=30)
    runtime.close()


@pytest.mark.integration
def test_observation_in_alert_out_everywhere(kafka_bootstrap: str, make_settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    jsonl = tmp_path / "alerts.jsonl"
    base = baseline(("RU", "sanctions", "oppose"))
    with http_receiver() as slack, http_receiver() as hook, smtp_server() as (box, port):
        settings = make_settings(
            slack_webhook_url=SecretStr(slack.url("/services/T/B/secret")),
            webhook_url=SecretStr(hook.url()),
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_security="none",
            email_from="watch@example.org",
            email_to="desk@example.org",
            alerts_jsonl=jsonl,
            alerts_console=False,
            slack_min_interval_s=0.0,
        )
        ensure_topics(settings, kafka_bootstrap)
        topics = Topics(settings.topic_prefix)
        pub = Publisher(settings, kafka_bootstrap)
        history = [
            obs("support", source="a.example", hours=0, evidence="<!channel> made-up support"),
            obs("support", source="b.example", hours=3),
            obs("oppose", country="CN", topic="thaad", source="c.example", confidence=0.4),  # too weak
        ]
        pub.publish_all(topics.stances, history)
        pub.send_raw(topics.stances, [(b"RU:sanctions", b"{not json")])
        registry = new_registry()
        runtime = AlertRuntime(settings, base, kafka_bootstrap, registry, notifiers.build(settings))
        thread = start(runtime)
        try:
            assert len(slack.wait_for(1, 60)) == 1
            assert len(hook.wait_for(1, 60)) == 1
            assert len(box.wait_for(1, 60)) == 1
            records = consume(settings, kafka_bootstrap, topics.alerts, 1)
            dlq = consume(settings, kafka_bootstrap, topics.dlq("alerts"), 1)
        finally:
            stop(runtime, thread)
        alerts = [decode(Alert, r.value) for r in records]
        assert [(a.kind, a.country, a.topic, a.new_stance) for a in alerts] == [
            ("reversal", "RU", "sanctions", "support")
        ]
        assert records[0].key == b"RU:sanctions"
        assert hook.received[0].json()["id"] == alerts[0].id
        assert "&lt;!channel&gt;" in slack.received[0].body.decode()
        assert alerts[0].id in box.messages[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert [decode(Alert, line.encode()).id for line in jsonl.read_text().splitlines()] == [alerts[0].id]
        assert len(dlq) == 1 and dict(dlq[0].headers)["x-stage"] == b"alerts"
        pair = {"country": "RU", "topic": "sanctions"}
        assert registry.get_sample_value("stancewatch_stance_baseline", pair) == -1.0
        assert registry.get_sample_value("stancewatch_stance_current", pair) == 1.0
        assert registry.get_sample_value("stancewatch_alerts_fired_total", {"kind": "reversal"}) == 1.0
        assert registry.get_sample_value("stancewatch_alerts_dead_letters_total") == 1.0
        sent = {"channel": "webhook", "outcome": "ok", "reason": "ok"}
        assert registry.get_sample_value("stancewatch_alerts_sends_total", sent) == 1.0

        # restart with the same group: nothing is repeated; a restart that lost its offsets (new group)
        # re-reads every observation, which the store recognises: still no second alert anywhere
        for group in (None, "lost-offsets-" + uuid.uuid4().hex[:6]):
            again = AlertRuntime(
                settings, base, kafka_bootstrap, new_registry(), notifiers.build(settings), group_id=group
            )
            thread = start(again)
            time.sleep(6)
            stop(again, thread)
        pub.close()
        assert len(slack.received) == 1 and len(hook.received) == 1 and len(box.messages) == 1
        assert len(jsonl.read_text().splitlines()) == 1
        assert len(consume(settings, kafka_bootstrap, topics.alerts, 2, timeout=3)) == 1
