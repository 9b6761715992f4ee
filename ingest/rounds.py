"""Poll rounds: one summary line per pass over the feeds instead of a line per poll.

``PollRounds`` collects poll outcomes (pure, not thread-safe: the service holds a lock). A round closes
when every scheduled feed has reported once since it opened, or ``max_seconds`` after it opened (feeds
with longer intervals then show as not polled). ``add`` returns the ``RoundSummary`` of the round it
closed, else None. A feed that answered 410 Gone leaves the schedule and the later rounds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from core.messages import IngestRound
from ingest.poller import PollOutcome


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


@dataclass(frozen=True)
class RoundSummary:
    """What one round of polls did, per feed (a feed polled twice in a round counts by its last poll)."""

    scheduled: int
    polled: int
    new_items: int
    with_new: int
    not_modified: int
    nothing_new: int
    failed: int
    last_error: str = ""  # "feed: error" of the last failed poll
    failed_kinds: tuple[str, ...] = ()  # the distinct results of the failed polls ("network_error", ...)

    @property
    def all_failed(self) -> bool:
        """Every feed that was polled failed: no network, DNS, or a broker that does not acknowledge."""
        return self.polled > 0 and self.failed == self.polled

    def line(self) -> str:
        """E.g. ``27 feeds: 20 new items from 5, 12 not modified, 10 failed``."""
        feeds = _count(self.scheduled, "feed")
        head = feeds if self.polled == self.scheduled else f"{self.polled} of {feeds}"
        if self.all_failed:
            every = "the only one" if self.polled == 1 else f"all {self.polled}"
            hint = (
                "is the broker up?"
                if self.failed_kinds == ("publish_error",)
                else "check the network and DNS."
            )
            return f"{head}: {every} failed (last: {self.last_error}); {hint} Still retrying."
        parts = [f"{_count(self.new_items, 'new item')} from {self.with_new}"]
        if self.not_modified:
            parts.append(f"{self.not_modified} not modified")
        if self.nothing_new:
            parts.append(f"{self.nothing_new} nothing new")
        if self.failed:
            parts.append(f"{self.failed} failed")
        return f"{head}: {', '.join(parts)}"


def round_message(
    summary: RoundSummary, source: str, poll_interval: float, ended_at: datetime
) -> IngestRound:
    """The ``ingest-health`` message of a closed round (counts and result names only: no error text,
    which may quote a feed URL with its credentials)."""
    return IngestRound(
        source=source,
        scheduled=summary.scheduled,
        polled=summary.polled,
        ok=summary.polled - summary.failed,
        failed=summary.failed,
        new_items=summary.new_items,
        failed_kinds=summary.failed_kinds,
        ended_at=ended_at,
        poll_interval_s=poll_interval,
    )


class PollRounds:
    """Collects outcomes into rounds over the scheduled feeds (see the module docstring)."""

    def __init__(self, feeds: Iterable[str], max_seconds: float) -> None:
        self.feeds = set(feeds)
        self.max_seconds = max_seconds
        self._opened: float | None = None
        self._last: dict[str, PollOutcome] = {}
        self._published: dict[str, int] = {}
        self._last_error = ""

    def add(self, outcome: PollOutcome, now: float) -> RoundSummary | None:
        """Record ``outcome`` (taken at monotonic time ``now``); the summary when it closes the round."""
        if self._opened is None:
            self._opened = now
        self._last[outcome.feed] = outcome
        self._published[outcome.feed] = self._published.get(outcome.feed, 0) + outcome.published
        if not outcome.ok:
            self._last_error = f"{outcome.feed}: {outcome.error or outcome.result}"
        done = self.feeds <= set(self._last)
        if not done and now - self._opened < self.max_seconds:
            return None
        summary = self._summary()
        self.feeds -= {name for name, o in self._last.items() if o.next_delay is None}  # gone
        self._opened, self._last, self._published, self._last_error = None, {}, {}, ""
        return summary

    def _summary(self) -> RoundSummary:
        outcomes = self._last.values()
        failed = [o for o in outcomes if not o.ok]
        ok = [o for o in outcomes if o.ok]
        with_new = [o for o in ok if self._published[o.feed]]
        not_modified = [o for o in ok if o.result == "not_modified" and not self._published[o.feed]]
        return RoundSummary(
            scheduled=len(self.feeds | set(self._last)),
            polled=len(self._last),
            new_items=sum(self._published.values()),
            with_new=len(with_new),
            not_modified=len(not_modified),
            nothing_new=len(ok) - len(with_new) - len(not_modified),
            failed=len(failed),
            last_error=self._last_error if failed else "",
            failed_kinds=tuple(sorted({o.result for o in failed})),
        )
