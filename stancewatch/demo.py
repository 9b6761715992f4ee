"""``stancewatch demo``: the whole pipeline offline, on sample feeds, with alerts in the terminal.

It starts (or reuses) the local broker, serves the sample feeds (deploy/demo/samples, invented items
marked SAMPLE, or ``--samples DIR``) from an HTTP server on 127.0.0.1, builds the baseline from the
baseline article with ``stancewatch baseline build``, runs ``classify-stream``, ``alert`` and ``ingest`` as
separate processes (their own /metrics ports, a temporary data directory, a unique topic prefix) and
watches the topics: a live status line counts articles, stance observations and alerts, and each alert is
printed as it arrives. The stance board (``stancewatch board``) runs as a fourth stage on a free port of
127.0.0.1; its address is printed when the stages start and again at the end, once it holds every alert.
It exits after the first alerts (plus ``--linger`` seconds for more) or after ``--timeout``, stopping
everything it started; the exit status is 0 only when an alert came out. With ``--hold`` (``make demo``)
it stops the pipeline but keeps the board serving the populated page until Ctrl-C.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.text import Text

from board.store import ReadModel
from core.kafka import Consumer, Topics, ensure_topics
from core.messages import Alert, MessageError, decode
from core.settings import Settings, from_context
from stancewatch.demo_parts import (
    SAMPLES_DIR,
    DemoError,
    SampleServer,
    StageProcess,
    free_port,
    group_overrides,
    sample_files,
    stage_env,
    write_feeds_file,
)

if TYPE_CHECKING:
    from core.broker import LocalBroker

# The stages, in start order: the classifier first (it loads the model while the baseline is built).
STAGES = (
    ("classify-stream", ("classify-stream",)),
    ("alert", ("alert",)),
    ("board", ("board",)),
    ("ingest", ("ingest",)),
)
BOARD_CATCH_UP_S = 30.0


@dataclass
class Counts:
    articles: int = 0
    stances: int = 0
    alerts: list[Alert] = field(default_factory=list)


def alert_lines(alert: Alert) -> Text:
    """How one alert is shown; third-party text is plain text, never markup."""
    head = Text.assemble(
        ("ALERT ", "bold red"),
        (f"{alert.kind} ", "bold"),
        f"{alert.country} on {alert.topic}: {alert.baseline_stance or 'no baseline'} -> {alert.new_stance} ",
        (f"(confidence {alert.confidence:.2f})", "dim"),
    )
    for ev in alert.evidence[:3]:
        head.append(f'\n    "{ev.sentence}"', style="italic")
        source = " ".join(filter(None, (ev.title, f"<{ev.url}>" if ev.url else "")))
        if source:
            head.append(f"  {source}", style="dim")
    if alert.baseline_evidence:
        head.append(f'\n    baseline: "{alert.baseline_evidence}"', style="dim")
    return head


def demo_console(**options: Any) -> Console:
    """The demo's console: long lines are left to the terminal (or the file) to wrap, never cut into
    lines at 80 columns mid-phrase; ``options`` go to rich's Console (tests pass a file and a width)."""
    return Console(soft_wrap=True, **options)


def status_line(counts: Counts, phase: str, started: float, stages: dict[str, StageProcess]) -> Text:
    running = " ".join(
        f"{name}:{'up' if proc.exit_code() is None else f'exit {proc.exit_code()}'}"
        for name, proc in stages.items()
    )
    return Text.assemble(
        (f"{time.monotonic() - started:4.0f}s ", "bold"),
        f"{phase} | ",
        (f"articles {counts.articles}", "cyan"),
        " | ",
        (f"stances {counts.stances}", "cyan"),
        " | ",
        (f"alerts {len(counts.alerts)}", "bold red" if counts.alerts else "cyan"),
        f" | {running or 'no stage yet'}",
    )


@dataclass(frozen=True)
class DemoOptions:
    samples: Path
    baseline_article: Path
    timeout: float
    linger: float
    keep: bool
    hold: bool = False


