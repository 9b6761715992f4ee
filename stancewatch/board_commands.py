"""``stancewatch board``: serve the stance board (live from Kafka, or filled offline by a replay).

Live: joins the board's consumer group on ``stances``, ``alerts``, ``deliveries`` and ``ingest-health``
in a background thread and serves the page on ``STANCEWATCH_BOARD_HOST:PORT``. ``--replay TIMELINE.jsonl``
runs the timeline through the real pipeline in-process (``stancewatch replay``: private topics, article
time), reads the replay's ``stances``, ``alerts``, ``deliveries`` and ``ingest-health`` topics into a fresh
read model (``--db`` to keep it elsewhere), then serves it. The replay's alert stage delivers to a JSON
Lines channel in a temporary directory, so the board shows real delivery states; the timeline's own
``record`` lines (poll rounds, receipts; ``stancewatch.replay``) come along. This module lives in the CLI
package because the replay drives the processors and alert stages; the board package itself imports
neither.
"""

from __future__ import annotations

import signal
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console

from alerts import baseline as alert_baseline
from alerts.channels import Notifier
from alerts.channels.jsonl import JsonlNotifier
from board.runtime import BoardRuntime, ExposureError, address, check_exposure
from core import baseline as core_baseline
from core import metrics as core_metrics
from core.baseline import Baseline, BaselineError
from core.connect import connect, serve_metrics, start_up
from core.kafka import drop_topics_with_prefixes
from core.settings import Settings, from_context
from core.vocabulary import Vocabulary, VocabularyError, load_vocabulary
from stancewatch import replay


def vocabulary_of(settings: Settings) -> Vocabulary:
    """The operator's vocabulary (``core.vocabulary``); raises VocabularyError with one line."""
    return load_vocabulary(settings.countries_file, settings.topics_file)


def live_baseline(settings: Settings, path: Path | None) -> Baseline:
    """The reviewed baseline; the live board shows "no baseline" cells rather than building one."""
    target = path or settings.baseline_path
    if path is None and not target.exists():
        print(
            f"stancewatch board: no baseline at {target} yet (the alert stage builds it); "
            "the board reads it once it appears",
            file=sys.stderr,
        )
        return Baseline()
    return core_baseline.load(target, countries=vocabulary_of(settings).country_codes)


def fill_from_replay(
    settings: Settings,
    timeline: replay.Timeline,
    base: Baseline,
    db: Path,
    console: Console,
    timeout: float = 3600.0,
) -> Settings:
    """Replay ``timeline`` through the pipeline, read its topics into the read model at ``db``; return
    the settings the board should be served with (the replay's topics, that database)."""
    with tempfile.TemporaryDirectory(prefix="stancewatch-board-replay-") as state:
        rs = replay.replay_settings(settings, Path(state), None).model_copy(update={"board_db": db})
        channels: dict[str, Notifier] = {"jsonl": JsonlNotifier(Path(state) / "alerts.jsonl")}
        fired = replay.run(rs, timeline, base, channels, console, timeout)
    bootstrap = connect(rs)
    runtime = BoardRuntime(rs, base, core_metrics.new_registry(), mode="replay")
    try:
        runtime.attach(bootstrap, f"{rs.topic_prefix}board").catch_up()
        stats = runtime.model.stats(since=datetime.now(UTC))
        ids = [a.id for a in runtime.model.alerts(limit=stats.alerts)]
        states = sum(len(v) for v in runtime.model.deliveries(ids).values())
        rounds = len(runtime.model.feed_rounds())
    finally:
        runtime.close()
    console.print(
        f"board filled: {stats.observations} observations, {stats.alerts} alerts ({len(fired)} fired), "
        f"{states} delivery states, {rounds} feed round(s)",
        markup=False,
    )
    try:
        drop_topics_with_prefixes(rs, [rs.topic_prefix], bootstrap)
    except Exception as exc:  # the board is filled; leftover private topics are only clutter
        console.print(f"could not delete the replay topics: {exc}", markup=False)
    return rs


