"""The shared consume loop (pure, with in-memory twins of the consumer, publisher and dead letters):
bad records are routed and counted, a failed handle or an unacknowledged publish commits nothing, and
the commit comes only after the broker acknowledged what was published."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from core.consume import Batch, ConsumeLoop, Output
from core.kafka import PublishError, Record
from core.messages import MessageError
from core.metrics import BrokerHealth, new_registry
from core.outage import BrokerWatch
from core.retry import RetryPolicy


def rec(offset: int, value: bytes) -> Record:
    return Record("in", 0, offset, b"k", value, (), 0)


@dataclass
class Twins:
    """The broker side of one loop, writing every effect to one ordered event list."""

    records: list[Record]
    events: list[str] = field(default_factory=list)
    failures: int = 0  # the next N publishes are not acknowledged
    group_id: str = "g"

    def poll_batch(self, max_records: int, timeout_ms: int) -> list[Record]:
        batch, self.records = self.records[:max_records], self.records[max_records:]
        return batch

    def commit(self, records: Sequence[Record]) -> None:
        self.events.append("commit " + ",".join(str(r.offset) for r in records))

    def lag(self) -> dict[tuple[str, int], int]:
        return {("in", 0): len(self.records)}

    def publish_all(self, topic: str, messages: Sequence[object]) -> None:
        if self.failures:
            self.failures -= 1
            self.events.append(f"nack {topic}")
            raise PublishError("not acknowledged (twin)")
        self.events.append(f"ack {topic} " + ",".join(map(str, messages)))

    def send(self, record: Record, error: str) -> None:
        self.events.append(f"dlq {record.offset}")


def number(record: Record) -> int:
    try:
        return int(record.value or b"")
    except ValueError as exc:
        raise MessageError(f"not a number: {record.value!r}") from exc


def doubled(batch: Batch[int]) -> Output[int]:
    return Output(result=len(batch.items), publish=(("out", [2 * v for _, v in batch.items]),))


def make(twins: Twins, **kw: object) -> ConsumeLoop[int, int]:
    args: dict[str, object] = {
        "stage": "test",
        "consumer": twins,
        "decode": number,
        "handle": doubled,
        "publisher": twins,
        "retry": RetryPolicy(attempts=3, base=0.0),
        "sleep": lambda _s: None,
    } | kw
    return ConsumeLoop(**args)  # type: ignore[arg-type]


def test_the_commit_comes_after_the_acknowledged_publish() -> None:
    twins = Twins([rec(0, b"1"), rec(1, b"2")])
    assert make(twins).poll_once() == 2
    assert twins.events == ["ack out 2,4", "commit 0,1"]


def test_a_bad_record_is_dead_lettered_counted_and_the_rest_continue() -> None:
    twins = Twins([rec(0, b"1"), rec(1, b"x"), rec(2, b"3")])
    bad: list[tuple[int, str]] = []
    loop = make(twins, dead_letters=twins, on_bad=lambda r, e: bad.append((r.offset, e)))
    assert loop.process(twins.poll_batch(10, 0)) == 2
    assert twins.events == ["dlq 1", "ack out 2,6", "commit 0,1,2"]
    assert bad == [(1, "not a number: b'x'")]


def test_a_bad_record_without_a_dead_letter_topic_is_logged_and_skipped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    twins = Twins([rec(7, b"x"), rec(8, b"1")])
    counted: list[int] = []
    with caplog.at_level(logging.WARNING, logger="core.consume"):
        make(twins, on_bad=lambda r, e: counted.append(r.offset)).poll_once()
    assert counted == [7]
    assert "test: skipped in[0]@7: not a number" in caplog.text
    assert twins.events == ["ack out 2", "commit 7,8"]


def test_a_failing_handle_publishes_and_commits_nothing() -> None:
    twins = Twins([rec(0, b"1")])

    def boom(batch: Batch[int]) -> Output[int]:
        raise RuntimeError("handler bug")

    with pytest.raises(RuntimeError, match="handler bug"):
        make(twins, handle=boom).poll_once()
    assert twins.events == []


def test_a_publish_not_acknowledged_is_retried_and_never_committed() -> None:
    twins = Twins([rec(0, b"1")], failures=1)
    failures: list[int] = []
    make(twins, on_publish_failure=lambda: failures.append(1)).poll_once()
    assert twins.events == ["nack out", "ack out 2", "commit 0"] and failures == [1]

    twins = Twins([rec(0, b"1")], failures=99)
    with pytest.raises(PublishError):
        make(twins).poll_once()
    assert twins.events == ["nack out"] * 3, "given up after the policy's attempts, nothing committed"


def test_with_a_watch_an_unacknowledged_publish_is_waited_out_then_committed() -> None:
    twins = Twins([rec(0, b"1")], failures=2)
    watch = BrokerWatch(
        "test", BrokerHealth(new_registry()), lambda: None, policy=RetryPolicy(attempts=2**31, base=0.0)
    )
    make(twins, watch=watch, retry=None).poll_once()
    assert twins.events == ["nack out", "nack out", "ack out 2", "commit 0"]
    assert not watch.down


def test_settle_runs_after_the_acks_and_only_the_finished_records_are_committed() -> None:
    twins = Twins([rec(0, b"1"), rec(1, b"2"), rec(2, b"3")])

    def part(batch: Batch[int]) -> Output[int]:
        return Output(
            result=1,
            publish=(("out", [batch.items[0][1]]),),
            done=batch.records[:1],
            settle=lambda: twins.events.append("settle"),
        )

    make(twins, handle=part).poll_once()
    assert twins.events == ["ack out 1", "settle", "commit 0"]


def test_a_failed_commit_is_counted_and_the_loop_keeps_going(caplog: pytest.LogCaptureFixture) -> None:
    twins = Twins([rec(0, b"1")])

    def lost(_records: object) -> None:
        raise RuntimeError("CommitFailedError: group rebalanced")

    twins.commit = lost  # type: ignore[method-assign, assignment]
    failures: list[int] = []
    make(twins, on_commit_failure=lambda: failures.append(1)).poll_once()
    assert failures == [1] and "commit of 1 records failed" in caplog.text


def test_run_reports_errors_through_on_error_and_stops_when_asked() -> None:
    twins = Twins([rec(0, b"1"), rec(1, b"2")])
    stop = threading.Event()
    errors: list[str] = []
    calls = [0]

    def flaky(batch: Batch[int]) -> Output[int]:
        calls[0] += 1
        if calls[0] == 1:
            raise RuntimeError("first batch fails")
        stop.set()
        return doubled(batch)

    loop = make(twins, handle=flaky, max_records=1, on_error=lambda e: errors.append(str(e)), error_wait_s=0)
    loop.run(stop)
    assert errors == ["first batch fails"]
    assert twins.events == ["ack out 4", "commit 1"], "the failed batch was not committed"


def test_an_idle_loop_still_probes_the_broker_when_its_before_step_did_nothing() -> None:
    twins = Twins([])
    now = [0.0]
    probes: list[float] = []
    stop = threading.Event()

    def probe() -> None:
        probes.append(now[0])
        stop.set()

    polls = [0]

    def poll(max_records: int, timeout_ms: int) -> list[Record]:
        polls[0] += 1
        now[0] += 6.0
        if polls[0] > 5:
            stop.set()
        return []

    twins.poll_batch = poll  # type: ignore[method-assign]
    watch = BrokerWatch("test", BrokerHealth(new_registry()), probe, probe_every=10.0, clock=lambda: now[0])
    make(twins, watch=watch, before=lambda: False).run(stop)
    assert probes == [12.0], "empty polls and an idle before step do not prove the broker answers"
