"""Delivery receipts: what the dispatcher reports per send, and the publisher that never blocks a delivery
and keeps receipts across a broker outage (counting what it drops). No broker here: a scripted sender
stands in for it; tests/alerts/test_stage_broker.py runs the real one."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from prometheus_client import CollectorRegistry, generate_latest

from alerts.channels import OK, Outcome
from alerts.metrics import AlertMetrics
from alerts.receipts import ReceiptPublisher, queued, receipt
from core.kafka import ACKED, Delivery
from core.messages import DeliveryReceipt
from core.retry import RetryPolicy

from .helpers import alert

SECRET = "https://hooks.slack.example/services/T0/B0/SECRETTOKEN"


class Scripted:
    """A notifier answering from a script (then OK)."""

    digest = False
    digest_max = None

    def __init__(self, name: str, *answers: Outcome) -> None:
        self.name = name
        self.answers = list(answers)

    def send(self, alert_value: object) -> Outcome:
        return self.answers.pop(0) if self.answers else OK

    def send_digest(self, alerts: Sequence[object]) -> Outcome:
        return self.send(alerts[0])

    def close(self) -> None:
        pass


class ListSink:
    def __init__(self) -> None:
        self.got: list[DeliveryReceipt] = []

    def offer(self, receipts: Sequence[DeliveryReceipt]) -> None:
        self.got.extend(receipts)


def test_the_dispatcher_reports_each_state_change_without_secrets(outbox_env) -> None:  # type: ignore[no-untyped-def]
    sink = ListSink()
    slack = Scripted(
        "slack",
        Outcome(ok=False, transient=True, status=503, error=f"HTTP 503 from {SECRET}"),
        Outcome(ok=False, transient=True, error=f"ConnectError: {SECRET}: refused"),
    )
    webhook = Scripted("webhook", Outcome(ok=False, transient=False, status=404, error="HTTP 404"))
    store, disp, clock, _ = outbox_env(
        {"slack": slack, "webhook": webhook}, policy=RetryPolicy(attempts=5, base=1.0), secrets=[SECRET],
        receipts=sink,
    )  # fmt: skip
    a = alert(alert_id="a7")
    store.commit_batch({}, [], [(a, ["slack", "webhook"])], now=clock.now)
    for _ in range(3):
        disp.run_once()
        clock.now += 100
    seen = [(r.channel, r.state, r.attempts, r.error) for r in sink.got]
    assert seen == [
        ("slack", "retrying", 1, "http_503"),
        ("webhook", "failed", 1, "http_404"),
        ("slack", "retrying", 2, "ConnectError"),
        ("slack", "delivered", 3, ""),
    ]
    assert {r.alert_id for r in sink.got} == {"a7"}
    assert all("SECRET" not in r.encode().decode() and "://" not in r.error for r in sink.got)


def test_queued_receipts_name_every_routed_channel() -> None:
    a, b = alert(alert_id="a1"), alert(alert_id="a2")
    got = [(r.alert_id, r.channel, r.state, r.attempts) for r in queued([(a, ["email", "slack"]), (b, [])])]
    assert got == [("a1", "email", "queued", 0), ("a1", "slack", "queued", 0)]


class Broker:
    """A scripted sender: answers not acknowledged while ``down``; records what it acknowledged."""

    def __init__(self, down: bool = False, delay: float = 0.0) -> None:
        self.down = down
        self.delay = delay
        self.acked: list[DeliveryReceipt] = []
        self.closed = False

    def publish_each(
        self, topic: str, messages: Sequence[DeliveryReceipt], timeout: float = 60.0
    ) -> list[Delivery]:
        time.sleep(self.delay)
        if self.down:
            return [Delivery(ok=False, error="not acknowledged: KafkaTimeoutError")] * len(messages)
        self.acked.extend(messages)
        return [ACKED] * len(messages)

    def close(self, timeout: float = 10.0) -> None:
        self.closed = True


def metrics_text(registry: CollectorRegistry) -> str:
    return generate_latest(registry).decode()


def some(n: int, channel: str = "slack") -> list[DeliveryReceipt]:
    return [receipt(f"a{i}", channel, "delivered", 1) for i in range(n)]


def wait_for(check, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_an_outage_delays_receipts_and_loses_none() -> None:
    registry = CollectorRegistry()
    broker = Broker(down=True)
    pub = ReceiptPublisher("t.deliveries", lambda: broker, AlertMetrics.build(registry), retry_s=0.05)
    pub.start()
    pub.offer(some(3))
    wait_for(lambda: 'receipts_failed_total{action="retry"} 0.0' not in metrics_text(registry))
    assert broker.acked == [] and pub.pending() == 3
    broker.down = False
    pub.offer(some(1, "email"))
    wait_for(lambda: pub.pending() == 0)
    assert [(r.alert_id, r.channel) for r in broker.acked] == [
        ("a0", "slack"), ("a1", "slack"), ("a2", "slack"), ("a0", "email"),
    ]  # fmt: skip
    pub.close()
    text = metrics_text(registry)
    assert "stancewatch_alerts_receipts_published_total 4.0" in text
    assert 'stancewatch_alerts_receipts_failed_total{action="drop"} 0.0' in text  # none lost
    assert broker.closed


def test_offer_never_waits_for_the_broker_and_drops_the_oldest_past_capacity() -> None:
    registry = CollectorRegistry()
    broker = Broker(down=True, delay=0.5)  # every publish hangs, as a send to an absent broker does
    pub = ReceiptPublisher("t.deliveries", lambda: broker, AlertMetrics.build(registry), capacity=5)
    pub.start()
    started = time.monotonic()
    for r in some(8):
        pub.offer([r])
    assert time.monotonic() - started < 0.2
    assert pub.pending() == 5
    pub.close(grace_s=0.1)  # the broker never came back: what is left is dropped, and counted
    assert 'stancewatch_alerts_receipts_failed_total{action="drop"} 8.0' in metrics_text(registry)


def test_a_broker_that_cannot_be_reached_at_start_is_a_failed_publish() -> None:
    registry = CollectorRegistry()
    calls: list[int] = []
    broker = Broker()

    def connect() -> Broker:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("cannot reach Kafka at 127.0.0.1:1")
        return broker

    pub = ReceiptPublisher("t.deliveries", connect, AlertMetrics.build(registry), retry_s=0.05)
    pub.start()
    pub.offer(some(2))
    wait_for(lambda: len(broker.acked) == 2)
    pub.close()
    assert len(calls) == 2 and 'receipts_failed_total{action="retry"} 2.0' in metrics_text(registry)


def test_the_stage_still_delivers_while_receipts_cannot_be_published(outbox_env) -> None:  # type: ignore[no-untyped-def]
    registry = CollectorRegistry()
    broker = Broker(down=True, delay=0.3)
    pub = ReceiptPublisher("t.deliveries", lambda: broker, AlertMetrics.build(registry), retry_s=0.05)
    pub.start()
    slack = Scripted("slack")
    store, disp, clock, _ = outbox_env({"slack": slack}, receipts=pub)
    store.commit_batch({}, [], [(alert(alert_id=f"a{i}"), ["slack"]) for i in range(3)], now=clock.now)
    started = time.monotonic()
    done = threading.Event()
    threading.Thread(target=lambda: (disp.run_once(), done.set()), daemon=True).start()
    assert done.wait(2.0) and time.monotonic() - started < 1.0
    assert disp.pending() == 0  # all three delivered, none waited on the receipts
    assert pub.pending() == 3
    pub.close(grace_s=0.1)


def test_receipts_offered_while_a_batch_is_in_flight_are_not_lost_with_it() -> None:
    registry = CollectorRegistry()
    broker = Broker()
    late = [receipt(f"b{i}", "email", "queued") for i in range(2)]
    calls: list[int] = []

    def publish_each(
        topic: str, messages: Sequence[DeliveryReceipt], timeout: float = 60.0
    ) -> list[Delivery]:
        if not calls:  # while the first batch is in flight, more come, past the capacity
            pub.offer(late)
        calls.append(len(messages))
        return Broker.publish_each(broker, topic, messages, timeout)

    broker.publish_each = publish_each  # type: ignore[method-assign]
    pub = ReceiptPublisher("t.deliveries", lambda: broker, AlertMetrics.build(registry), capacity=3)
    pub.offer(some(3))
    pub.start()
    wait_for(lambda: len(broker.acked) == 5)
    pub.close()
    assert [r.alert_id for r in broker.acked] == ["a0", "a1", "a2", "b0", "b1"] and calls == [3, 2]
