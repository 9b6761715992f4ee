"""Delivery receipts: each change of a channel's delivery state of an alert, published to ``deliveries``.

The outbox (``alerts.outbox``) stays the record of delivery; receipts are what other stages (the board)
may see of it. ``queued`` is sent when an alert is enqueued for its routed channels, ``delivered``,
``retrying`` (with the attempts so far and a short reason) and ``failed`` by the dispatcher after each
send. The reason is the send's low-cardinality reason (``http_503``, an error class), redacted of the
configured secrets and stripped of URLs by the message itself (``core.messages.short_reason``).

``ReceiptPublisher`` never makes a delivery wait and never loses one: ``offer`` only appends to a bounded
queue in memory and returns; its own thread publishes with its own producer (made on first use, so a
broker that is away at start is just a failed publish). A receipt the broker does not acknowledge is
kept and sent again after a pause (``RETRY_S``), so an outage delays receipts; they are *dropped* only
when more than ``capacity`` wait (the oldest go first), when the broker refuses one as too large, or
when the stage stops with some still unsent (after ``close``'s grace) or offers them after it stopped.
Every drop is counted (``stancewatch_alerts_receipts_failed_total{action="drop"}``) and logged (once
until receipts are published again); each unacknowledged publish is counted with ``action="retry"``.
A dropped receipt leaves the board showing an older state of that channel (a later receipt of the same
alert and channel still corrects it).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from alerts.metrics import AlertMetrics
from core.kafka import Delivery
from core.messages import Alert, DeliveryReceipt, DeliveryState, utcnow

log = logging.getLogger(__name__)

RETRY_S = 2.0  # pause after a publish the broker did not acknowledge
CAPACITY = 10_000  # receipts held while the broker is away before the oldest are dropped
BATCH = 500


class ReceiptSink(Protocol):
    """Where the stage and the dispatcher hand receipts; must return at once."""

    def offer(self, receipts: Sequence[DeliveryReceipt]) -> None: ...


class NoReceipts:
    """A sink that keeps nothing (receipts off: tests, tools)."""

    def offer(self, receipts: Sequence[DeliveryReceipt]) -> None:
        pass


class ReceiptSender(Protocol):
    """What the publisher thread needs from ``core.kafka.Publisher``."""

    def publish_each(
        self, topic: str, messages: Sequence[DeliveryReceipt], timeout: float = 60.0
    ) -> list[Delivery]: ...

    def close(self, timeout: float = 10.0) -> None: ...


def receipt(
    alert_id: str,
    channel: str,
    state: DeliveryState,
    attempts: int = 0,
    error: str = "",
    at: datetime | None = None,
) -> DeliveryReceipt:
    return DeliveryReceipt(
        alert_id=alert_id,
        channel=channel,
        state=state,
        attempts=attempts,
        error=error if state in ("retrying", "failed") else "",
        at=at or utcnow(),
    )


def queued(
    routed: Sequence[tuple[Alert, Sequence[str]]], at: datetime | None = None
) -> list[DeliveryReceipt]:
    """A ``queued`` receipt per (alert, routed channel)."""
    when = at or utcnow()
    return [receipt(a.id, c, "queued", at=when) for a, channels in routed for c in channels]


class ReceiptPublisher:
    """Publishes receipts from its own thread (see the module docstring for what is kept and dropped)."""

    def __init__(
        self,
        topic: str,
        make_sender: Callable[[], ReceiptSender],
        metrics: AlertMetrics,
        capacity: int = CAPACITY,
        retry_s: float = RETRY_S,
        timeout_s: float = 10.0,
    ) -> None:
        self.topic = topic
        self._make_sender = make_sender
        self._metrics = metrics
        self._capacity = capacity
        self._retry_s = retry_s
        self._timeout_s = timeout_s
        self._queue: deque[tuple[int, DeliveryReceipt]] = deque()  # (sequence number, receipt)
        self._seq = 0
        self._cond = threading.Condition()
        self._closing = False
        self._sender: ReceiptSender | None = None
        self._failing = False
        self._dropping = False  # a drop was logged; quiet until a publish succeeds again
        self._thread = threading.Thread(target=self._run, name="alerts-receipts", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def offer(self, receipts: Sequence[DeliveryReceipt]) -> None:
        """Queue ``receipts``; never blocks on the broker."""
        if not receipts:
            return
        with self._cond:
            if self._closing:
                over, why = len(receipts), "offered after the stage stopped"
            else:
                for r in receipts:
                    self._seq += 1
                    self._queue.append((self._seq, r))
                over, why = len(self._queue) - self._capacity, f"more than {self._capacity} waiting"
                for _ in range(max(0, over)):
                    self._queue.popleft()
                self._cond.notify()
        if over > 0:
            self._drop(over, why)

    def pending(self) -> int:
        with self._cond:
            return len(self._queue)

    def _drop(self, n: int, why: str) -> None:
        self._metrics.receipts_failed.labels("drop").inc(n)
        if not self._dropping:
            self._dropping = True
            log.warning(
                "alerts: dropped %d delivery receipt(s) (%s); the deliveries themselves go on (more drops "
                "are counted in stancewatch_alerts_receipts_failed_total)",
                n,
                why,
            )

    def _next_batch(self) -> list[tuple[int, DeliveryReceipt]]:
        with self._cond:
            while not self._queue and not self._closing:
                self._cond.wait()
            return [self._queue[i] for i in range(min(BATCH, len(self._queue)))]

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            if not batch:
                return  # closing, nothing left
            outcome = self.publish_once(batch)
            if outcome == "retry":
                with self._cond:
                    if self._closing:
                        return
                    self._cond.wait(self._retry_s)

    def publish_once(self, batch: Sequence[tuple[int, DeliveryReceipt]]) -> str:
        """Send ``batch`` (the head of the queue); remove what was acknowledged or refused for good.
        Returns "ok" or "retry" (some were not acknowledged and stay at the head)."""
        try:
            if self._sender is None:
                self._sender = self._make_sender()
            messages = [r for _, r in batch]
            results = self._sender.publish_each(self.topic, messages, timeout=self._timeout_s)
        except Exception as exc:  # no broker to connect to (PublishError), or a client error
            results = [Delivery(ok=False, error=f"{type(exc).__name__}: {exc}")] * len(batch)
        done = 0
        for r in results:  # in order: stop at the first not acknowledged, keep it and the rest
            if not (r.ok or r.too_large):
                break
            done += 1
        ok = sum(1 for r in results[:done] if r.ok)
        too_large = done - ok
        with self._cond:  # by sequence number: offer() may have dropped some of the batch meanwhile
            last = batch[done - 1][0] if done else 0
            while self._queue and self._queue[0][0] <= last:
                self._queue.popleft()
        self._metrics.receipts_published.inc(ok)
        if too_large:
            self._drop(too_large, "refused as too large")
        if done == len(batch):
            if self._failing:
                log.info("alerts: delivery receipts are published again")
            self._failing = self._dropping = False
            return "ok"
        self._metrics.receipts_failed.labels("retry").inc(len(batch) - done)
        if not self._failing:
            first = (results[done].error.splitlines() or [""])[0][:200]
            log.warning("alerts: delivery receipts not acknowledged (%s); kept and retried", first)
            self._failing = True
        return "retry"

    def close(self, grace_s: float = 5.0) -> None:
        """Stop the thread after at most ``grace_s`` to publish what is queued; drop (count) the rest."""
        deadline = time.monotonic() + grace_s
        while (
            self.pending() and time.monotonic() < deadline and self._thread.is_alive() and not self._failing
        ):
            time.sleep(0.05)
        with self._cond:
            self._closing = True
            left = len(self._queue)
            self._queue.clear()
            self._cond.notify_all()
        if self._thread.is_alive():  # a publish in progress: a send and a flush, each bounded by timeout_s
            self._thread.join(timeout=2 * self._timeout_s + 1)
        if left:
            self._dropping = False  # the last word of this stage on receipts: always logged
            self._drop(left, "the stage stopped before the broker acknowledged them")
        if self._sender is not None:
            self._sender.close()
