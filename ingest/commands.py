"""Command-line entry points of the ingest stage (registered by stancewatch.cli).

``stancewatch ingest`` runs the scheduler until SIGTERM/SIGINT (a broker that is away, at start or later,
is waited for); ``ingest --once`` polls each feed once and exits (non-zero, after one line, when the
broker is unreachable); ``feed-check`` parses feeds and prints one line each without publishing anything.
A local broker that ``ingest`` started itself is stopped when it exits (as ``stancewatch run`` does)
unless ``--keep-broker``; then its last line says that the broker keeps running and how to stop it.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from prometheus_client import CollectorRegistry

from core.connect import connect, serve_metrics, start_up
from core.kafka import Topics, bootstrap_of
from core.metrics import new_registry
from core.outage import BrokerWatch, StopRequested, broker_watch
from core.settings import Settings, from_context
from ingest.feeds import Feed, FeedListError, feed_url, load_feeds, shipped_feeds
from ingest.fetch import Fetcher
from ingest.metrics import IngestMetrics
from ingest.parse import parse_feed
from ingest.poller import Poller, PollOutcome
from ingest.publish import LazyPublisher, RoundReporter, instance_name
from ingest.rounds import PollRounds
from ingest.service import IngestService, run_once
from ingest.state import State

if TYPE_CHECKING:
    from core.broker import LocalBroker

log = logging.getLogger(__name__)


def feeds_or_fail(path: Path) -> tuple[Feed, ...]:
    try:
        return load_feeds(path)
    except FeedListError as exc:
        for problem in exc.problems:
            typer.echo(f"stancewatch ingest: {exc.source}: {problem}", err=True)
        raise typer.Exit(2) from None


@dataclass
class Pipeline:
    """The wired ingest objects of one process; ``close`` releases them."""

    poller: Poller
    publisher: LazyPublisher
    fetcher: Fetcher
    state: State

    def close(self) -> None:
        self.publisher.close()
        self.fetcher.close()
        self.state.close()


def build_pipeline(
    settings: Settings, bootstrap: str, registry: CollectorRegistry, watch: BrokerWatch | None = None
) -> Pipeline:
    state = State.in_data_dir(settings.data_dir)
    fetcher = Fetcher(settings)
    publisher = LazyPublisher(settings, bootstrap, watch)
    poller = Poller(settings, state, fetcher, publisher, Topics(settings.topic_prefix).articles,
                    IngestMetrics(registry))  # fmt: skip
    return Pipeline(poller, publisher, fetcher, state)


def describe(outcome: PollOutcome) -> str:
    text = f"{outcome.feed}: {outcome.result}"
    if outcome.result == "ok":
        text += f" entries={outcome.entries} published={outcome.published} duplicates={outcome.duplicates}"
        text += " bozo=yes" if outcome.bozo else ""
    if outcome.trimmed:
        text += f" trimmed={outcome.trimmed}"
    if outcome.refused:
        text += f" refused={outcome.refused} (refused: too large; recorded as dead letters)"
    if outcome.error and not outcome.ok:
        text += f" ({outcome.error})"
    if outcome.moved_to:
        text += f" moved-permanently-to={outcome.moved_to}"
    return text


def ingest_once(
    settings: Settings,
    feeds: tuple[Feed, ...],
    bootstrap: str,
    registry: CollectorRegistry,
    feeds_path: Path | None = None,
) -> int:
    """Poll each feed once; print one line per feed and a total; return the exit code. The pass is one
    round, reported to ``ingest-health`` unless the broker did not take the articles (then it would
    only wait for the broker again)."""
    pipeline = build_pipeline(settings, bootstrap, registry)
    try:
        outcomes = run_once(pipeline.poller, feeds, settings.fetch_concurrency)
        unsent = [o for o in outcomes if o.result == "publish_error"]
        rounds = PollRounds((f.name for f in feeds), max_seconds=float("inf"))
        summaries = [rounds.add(o, 0.0) for o in outcomes]
        if summaries and summaries[-1] is not None and not unsent:
            RoundReporter(
                pipeline.publisher,
                Topics(settings.topic_prefix).ingest_health,
                instance_name(feeds_path or settings.feeds_file or shipped_feeds()),
                pipeline.poller.metrics,
            )(summaries[-1])
    finally:
        pipeline.close()
    for outcome in outcomes:
        typer.echo(describe(outcome))
    published = sum(o.published for o in outcomes)
    typer.echo(f"polled {len(outcomes)} feed(s): published {published} article(s) to "
               f"{Topics(settings.topic_prefix).articles}")  # fmt: skip
    if unsent:
        typer.echo(f"stancewatch ingest: broker at {bootstrap} unreachable: {len(unsent)} feed(s) not "
                   "published; their items go out on the next poll", err=True)  # fmt: skip
        return 1
    return 0


def ingest_forever(
    settings: Settings,
    feeds: tuple[Feed, ...],
    bootstrap: str,
    registry: CollectorRegistry,
    stop: threading.Event,
    watch: BrokerWatch | None = None,
    feeds_path: Path | None = None,
) -> None:
    """Run the scheduler until ``stop`` is set; in-flight polls finish and state is written first.
    Each closed poll round is reported to ``ingest-health`` (``feeds_path`` names this instance there)."""
    pipeline = build_pipeline(settings, bootstrap, registry, watch)
    report = RoundReporter(
        pipeline.publisher,
        Topics(settings.topic_prefix).ingest_health,
        instance_name(feeds_path or settings.feeds_file or shipped_feeds()),
        pipeline.poller.metrics,
    )
    service = IngestService(pipeline.poller, feeds, on_round=report)
    try:
        service.start()
        stop.wait()
        log.info("ingest: stopping")
    finally:
        service.stop(wait=True)
        pipeline.close()


def ingest_daemon(
    settings: Settings,
    feeds: tuple[Feed, ...],
    exit_with_pid: int | None = None,
    feeds_path: Path | None = None,
) -> int:
    """Serve /metrics and poll until SIGTERM/SIGINT; a broker that is away at start or later is waited
    for (one line, stancewatch_broker_up 0). Returns the exit code; raises StartError (one line) when
    the metrics port is taken or the local broker cannot be started."""
    registry = new_registry()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    served = serve_metrics(settings, registry)
    watch = broker_watch("ingest", bootstrap_of(settings), registry, settings)
    try:
        bootstrap = connect(settings, watch, stop, exit_with_pid)
        ingest_forever(settings, feeds, bootstrap, registry, stop, watch, feeds_path)
    except StopRequested:
        pass
    finally:
        if served is not None:
            served[0].shutdown()
    return 0


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the stancewatch CLI."""

    @app.command("ingest")
    def ingest_command(
        ctx: typer.Context,
        once: Annotated[bool, typer.Option("--once", help="Poll each feed once, publish, exit.")] = False,
        feeds: Annotated[
            Path | None,
            typer.Option(
                "--feeds", help="Feed list YAML (default: STANCEWATCH_FEEDS_FILE, else the shipped list)."
            ),
        ] = None,
        keep_broker: Annotated[
            bool, typer.Option("--keep-broker", help="Leave a local broker started by ingest running.")
        ] = False,
    ) -> None:
        """Poll the feeds and publish new articles to the articles topic (until stopped, or --once)."""
        settings = from_context(ctx)
        feeds_path = feeds or settings.feeds_file or shipped_feeds()
        feed_list = feeds_or_fail(feeds_path)
        started = local_broker_to_start(settings)
        exit_with_pid = None if keep_broker else os.getpid()
        bootstrap = bootstrap_of(settings)
        try:
            with start_up("ingest"):
                if once:
                    bootstrap = connect(settings, exit_with_pid=exit_with_pid)
                    code = ingest_once(settings, feed_list, bootstrap, new_registry(), feeds_path)
                else:
                    code = ingest_daemon(settings, feed_list, exit_with_pid, feeds_path)
        finally:
            if started is not None and started.status().running:  # not when it failed to start
                say_what_became_of(started, bootstrap, keep_broker)
        raise typer.Exit(code)

    @app.command("feed-check")
    def feed_check_command(
        ctx: typer.Context,
        targets: Annotated[list[str], typer.Argument(help="Feed files or URLs.", metavar="PATH_OR_URL...")],
    ) -> None:
        """Fetch and parse feeds; one line each: entries, bozo, error. Publishes nothing."""
        settings = from_context(ctx)
        fetcher = Fetcher(settings)
        try:
            for target in targets:
                typer.echo(check_one(fetcher, target))
        finally:
            fetcher.close()


