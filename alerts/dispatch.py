"""The outbox worker: delivers pending rows to their channels under the retry policy.

Per send: 2xx/accepted -> ``delivered``; a transient failure (network, 5xx, 429, SMTP 4xx) -> retried
after ``RetryPolicy.delay`` (a server's Retry-After wins); a permanent failure (other 4xx, SMTP 5xx) or
an exhausted policy -> ``failed``, logged once and counted. Rows are marked only after the channel
answered, so a crash mid-send re-delivers on restart (at-least-once). After each row is marked, its new
state goes to the receipt sink (``alerts.receipts``), which never makes the next send wait.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime

from alerts import digest
from alerts.channels import Notifier, Outcome, redact
from alerts.metrics import AlertMetrics
from alerts.outbox import Outbox
from alerts.receipts import NoReceipts, ReceiptSink, receipt
from core.retry import RetryPolicy

log = logging.getLogger(__name__)


class Dispatcher:
    def __init__(
        self,
        outbox: Outbox,
        notifiers: Mapping[str, Notifier],
        policy: RetryPolicy,
        metrics: AlertMetrics,
        secrets: Sequence[str] = (),
        digest_threshold: int = 5,
        digest_window: float = 60.0,
        digest_hold: float = 10.0,
        clock: Callable[[], float] = time.time,
        receipts: ReceiptSink | None = None,
    ) -> None:
        self._outbox = outbox
        self._notifiers = dict(notifiers)
        self._policy = policy
        self._metrics = metrics
        self._secrets = list(secrets)
        self._threshold = digest_threshold
        self._window = digest_window
        self._hold = digest_hold
        self._clock = clock
        self._receipts = receipts or NoReceipts()
        self._warned: set[str] = set()
        self.wake = threading.Event()

    def run_once(self) -> int:
        """Make every send that is due now; return how many sends were attempted."""
        attempted = 0
        for channel in self._outbox.channels_pending():
            notifier = self._notifiers.get(channel)
            if notifier is None:
                if channel not in self._warned:
                    log.warning(
                        "outbox has rows for channel %s, which is not configured; keeping them", channel
                    )
                    self._warned.add(channel)
                continue
            now = self._clock()
            rows = self._outbox.pending(channel)
            fired = self._outbox.fired_since(channel, now - self._window)
            sends = digest.plan(
                rows, fired, now, self._threshold, self._hold, notifier.digest, notifier.digest_max
            )
            for send in sends:
                self._deliver(channel, notifier, send)
                attempted += 1
        self._gauge()
        return attempted

    def _deliver(self, channel: str, notifier: Notifier, send: digest.Send) -> None:
        started = time.monotonic()
        alerts = [r.alert for r in send.rows]
        try:
            outcome = notifier.send_digest(alerts) if send.digest else notifier.send(alerts[0])
        except Exception as exc:  # a notifier bug must not stop the other channels
            outcome = Outcome(ok=False, transient=True, error=f"bug: {type(exc).__name__}")
        self._metrics.send_seconds.labels(channel).observe(time.monotonic() - started)
        ids = [r.id for r in send.rows]
        now = self._clock()
        what = f"digest of {len(ids)}" if send.digest else f"alert {alerts[0].id}"
        error = redact(outcome.error, self._secrets)
        at = datetime.fromtimestamp(now, UTC)
        if outcome.ok:
            self._outbox.delivered(ids, now)
            self._metrics.sends.labels(channel, "ok", "ok").inc()
            self._receipts.offer(
                [receipt(r.alert.id, channel, "delivered", r.attempts + 1, at=at) for r in send.rows]
            )
            log.info("%s: delivered %s", channel, what)
            return
        attempts = max(r.attempts for r in send.rows) + 1
        reason = redact(outcome.reason, self._secrets)
        if outcome.transient and not self._policy.gives_up(attempts):
            delay = self._policy.delay(attempts, outcome.retry_after)
            self._outbox.retry(ids, now + delay, error)
            self._metrics.sends.labels(channel, "retry", outcome.reason).inc()
            self._receipts.offer(
                [receipt(r.alert.id, channel, "retrying", r.attempts + 1, reason, at) for r in send.rows]
            )
            log.warning("%s: %s not delivered (%s); retry %d in %.1fs", channel, what, error, attempts, delay)
            return
        self._outbox.failed(ids, now, error)
        self._metrics.sends.labels(channel, "failed", outcome.reason).inc()
        self._receipts.offer(
            [receipt(r.alert.id, channel, "failed", r.attempts + 1, reason, at) for r in send.rows]
        )
        why = "gave up after retries" if outcome.transient else "permanent failure"
        log.error("%s: %s failed (%s): %s", channel, what, why, error)

    def pending(self) -> int:
        """Rows still waiting for delivery (for any channel)."""
        return sum(n for (_, status), n in self._outbox.counts().items() if status == "pending")

    def _gauge(self) -> None:
        counts = self._outbox.counts()
        for channel in self._notifiers:
            self._metrics.outbox_pending.labels(channel).set(counts.get((channel, "pending"), 0))

    def run(self, stop: threading.Event, idle: float = 0.5) -> None:
        """Deliver until ``stop`` is set; wakes on ``self.wake`` (new rows) or when a retry is due."""
        while not stop.is_set():
            try:
                self.run_once()
            except Exception:  # the SQLite file vanished or is locked too long: keep trying
                log.exception("dispatcher pass failed")
            nxt = self._outbox.next_due()
            wait = idle if nxt is None else max(0.05, min(idle, nxt - self._clock()))
            if self.wake.wait(wait):
                self.wake.clear()

    def close(self) -> None:
        for notifier in self._notifiers.values():
            notifier.close()