class Demo:
    """One demo run; ``run`` returns the exit status and always stops what it started."""

    def __init__(self, settings: Settings, options: DemoOptions, console: Console) -> None:
        self.settings = settings
        self.options = options
        self.console = console
        self.workdir = Path(tempfile.mkdtemp(prefix="stancewatch-demo-"))
        self.prefix = f"demo{uuid.uuid4().hex[:8]}."
        self.stages: dict[str, StageProcess] = {}
        self.counts = Counts()
        self._stop_broker: LocalBroker | None = None
        self.board_port = free_port()

    def run(self) -> int:
        ok = False
        try:
            ok = self._run()
            return 0 if ok else 1
        except DemoError as exc:
            self.console.print(f"[red]stancewatch demo: {escape(str(exc))}[/red]")
            return 1
        except KeyboardInterrupt:
            self.console.print("stancewatch demo: interrupted")
            return 130
        finally:
            self._shutdown(keep_files=self.options.keep or not ok)

    def _run(self) -> bool:
        files = sample_files(self.options.samples)
        if not self.options.baseline_article.is_file():
            raise DemoError(
                f"baseline article {self.options.baseline_article} not found "
                "(--baseline-article PATH or STANCEWATCH_BASELINE_ARTICLE)"
            )
        bootstrap = self._broker()
        settings = self.settings.model_copy(
            update={"topic_prefix": self.prefix, "kafka_bootstrap": bootstrap}
        )
        ensure_topics(settings, bootstrap)
        with SampleServer(self.options.samples) as server:
            feeds_file = write_feeds_file(files, server.base_url, self.workdir / "feeds.yaml")
            common = {
                "kafka_bootstrap": bootstrap,
                "topic_prefix": self.prefix,
                "feeds_file": feeds_file,
                "baseline_path": self.workdir / "baseline.yaml",
                "baseline_article": self.options.baseline_article,
                "alerts_jsonl": self.workdir / "alerts.jsonl",
                "alerts_console": "false",
                "poll_jitter": 0,
                "metrics_host": "127.0.0.1",
                "verbose": self.settings.verbose,
                **group_overrides(self.prefix),
            }
            self._describe(server.base_url, files)
            return self._watch(settings, bootstrap, common)

    def _broker(self) -> str:
        if self.settings.kafka_bootstrap:
            return self.settings.kafka_bootstrap
        from core.broker import LocalBroker

        broker = LocalBroker(self.settings)
        already = broker.status().running
        with self.console.status("starting the local Kafka broker..."):
            address = broker.ensure_running(exit_with_pid=os.getpid())
        if not already:
            self._stop_broker = broker
        self.console.print(f"broker: {address} ({'already running' if already else 'started by the demo'})")
        return address

    @property
    def board_url(self) -> str:
        return f"http://127.0.0.1:{self.board_port}/"

    def _stage(self, name: str, args: tuple[str, ...], common: dict[str, object]) -> StageProcess:
        port = free_port() if name != "baseline" else 0
        data_dir = self.workdir / name
        data_dir.mkdir(exist_ok=True)
        overrides = {**common, "data_dir": data_dir, "metrics_port": port}
        if name == "board":
            overrides.update(board_host="127.0.0.1", board_port=self.board_port)
        env = stage_env(os.environ, overrides)
        proc = StageProcess(name, args, env, self.workdir / f"{name}.log", metrics_port=port)
        self.stages[name] = proc
        return proc

    def _describe(self, base_url: str, files: list[Path]) -> None:
        self.console.print(f"sample feeds: {base_url}/ ({', '.join(p.name for p in files)})")
        self.console.print(f"topics: {self.prefix}articles -> {self.prefix}stances -> {self.prefix}alerts")
        # Named only when it outlives the demo (--keep); a failed run names it at the end, where it is kept.
        if self.options.keep:
            self.console.print(f"work dir (logs, state, baseline.yaml, alerts.jsonl; kept): {self.workdir}")

    def _watch(self, settings: Settings, bootstrap: str, common: dict[str, object]) -> bool:
        topics = Topics(self.prefix)
        watcher = Consumer(
            settings, f"{self.prefix}watch", [topics.articles, topics.stances, topics.alerts], bootstrap
        )
        started = time.monotonic()
        deadline = started + self.options.timeout
        first_alert: float | None = None
        article, target = str(self.options.baseline_article), str(common["baseline_path"])
        baseline_args = ("baseline", "build", article, "-o", target)
        self._stage(*STAGES[0], common).start()
        baseline = self._stage("baseline", baseline_args, common).start()
        phase = "building baseline"
        try:
            # A terminal gets a live status line; a file or pipe gets it once, whole, at the end (rich
            # would crop its last frame at the console width).
            live_line = self.console.is_terminal
            with Live(console=self.console, refresh_per_second=4, transient=not live_line) as live:
                while time.monotonic() < deadline:
                    if phase.startswith("building") and baseline.exit_code() is not None:
                        if baseline.exit_code() != 0:
                            raise DemoError(f"baseline build failed:\n{baseline.log_tail()}")
                        for name, args in STAGES[1:]:
                            self._stage(name, args, common).start()
                        self._print_metrics(live)
                        phase = "watching"
                    self._check_alive(skip=("baseline",))
                    for record in watcher.poll_batch(500, 250):
                        self._count(record.topic, record.value, topics, live)
                    if self.counts.alerts and first_alert is None:
                        first_alert = time.monotonic()
                    if first_alert is not None and time.monotonic() - first_alert >= self.options.linger:
                        break
                    live.update(status_line(self.counts, phase, started, self.stages))
                live.update(status_line(self.counts, "done", started, self.stages))
            if not live_line:
                self.console.print(status_line(self.counts, "done", started, self.stages))
        finally:
            watcher.close()
        elapsed = time.monotonic() - started
        if self.counts.alerts:
            self.console.print(
                f"[green]{len(self.counts.alerts)} alert(s) from {self.counts.articles} article(s) and "
                f"{self.counts.stances} stance observation(s) in {elapsed:.0f}s[/green]"
            )
            self._board_end()
            return True
        self.console.print(
            f"[red]no alert within {self.options.timeout:.0f}s; logs kept in {self.workdir}[/red]"
        )
        return False

    def _print_metrics(self, live: Live) -> None:
        for name, proc in self.stages.items():
            if proc.metrics_url:
                live.console.print(f"metrics: {name:<16} {proc.metrics_url}")
        live.console.print(f"board: {self.board_url}")

    def _board_counts(self) -> tuple[int, int]:
        """(observations, alerts) in the board stage's read model so far."""
        path = self.workdir / "board" / "board.sqlite3"
        if not path.exists():
            return 0, 0
        model = ReadModel(path)
        try:
            stats = model.stats(since=datetime.now(UTC))
        finally:
            model.close()
        return stats.observations, stats.alerts

    def _board_end(self) -> None:
        """Wait until the board holds every alert seen; print its address; with --hold, keep serving it."""
        deadline = time.monotonic() + BOARD_CATCH_UP_S
        observations, alerts = self._board_counts()
        while alerts < len(self.counts.alerts) and time.monotonic() < deadline:
            time.sleep(0.5)
            observations, alerts = self._board_counts()
        self.console.print(
            f"board: {self.board_url} ({observations} observation(s), {alerts} alert(s))", markup=False
        )
        if not self.options.hold:
            return
        for name, proc in self.stages.items():
            if name != "board":
                proc.stop()
        board = self.stages["board"]
        self.console.print("the pipeline is stopped; the board stays up until Ctrl-C", markup=False)
        previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
        try:
            with contextlib.suppress(KeyboardInterrupt):
                while board.exit_code() is None:
                    time.sleep(0.5)
        finally:
            signal.signal(signal.SIGTERM, previous)

    def _check_alive(self, skip: tuple[str, ...]) -> None:
        for name, proc in self.stages.items():
            code = proc.exit_code()
            if name not in skip and code is not None:
                raise DemoError(f"stage {name} exited with status {code}:\n{proc.log_tail()}")

    def _count(self, topic: str, value: bytes | None, topics: Topics, live: Live) -> None:
        if topic == topics.articles:
            self.counts.articles += 1
        elif topic == topics.stances:
            self.counts.stances += 1
        elif topic == topics.alerts:
            try:
                alert = decode(Alert, value)
            except MessageError as exc:
                live.console.print(f"undecodable alert skipped: {escape(str(exc))}")
                return
            self.counts.alerts.append(alert)
            live.console.print(alert_lines(alert))

    def _shutdown(self, keep_files: bool) -> None:
        for proc in reversed(list(self.stages.values())):
            proc.stop()
        if self._stop_broker is not None:
            self._stop_broker.stop()
            self.console.print("broker: stopped (the demo had started it)")
        if keep_files:
            self.console.print(f"logs and state kept in {self.workdir}")
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)