def local_broker_to_start(settings: Settings) -> LocalBroker | None:
    """The project's local broker when this command is about to start it, else None (a cluster is
    configured, or somebody else's broker already runs: that one is left alone)."""
    if not settings.uses_local_broker:
        return None
    from core.broker import LocalBroker

    broker = LocalBroker(settings)
    return None if broker.status().running else broker


def say_what_became_of(broker: LocalBroker, bootstrap: str, keep: bool) -> None:
    """Stop the local broker this command started, or say (last line) that it keeps running."""
    if keep:
        typer.echo(f"stancewatch ingest: the local broker on {bootstrap} keeps running; "
                   "stop it with `stancewatch broker stop`", err=True)  # fmt: skip
        return
    broker.stop()
    typer.echo(f"stancewatch ingest: stopped the local broker on {bootstrap} that it had started", err=True)


def check_one(fetcher: Fetcher, target: str) -> str:
    """One line about one feed; never raises."""
    try:
        url = feed_url(target)
        res = fetcher.fetch(url)
        if not res.succeeded:
            return f"{target}: entries=0 bozo=no error={res.kind}: {res.error}"
        parsed = parse_feed(res.body, res.headers, res.url)
        bozo = f"yes ({parsed.bozo_reason})" if parsed.bozo else "no"
        return f"{target}: entries={len(parsed.entries)} bozo={bozo} error=none"
    except Exception as exc:  # never crash on one bad feed
        return f"{target}: entries=0 bozo=no error={type(exc).__name__}: {exc}"
