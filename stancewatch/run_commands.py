"""``stancewatch run``: the main job behind ``make run``.

Starts the project's local Kafka broker when ``STANCEWATCH_KAFKA_BOOTSTRAP`` names no cluster, creates the
topics, then runs the four stages as supervised child processes (``stancewatch ingest``,
``stancewatch classify-stream``, ``stancewatch alert``, ``stancewatch board``), each with its own
``/metrics`` port (``STANCEWATCH_METRICS_PORT`` + 0/1/2/3) and the bootstrap address in
``STANCEWATCH_KAFKA_BOOTSTRAP``; the board's address is printed at start.

The supervisor forwards SIGINT/SIGTERM to every stage and waits for their clean shutdown; when one stage
exits non-zero it stops the others and exits with that stage's code, so an outer supervisor (systemd,
Kubernetes, a shell loop) sees the failure. A broker that ``run`` started is stopped when ``run`` ends.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer

from core.broker import BrokerError, LocalBroker
from core.kafka import ensure_topics
from core.settings import Settings, from_context
from core.vocabulary import VocabularyError, load_vocabulary

log = logging.getLogger(__name__)

# (stage name, stancewatch subcommand); the order is the flow's order and decides the metrics ports.
PIPELINE: tuple[tuple[str, str], ...] = (
    ("ingest", "ingest"),
    ("classify", "classify-stream"),
    ("alert", "alert"),
    ("board", "board"),
)


@dataclass(frozen=True)
class Stage:
    """One supervised child process: its argv and the environment variables it gets on top of ours."""

    name: str
    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    metrics_port: int = 0


def pipeline_stages(
    settings: Settings, bootstrap: str, feeds: Path | None = None, python: str = sys.executable
) -> list[Stage]:
    """The stages of ``stancewatch run``: one ``python -m stancewatch <command>`` per stage."""
    stages = []
    for i, (name, command) in enumerate(PIPELINE):
        port = settings.metrics_port + i if settings.metrics_port else 0
        extra = ("--feeds", str(feeds)) if feeds is not None and command == "ingest" else ()
        env = {"STANCEWATCH_KAFKA_BOOTSTRAP": bootstrap, "STANCEWATCH_METRICS_PORT": str(port)}
        if settings.verbose:  # `stancewatch --verbose run`: the stages are verbose too
            env["STANCEWATCH_VERBOSE"] = "true"
        stages.append(Stage(name, (python, "-m", "stancewatch", command, *extra), env, port))
    return stages


def exit_code(returncode: int) -> int:
    """A child's status as a shell reports it: killed by signal N -> 128 + N."""
    return 128 - returncode if returncode < 0 else returncode


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM if the supervisor itself dies (Linux; best effort)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Supervisor:
    """Runs stages as child processes until a signal asks them to stop or one of them fails.

    ``run`` returns 0 when every stage ended cleanly (after a forwarded SIGINT/SIGTERM, or on its own),
    the exit code of the first stage that failed (the others are stopped then), or 1 when a stage had to
    be killed because it ignored the stop request for ``stop_timeout`` seconds.
    """

    def __init__(
        self,
        stages: Sequence[Stage],
        *,
        stop_timeout: float = 30.0,
        poll_interval: float = 0.2,
        base_env: Mapping[str, str] | None = None,
    ) -> None:
        self.stages = list(stages)
        self.stop_timeout = stop_timeout
        self.poll_interval = poll_interval
        self.base_env = dict(os.environ if base_env is None else base_env)
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self._stop_signal: int | None = None

    def request_stop(self, signum: int = signal.SIGTERM) -> None:
        """Ask every stage to stop (called from the signal handlers, or by an embedding program)."""
        if self._stop_signal is None:
            self._stop_signal = signum

    def run(self) -> int:
        previous = self._install_handlers()
        try:
            return self._run()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _install_handlers(self) -> dict[int, Any]:
        def handler(signum: int, _frame: FrameType | None) -> None:
            self.request_stop(signum)

        previous: dict[int, Any] = {}
        with contextlib.suppress(ValueError):  # not the main thread: the embedding program calls request_stop
            for signum in (signal.SIGINT, signal.SIGTERM):
                previous[signum] = signal.signal(signum, handler)
        return previous

    def _run(self) -> int:
        try:
            for stage in self.stages:
                self.procs[stage.name] = subprocess.Popen(
                    list(stage.argv),
                    env={**self.base_env, **stage.env},
                    stdin=subprocess.DEVNULL,
                    process_group=0,  # terminal Ctrl-C reaches only us; we forward it once
                    preexec_fn=_die_with_parent if sys.platform == "linux" else None,
                )
                log.info(
                    "started %s (pid %d): %s", stage.name, self.procs[stage.name].pid, " ".join(stage.argv)
                )
        except OSError as exc:
            log.error("cannot start a stage: %s", exc)
            self._stop_all(signal.SIGTERM)
            return 1
        finished: set[str] = set()
        while True:
            if self._stop_signal is not None:
                log.info("%s received: stopping every stage", signal.Signals(self._stop_signal).name)
                return 0 if self._stop_all(self._stop_signal) else 1
            for name, proc in self.procs.items():
                code = proc.poll()
                if code is None or name in finished:
                    continue
                finished.add(name)
                if code != 0:
                    log.error("stage %s exited with status %d: stopping the others", name, exit_code(code))
                    self._stop_all(signal.SIGTERM)
                    return exit_code(code)
                log.info("stage %s finished", name)
            if len(finished) == len(self.procs):
                return 0
            time.sleep(self.poll_interval)

    def _stop_all(self, signum: int) -> bool:
        """Forward ``signum`` to every running stage and wait; SIGKILL stragglers. True if none was killed."""
        running = {n: p for n, p in self.procs.items() if p.poll() is None}
        for proc in running.values():
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signum)
        deadline = time.monotonic() + self.stop_timeout
        clean = True
        for name, proc in running.items():
            try:
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.error(
                    "stage %s ignored %s for %.0fs: killed",
                    name,
                    signal.Signals(signum).name,
                    self.stop_timeout,
                )
                proc.kill()
                proc.wait()
                clean = False
                continue
            if proc.returncode not in (0, -signum):
                log.warning("stage %s stopped with status %d", name, exit_code(proc.returncode))
        return clean