def register(app: typer.Typer) -> None:
    """Add ``stancewatch demo`` to the CLI."""

    @app.command("demo")
    def demo_command(
        ctx: typer.Context,
        samples: Annotated[
            Path | None,
            typer.Option("--samples", help="Directory of feed files to serve (default: the samples)."),
        ] = None,
        baseline_article: Annotated[
            Path | None,
            typer.Option("--baseline-article", help="Article to build the baseline from (default: setting)."),
        ] = None,
        timeout: Annotated[float, typer.Option(help="Give up after this many seconds.")] = 900.0,
        linger: Annotated[float, typer.Option(help="Seconds to keep watching after the first alert.")] = 15.0,
        keep: Annotated[bool, typer.Option("--keep", help="Keep the work dir (logs, state).")] = False,
        hold: Annotated[
            bool, typer.Option("--hold", help="After the alerts, keep the board serving until Ctrl-C.")
        ] = False,
    ) -> None:
        """Offline demo: local broker, sample feeds, baseline, every stage; alerts in the terminal."""
        settings = from_context(ctx)
        article = baseline_article or settings.baseline_article
        if article is None:
            typer.echo(
                "stancewatch demo: set STANCEWATCH_BASELINE_ARTICLE to the baseline article file "
                "(or --baseline-article PATH)",
                err=True,
            )
            raise typer.Exit(2)
        options = DemoOptions(
            samples=(samples or SAMPLES_DIR).resolve(),
            baseline_article=article.resolve(),
            timeout=timeout,
            linger=linger,
            keep=keep,
            hold=hold,
        )
        raise typer.Exit(Demo(settings, options, demo_console()).run())
