"""One consume loop for every stage that reads a topic (processors, alerts, board).

Per batch, at-least-once and in this order:

1. poll up to ``max_records`` records (with ``fill_ms``: keep polling until the batch is full or
   ``fill_ms`` have passed in all);
2. decode each record (``decode`` raises ``MessageError`` for a bad one): a bad record is counted and
   logged by ``on_bad``, and sent to the dead-letter topic when the stage has one, else skipped;
3. ``handle`` the decoded batch: the stage's own work, which returns an ``Output`` (what to publish,
   which records are finished, a ``settle`` step);
4. publish the output's messages and wait for every acknowledgement;
5. ``settle``: the stage's state written once the broker has acknowledged what it depends on;
6. commit the offsets of the finished records, only now: a crash or a rebalance anywhere before
   redelivers the batch, never leaves a gap.

Broker outages: with a ``BrokerWatch`` every broker interaction of the loop (poll, dead letter,
publish, settle, the ``before`` step) goes through ``watch.call``: it waits with backoff for as long as
the broker is away and carries on with the batch in hand, and raises ``StopRequested`` (nothing
committed) when the stage is stopped meanwhile. ``handle`` does no broker I/O of its own except through
``ConsumeLoop.broker``. Without a watch (replay, tests), publishing is retried under ``retry`` (none:
not at all) and then raises ``PublishError``; a stage that reports errors instead of riding them out
(the board) passes ``on_error``.

A failed commit is counted (``on_commit_failure``) and logged: the records come again and the stage
skips or redoes them; ``commit_failed`` replaces that when the stage wants the failure to propagate.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from core.kafka import PublishError, Record
from core.messages import MessageError
from core.outage import BrokerWatch, StopRequested
from core.retry import RetryPolicy

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")
V = TypeVar("V")


class ConsumerLike(Protocol):
    group_id: str

    def poll_batch(self, max_records: int, timeout_ms: int) -> list[Record]: ...
    def commit(self, records: Sequence[Record]) -> None: ...
    def lag(self) -> dict[tuple[str, int], int]: ...


class PublisherLike(Protocol):
    def publish_all(self, topic: str, messages: Sequence[Any]) -> None: ...


class DeadLettersLike(Protocol):
    def send(self, record: Record, error: str) -> None: ...


@dataclass(frozen=True)
class Batch(Generic[T]):
    """One polled batch after decoding: every record, the decoded ones with their value, the bad count."""

    records: tuple[Record, ...]
    items: tuple[tuple[Record, T], ...]
    bad: int = 0


@dataclass(frozen=True)
class Output(Generic[R]):
    """What handling a batch produced.

    ``publish``: (topic, messages) to publish before anything is committed; ``done``: the records to
    commit (None: the whole batch); ``settle``: run once the publishes are acknowledged, before the
    commit (a broker interaction under the watch, so it must be safe to run again); ``result``: what
    the loop hands back to the stage.
    """

    result: R
    publish: tuple[tuple[str, Sequence[Any]], ...] = ()
    done: tuple[Record, ...] | None = None
    settle: Callable[[], None] | None = None


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


@dataclass
class ConsumeLoop(Generic[T, R]):
    """The loop of one consumer-group member; see the module docstring."""

    stage: str
    consumer: ConsumerLike
    decode: Callable[[Record], T]
    handle: Callable[[Batch[T]], Output[R]]
    publisher: PublisherLike | None = None
    dead_letters: DeadLettersLike | None = None  # None: a bad record is counted, logged and skipped
    on_bad: Callable[[Record, str], None] = lambda record, error: None
    watch: BrokerWatch | None = None
    retry: RetryPolicy | None = None  # without a watch: publish retries (None: raise at once)
    sleep: Callable[[float], None] = time.sleep
    max_records: int = 500
    timeout_ms: int = 500
    fill_ms: int | None = None  # keep polling until the batch is full or this much time has passed
    # After every poll, before handling: a broker step that returns whether it talked to the broker
    # (only then does it count as the broker answering: an idle stage must still probe it).
    before: Callable[[], bool] | None = None
    lag: Callable[[], object] | None = None  # refresh the lag gauge (diagnostics only)
    lag_every: int = 1  # polls between lag refreshes
    on_batch: Callable[[R], None] | None = None  # after each batch is committed
    on_polled: Callable[[], None] | None = None  # after each iteration that raised nothing
    on_publish_failure: Callable[[], None] = lambda: None
    on_commit_failure: Callable[[], None] = lambda: None
    commit_failed: Callable[[Sequence[Record], Exception], None] | None = None
    on_error: Callable[[Exception], None] | None = None  # None: errors propagate (or wait, with a watch)
    error_wait_s: float = 5.0
    _stop: threading.Event = field(default_factory=threading.Event, init=False, repr=False)

    # -- one broker interaction ---------------------------------------------------------------------
    def broker(self, fn: Callable[[], V], answered: Callable[[V], bool] = lambda _: True) -> V:
        """``fn()``; with a watch, retried through a broker outage (StopRequested when stopped meanwhile)."""
        return fn() if self.watch is None else self.watch.call(self._stop, fn, answered)

    # -- the steps of a batch -----------------------------------------------------------------------
    def collect(self, stop: threading.Event | None = None) -> list[Record]:
        """One poll, or with ``fill_ms`` polls until ``max_records`` or ``fill_ms`` have passed."""
        if stop is not None:
            self._stop = stop
        if self.fill_ms is None:
            return self.broker(lambda: self.consumer.poll_batch(self.max_records, self.timeout_ms), bool)
        deadline = time.monotonic() + self.fill_ms / 1000
        records: list[Record] = []
        while len(records) < self.max_records and not self._stop.is_set():
            remaining = int((deadline - time.monotonic()) * 1000)
            if remaining <= 0:
                break
            want = self.max_records - len(records)
            records.extend(self.broker(lambda: self.consumer.poll_batch(want, remaining), bool))  # noqa: B023
        return records

    def decode_all(self, records: Sequence[Record]) -> Batch[T]:
        """Decode each record; route a bad one (dead letter or skip) and count it."""
        items: list[tuple[Record, T]] = []
        bad = 0
        for record in records:
            try:
                items.append((record, self.decode(record)))
            except MessageError as exc:
                bad += 1
                error = str(exc)
                if self.dead_letters is not None:
                    dead_letters = self.dead_letters
                    self.broker(lambda: dead_letters.send(record, error))  # noqa: B023 - called at once
                else:
                    log.warning(
                        "%s: skipped %s[%d]@%d: %s",
                        self.stage,
                        record.topic,
                        record.partition,
                        record.offset,
                        error,
                    )
                self.on_bad(record, error)
        return Batch(tuple(records), tuple(items), bad)

    def publish(self, topic: str, messages: Sequence[Any]) -> None:
        """Publish and wait for every acknowledgement (through the watch, else under ``retry``)."""
        publisher = self.publisher
        if publisher is None:
            raise ValueError(f"{self.stage}: nothing to publish with")

        def once() -> None:
            try:
                publisher.publish_all(topic, messages)
            except PublishError:
                self.on_publish_failure()
                raise

        if self.watch is not None or self.retry is None:
            self.broker(once)
            return
        attempt = 0
        while True:
            attempt += 1
            try:
                once()
                return
            except PublishError as exc:
                if self.retry.gives_up(attempt):
                    raise
                wait = self.retry.delay(attempt)
                log.warning(
                    "%s: %s not acknowledged (%s); retry %d in %.1fs", self.stage, topic, exc, attempt, wait
                )
                self.sleep(wait)

    def deliver(self, records: Sequence[Record]) -> Output[R]:
        """Steps 2-5 for one batch: decode, handle, publish and wait for the acks, settle. No commit."""
        out = self.handle(self.decode_all(records))
        for topic, messages in out.publish:
            if messages:
                self.publish(topic, messages)
        if out.settle is not None:
            self.broker(out.settle)
        return out

    def commit(self, records: Sequence[Record]) -> None:
        """Commit the offsets of ``records``; a failure is counted and logged (they come again)."""
        try:
            self.consumer.commit(records)
        except Exception as exc:  # broker away or partitions moved: the records come again
            if self.commit_failed is not None:
                self.commit_failed(records, exc)
                return
            self.on_commit_failure()
            log.warning(
                "%s: commit of %d records failed (%s); they will be delivered again",
                self.stage, len(records), _first_line(exc),
            )  # fmt: skip

    def process(self, records: Sequence[Record]) -> R:
        """One batch end to end: ``deliver``, then commit what it finished."""
        out = self.deliver(records)
        self.commit(list(records) if out.done is None else out.done)
        return out.result

    def poll_once(self) -> int:
        """Poll, handle and commit one batch; return the number of records consumed."""
        records = self.collect()
        if self.before is not None:
            self.broker(self.before, answered=bool)
        if records:
            result = self.process(records)
            if self.on_batch is not None:
                self.on_batch(result)
        return len(records)

    # -- the loop -----------------------------------------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        """Consume until ``stop`` is set. With a watch, an outage is waited out; a stop requested
        meanwhile leaves the batch in hand uncommitted for the next owner."""
        self._stop = stop
        polls = 0
        try:
            while not stop.is_set():
                try:
                    self._iteration(stop, polls)
                except StopRequested:
                    raise
                except Exception as exc:
                    if self.on_error is None:
                        raise
                    self.on_error(exc)
                    stop.wait(self.error_wait_s)
                    continue
                polls += 1
        except StopRequested:
            log.info(
                "%s: stop requested while waiting for the broker; the batch in hand was not committed",
                self.stage,
            )

    def _iteration(self, stop: threading.Event, polls: int) -> None:
        if self.poll_once() == 0 and self.watch is not None:
            self.watch.idle(stop)
        if self.watch is not None and self.watch.down:
            return
        if self.lag is not None and polls % self.lag_every == 0:
            try:
                self.lag()
            except Exception as exc:  # lag is diagnostics only; never stop the stage for it
                if self.on_error is not None:
                    raise
                log.debug("%s: lag unavailable: %s", self.stage, exc)
        if self.on_polled is not None:
            self.on_polled()