StagesFor = Callable[[Settings, str, "Path | None"], list[Stage]]


def run(
    settings: Settings, feeds: Path | None, keep_broker: bool, stages_for: StagesFor | None = None
) -> int:
    """Broker (when local), topics, then the supervised stages; returns the exit status.

    ``stages_for(settings, bootstrap, feeds)`` builds the child commands (default: ``pipeline_stages``).
    A bad countries or topics file stops it before anything starts (exit 2), as each stage would.
    """
    try:
        load_vocabulary(settings.countries_file, settings.topics_file)
    except VocabularyError as exc:
        print(f"stancewatch run: {exc}", file=sys.stderr)
        return 2
    local: LocalBroker | None = None
    if settings.uses_local_broker:
        print(
            "stancewatch run: STANCEWATCH_KAFKA_BOOTSTRAP is not set; using the local Kafka broker",
            file=sys.stderr,
        )
        candidate = LocalBroker(settings)
        started_here = not candidate.status().running  # somebody else's broker is left running afterwards
        try:
            # the watcher stops a broker we started even if this process is killed outright
            bootstrap = candidate.ensure_running(exit_with_pid=None if keep_broker else os.getpid())
        except BrokerError as exc:
            print(f"stancewatch run: {exc}", file=sys.stderr)
            return 1
        local = candidate if started_here else None
        print(f"stancewatch run: local broker on {bootstrap}", file=sys.stderr)
    else:
        bootstrap = settings.kafka_bootstrap
    try:
        try:
            created = ensure_topics(settings, bootstrap)
        except Exception as exc:  # any Kafka failure here is fatal at start-up: say it in one line
            print(f"stancewatch run: cannot create topics on {bootstrap}: {exc}", file=sys.stderr)
            return 1
        if created:
            print(f"stancewatch run: created topics {', '.join(created)}", file=sys.stderr)
        stages = (stages_for or pipeline_stages)(settings, bootstrap, feeds)
        for stage in stages:
            where = (
                f"http://{settings.metrics_host}:{stage.metrics_port}/metrics"
                if stage.metrics_port
                else "off"
            )
            print(f"stancewatch run: {stage.name:<8} metrics {where}", file=sys.stderr)
        if any(stage.name == "board" for stage in stages):
            board = f"http://{settings.board_host}:{settings.board_port}/"
            print(f"stancewatch run: board    {board} (the stance board)", file=sys.stderr)
        return Supervisor(stages).run()
    finally:
        if local is not None and not keep_broker:
            print("stancewatch run: stopping the local broker it started", file=sys.stderr)
            local.stop()


def register(app: typer.Typer) -> None:
    """Add ``stancewatch run`` to the CLI."""

    @app.command("run")
    def run_command(
        ctx: typer.Context,
        feeds: Annotated[
            Path | None, typer.Option("--feeds", help="Feed list YAML (default: STANCEWATCH_FEEDS_FILE).")
        ] = None,
        keep_broker: Annotated[
            bool, typer.Option("--keep-broker", help="Leave a local broker started by this run running.")
        ] = False,
    ) -> None:
        """Run every stage (ingest, classify-stream, alert, board) under one supervisor; Ctrl-C stops all."""
        raise typer.Exit(run(from_context(ctx), feeds, keep_broker))