def serve(runtime: BoardRuntime) -> None:
    """Serve until SIGINT/SIGTERM, consuming in the background when attached.

    The HTTP server runs in a thread, so these signals reach our handlers (uvicorn's own re-raise the
    signal after its shutdown, which would end the process before the consumer and database close).
    """
    s = runtime.settings
    server = runtime.make_server()
    thread = threading.Thread(target=server.run, name="board-http", daemon=True)

    def _stop(signum: int, frame: FrameType | None) -> None:
        runtime.stop_event.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    if runtime.consumer is not None:
        runtime.start_consuming()
    thread.start()
    while not server.started and thread.is_alive():
        time.sleep(0.05)
    if not thread.is_alive():  # uvicorn logged why (the port is taken, most likely)
        raise typer.Exit(1)
    print(f"stancewatch board: {address(s.board_host, s.board_port)}", file=sys.stderr, flush=True)
    while not runtime.stop_event.wait(0.5) and thread.is_alive():
        pass
    server.should_exit = True
    thread.join(timeout=15)


def board_command(
    ctx: typer.Context,
    replay_file: Annotated[
        Path | None,
        typer.Option("--replay", help="fill the board offline from a replay of this JSON Lines timeline"),
    ] = None,
    baseline: Annotated[
        Path | None, typer.Option("--baseline", help="baseline YAML (default: STANCEWATCH_BASELINE_PATH)")
    ] = None,
    db: Annotated[
        Path | None, typer.Option("--db", help="read model for --replay (default: a temporary file)")
    ] = None,
    undated: Annotated[str, typer.Option(help="--replay: undated items skip, or order them last")] = "skip",
    timeout: Annotated[float, typer.Option(help="--replay: give up after this many seconds")] = 3600.0,
) -> None:
    """Serve the stance board: who stands where, what changed, and why (see README, "The stance board")."""
    settings = from_context(ctx)
    err = Console(stderr=True)
    token = settings.board_token.get_secret_value() if settings.board_token else None
    try:
        check_exposure(settings.board_host, token)
        codes = vocabulary_of(settings).country_codes
        if replay_file is not None:
            items = replay.load_timeline(replay_file, undated)
            base = (
                core_baseline.load(baseline, countries=codes)
                if baseline is not None
                else alert_baseline.ensure(settings.baseline_path, settings.baseline_article, codes)
            )
        else:
            base = live_baseline(settings, baseline)
    except (ExposureError, replay.TimelineError, BaselineError, VocabularyError) as exc:
        print(f"stancewatch board: {exc}", file=sys.stderr)
        raise typer.Exit(2) from None
    scratch: tempfile.TemporaryDirectory[str] | None = None  # a replay's read model without --db
    if replay_file is not None:
        if db is None:
            scratch = tempfile.TemporaryDirectory(prefix="stancewatch-board-")
        target = db or Path(scratch.name if scratch else ".") / "board.sqlite3"
        try:
            with start_up("board"):
                served = fill_from_replay(settings, items, base, target, err, timeout)
        except TimeoutError as exc:
            print(f"stancewatch board: {exc}", file=sys.stderr)
            if scratch is not None:
                scratch.cleanup()
            raise typer.Exit(1) from None
        except SystemExit:
            if scratch is not None:
                scratch.cleanup()
            raise
        runtime = BoardRuntime(served, base, core_metrics.new_registry(), mode="replay")
    else:
        registry = core_metrics.new_registry()
        follow = baseline or settings.baseline_path
        runtime = BoardRuntime(settings, base, registry, baseline_file=follow)
        try:
            with start_up("board"):
                serve_metrics(settings, registry)  # first, like the other stages
                runtime.attach(connect(settings))
        except SystemExit:
            runtime.close()
            raise
    try:
        serve(runtime)
    finally:
        runtime.close()
        if scratch is not None:
            scratch.cleanup()


def register(app: typer.Typer) -> None:
    """Add ``stancewatch board`` to the CLI (wired by stancewatch.cli)."""
    app.command("board")(board_command)
