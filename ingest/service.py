"""Wiring of the poller to time: one pass over all feeds (``run_once``) or an APScheduler 3 scheduler
with one job per feed (``IngestService``).

Each feed's job has jitter, ``max_instances=1`` (a slow feed never overlaps itself), ``coalesce`` (missed
runs collapse into one) and a misfire grace time. After every poll the job is rescheduled with the delay
the poll computed (ttl / Cache-Control / Expires / Retry-After / error backoff, within bounds); a feed that
answered 410 Gone has its job removed. Start-up honours each feed's persisted next-poll time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor as JobPool
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from ingest.feeds import Feed
from ingest.poller import Poller, PollOutcome
from ingest.rounds import PollRounds, RoundSummary

log = logging.getLogger(__name__)


def run_once(poller: Poller, feeds: Sequence[Feed], concurrency: int) -> list[PollOutcome]:
    """Poll every feed once, ``concurrency`` at a time (per-host politeness still applies)."""
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(feeds) or 1))) as pool:
        return list(pool.map(poller.poll, feeds))


class IngestService:
    """Runs the poller on a BackgroundScheduler until ``stop()``."""

    def __init__(
        self,
        poller: Poller,
        feeds: Sequence[Feed],
        on_round: Callable[[RoundSummary], None] = lambda summary: None,
    ) -> None:
        """``on_round`` gets each closed round's summary (in a poll's thread; it must not raise)."""
        self.poller = poller
        self.on_round = on_round
        self.feeds = tuple(feeds)
        settings = poller.settings
        self.jitter = settings.poll_jitter
        self.scheduler = BackgroundScheduler(
            executors={"default": JobPool(max_workers=settings.fetch_concurrency)},
            job_defaults={
                "max_instances": 1,
                "coalesce": True,
                "misfire_grace_time": int(max(1, settings.poll_misfire_grace)),
            },
            timezone=UTC,
        )
        self.outcomes: list[PollOutcome] = []  # the latest outcomes, for tests and status (bounded)
        # One log line per round over the feeds (a WARNING when every poll failed), not one per poll.
        self.rounds = PollRounds((f.name for f in self.feeds), max_seconds=settings.poll_interval)
        self._rounds_lock = threading.Lock()
        # Polls in progress, counted here because APScheduler's shutdown(wait=True) waits for them while
        # holding the job-store lock that their rescheduling needs: a deadlock. stop() shuts the scheduler
        # down without waiting, then waits on this.
        self._polls = threading.Condition()
        self._in_progress = 0
        self._stopping = False

    def _interval(self, feed: Feed) -> float:
        return self.poller.bounds.clamp(feed.interval or self.poller.bounds.interval)

    def _trigger(self, seconds: float) -> IntervalTrigger:
        return IntervalTrigger(seconds=max(0.001, seconds), jitter=self.jitter or None, timezone=UTC)

    def start(self) -> None:
        """Add one job per feed (first run at the persisted next poll, else soon) and start."""
        now = time.time()
        for i, feed in enumerate(self.feeds):
            fs = self.poller.state.feed(feed.name, feed.url)
            if fs.gone:
                log.warning("feed %s: answered 410 Gone earlier; not polled (fix or remove it)", feed.name)
                self.poller.metrics.gone.labels(feed.name).set(1)
                self.rounds.feeds.discard(feed.name)
                continue
            # Spread the first polls over a few seconds so start-up does not burst every host at once.
            first = max(now + (i % 50) * 0.05, fs.next_poll or 0.0)
            self.scheduler.add_job(
                self._run,
                trigger=self._trigger(self._interval(feed)),
                args=[feed],
                id=feed.name,
                name=f"poll {feed.name}",
                next_run_time=datetime.fromtimestamp(first, UTC),
            )
        self.prune()
        # Title keys only matter within the dedup window; forget older ones hourly so the table stays small.
        self.scheduler.add_job(self.prune, trigger=self._trigger(3600.0), id="_prune", name="prune titles")
        self.scheduler.start()
        log.info("ingest: scheduled %d feed(s)", len(self.feeds))

    def prune(self) -> None:
        window = self.poller.settings.dedup_title_days * 86400.0
        removed = self.poller.state.prune_titles(time.time() - window)
        if removed:
            log.info(
                "ingest: forgot %d title key(s) older than %d days",
                removed,
                self.poller.settings.dedup_title_days,
            )

    def _run(self, feed: Feed) -> None:
        with self._polls:
            if self._stopping:
                return
            self._in_progress += 1
        try:
            outcome = self.poller.poll(feed)
            self.outcomes.append(outcome)
            del self.outcomes[:-1000]
            self._report(outcome)
            if outcome.next_delay is None:
                self.scheduler.remove_job(feed.name)
            else:
                self.scheduler.reschedule_job(feed.name, trigger=self._trigger(outcome.next_delay))
        except JobLookupError:
            pass  # the scheduler is shutting down
        finally:
            with self._polls:
                self._in_progress -= 1
                self._polls.notify_all()

    def _report(self, outcome: PollOutcome) -> None:
        with self._rounds_lock:
            summary = self.rounds.add(outcome, time.monotonic())
        if summary is not None:
            log.log(logging.WARNING if summary.all_failed else logging.INFO, "ingest: %s", summary.line())
            self.on_round(summary)

    def next_run(self, feed_name: str) -> datetime | None:
        job = self.scheduler.get_job(feed_name)
        return None if job is None else job.next_run_time

    def stop(self, wait: bool = True) -> None:
        """Stop scheduling; with ``wait`` the polls in progress finish (and write their state) first."""
        if not self.scheduler.running:
            return
        with self._polls:
            self._stopping = True
        self.scheduler.shutdown(wait=False)
        if wait:
            with self._polls:
                self._polls.wait_for(lambda: self._in_progress == 0)


def seconds_until(when: datetime | None) -> float | None:
    return None if when is None else (when - datetime.now(UTC)) / timedelta(seconds=1)
