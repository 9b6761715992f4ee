"""One summary line per round of polls, and a warning as soon as a whole round failed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, generate_latest

from core.kafka import Delivery
from core.messages import IngestRound, decode
from core.settings import load_settings
from ingest.metrics import IngestMetrics
from ingest.poller import PollOutcome
from ingest.publish import RoundReporter
from ingest.rounds import PollRounds, RoundSummary, round_message

T_END = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)


def ok(feed: str, published: int = 0) -> PollOutcome:
    return PollOutcome(feed, "ok", entries=published, published=published, next_delay=900)


def not_modified(feed: str) -> PollOutcome:
    return PollOutcome(feed, "not_modified", next_delay=900)


def failed(feed: str, error: str = "connect: [Errno -3] Temporary failure in name resolution") -> PollOutcome:
    return PollOutcome(feed, "network_error", error=error, next_delay=1200)


def test_a_round_closes_when_every_feed_reported_and_reads_as_one_line() -> None:
    names = [f"f{i}" for i in range(27)]
    rounds = PollRounds(names, max_seconds=900)
    outcomes = [ok(n, 4) for n in names[:5]]
    outcomes += [not_modified(n) for n in names[5:17]]
    outcomes += [failed(n) for n in names[17:]]
    summaries = [rounds.add(o, now=float(i)) for i, o in enumerate(outcomes)]
    assert summaries[:-1] == [None] * 26
    last = summaries[-1]
    assert last is not None and not last.all_failed
    assert last.line() == "27 feeds: 20 new items from 5, 12 not modified, 10 failed"


def test_every_feed_failing_is_flagged_at_the_end_of_the_first_round() -> None:
    rounds = PollRounds(["a", "b"], max_seconds=900)
    assert rounds.add(failed("a"), now=0.0) is None
    summary = rounds.add(failed("b", "dns: no such host"), now=1.0)
    assert summary is not None and summary.all_failed
    assert summary.line() == (
        "2 feeds: all 2 failed (last: b: dns: no such host); check the network and DNS. Still retrying."
    )


def test_a_round_that_only_failed_to_publish_points_at_the_broker() -> None:
    rounds = PollRounds(["a"], max_seconds=900)
    summary = rounds.add(PollOutcome("a", "publish_error", error="not acknowledged", next_delay=60), now=0.0)
    assert summary is not None
    assert (
        summary.line()
        == "1 feed: the only one failed (last: a: not acknowledged); is the broker up? Still retrying."
    )


def test_a_feed_polled_twice_counts_once_and_its_items_add_up() -> None:
    rounds = PollRounds(["a", "b"], max_seconds=900)
    assert rounds.add(ok("a", 2), now=0.0) is None
    assert rounds.add(ok("a", 1), now=1.0) is None
    summary = rounds.add(ok("b"), now=2.0)
    assert summary is not None
    assert summary.line() == "2 feeds: 3 new items from 1, 1 nothing new"


def test_a_round_also_closes_after_max_seconds_naming_how_many_were_polled() -> None:
    rounds = PollRounds(["a", "b", "slow"], max_seconds=60)
    assert rounds.add(ok("a", 1), now=0.0) is None
    summary = rounds.add(not_modified("b"), now=61.0)
    assert summary is not None
    assert summary.line() == "2 of 3 feeds: 1 new item from 1, 1 not modified"
    assert rounds.add(failed("slow"), now=62.0) is None, "a new round opened"


def test_a_gone_feed_leaves_the_later_rounds() -> None:
    rounds = PollRounds(["a", "gone"], max_seconds=900)
    rounds.add(ok("a"), now=0.0)
    summary = rounds.add(PollOutcome("gone", "gone", error="410", next_delay=None), now=1.0)
    assert summary is not None and summary.failed == 1
    following = rounds.add(ok("a", 1), now=2.0)
    assert following is not None and following.line() == "1 feed: 1 new item from 1"


def test_a_closed_round_becomes_an_ingest_health_message_without_error_text() -> None:
    secret_url = "https://user:s3cret@feeds.example/private.xml"
    rounds = PollRounds(["a", "b", "c", "d"], max_seconds=900)
    for o in (ok("a", 3), not_modified("b"), failed("c", f"connect {secret_url} refused")):
        assert rounds.add(o, now=0.0) is None
    summary = rounds.add(PollOutcome("d", "http_error", error=f"404 at {secret_url}"), now=1.0)
    assert summary is not None
    msg = round_message(summary, "host:feeds.yaml", 900.0, T_END)
    assert (msg.scheduled, msg.polled, msg.ok, msg.failed, msg.new_items) == (4, 4, 2, 2, 3)
    assert msg.failed_kinds == ("http_error", "network_error") and msg.ended_at == T_END
    assert "s3cret" not in msg.encode().decode() and "feeds.example" not in msg.encode().decode()
    assert decode(IngestRound, msg.encode()) == msg


class Answers:
    """A publisher that acknowledges (or not) and remembers what it was given."""

    def __init__(self, ok: bool) -> None:
        self.ok = ok
        self.sent: list[tuple[str, IngestRound]] = []
        self.settings = load_settings(poll_interval=600.0)

    def publish_each(self, topic: str, messages: Sequence[IngestRound]) -> list[Delivery]:
        self.sent += [(topic, m) for m in messages]
        return [Delivery(ok=self.ok, error="" if self.ok else "not acknowledged: KafkaTimeoutError")]


def test_the_reporter_publishes_each_round_and_counts_one_it_could_not() -> None:
    registry = CollectorRegistry()
    metrics = IngestMetrics(registry)
    summary = RoundSummary(3, 3, 5, 2, 0, 0, 1, failed_kinds=("network_error",))
    for acked in (True, False):
        answers = Answers(acked)
        RoundReporter(answers, "t.ingest-health", "h:feeds.yaml", metrics)(summary)  # type: ignore[arg-type]
        [(topic, sent)] = answers.sent
        assert topic == "t.ingest-health" and (sent.ok, sent.failed, sent.poll_interval_s) == (2, 1, 600.0)
    text = generate_latest(registry).decode()
    assert 'stancewatch_ingest_round_reports_total{outcome="published"} 1.0' in text
    assert 'stancewatch_ingest_round_reports_total{outcome="failed"} 1.0' in text
