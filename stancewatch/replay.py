"""``stancewatch replay``: run dated history through the real pipeline and write every alert.

TIMELINE is JSON Lines in the classify input format (``{"id", "text", "title"?, "date"?, "url"?}``).
Articles are published to a private set of topics (unique prefix, one partition, so the date order
holds) on the configured cluster or the project's local broker. Both stages then run **in-process,
through their public service objects** - the processors stage's ``StanceStream`` and the alert stage's
``AlertRuntime`` - driven in turns by this command, which therefore knows exactly when every article
went through. Time is article time: each ``Article.published`` is the item's date, the detector takes
"now" from it, so corroboration windows span days of history, not seconds of replay. The alert stage
keeps its state in a fresh temporary store and delivers through its outbox to the JSON Lines channel
(``-o``; ``--notify`` also to the configured Slack/email/webhook channels). Alerts also go to stdout.

A timeline may also carry what the other stages report about themselves, one line each, in their wire
fields with a ``record`` tag: ``{"record": "ingest_round", "source", "scheduled", "polled", "ok",
"failed", "new_items", "ended_at", "poll_interval_s"}`` (``core.messages.IngestRound``) and ``{"record":
"delivery", "alert_id", "channel", "state", "attempts"?, "error"?, "at"}`` (``DeliveryReceipt``). They
are published as they are to the replay's ``ingest-health`` and ``deliveries`` topics (the board shows
them), next to the receipts the replay's own alert stage publishes for its channels.
"""

from __future__ import annotations

import json
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from alerts import baseline as alert_baseline
from alerts import notifiers
from alerts.channels import Notifier
from alerts.channels.jsonl import JsonlNotifier
from alerts.runtime import AlertRuntime
from core import baseline as core_baseline
from core.baseline import Baseline, BaselineError
from core.connect import connect, start_up
from core.kafka import Publisher, Topics
from core.messages import Alert, Article, DeliveryReceipt, IngestRound
from core.metrics import new_registry
from core.settings import Settings, from_context
from core.vocabulary import VocabularyError, load_vocabulary
from stancewatch.replay_score import load_labels, score


class TimelineError(ValueError):
    """The timeline cannot be read at all."""


@dataclass(frozen=True)
class Timeline:
    articles: tuple[Article, ...]
    undated: int  # skipped, or ordered last (see ``undated``)
    bad: int  # lines that were not valid items (counted, reported once)
    rounds: tuple[IngestRound, ...] = ()  # "record": "ingest_round" lines
    receipts: tuple[DeliveryReceipt, ...] = ()  # "record": "delivery" lines

    @property
    def records(self) -> int:
        return len(self.rounds) + len(self.receipts)


RECORDS: dict[str, type[IngestRound] | type[DeliveryReceipt]] = {
    "ingest_round": IngestRound,
    "delivery": DeliveryReceipt,
}


def parse_record(row: dict[str, object]) -> IngestRound | DeliveryReceipt | None:
    """The message of a ``record`` line; None when its kind is unknown or its fields do not validate."""
    model = RECORDS.get(str(row.get("record")))
    if model is None:
        return None
    try:
        return model.model_validate({k: v for k, v in row.items() if k != "record"})
    except ValueError:  # pydantic's ValidationError
        return None


def parse_date(value: object) -> datetime | None:
    """``YYYY-MM-DD``, ``YYYY-MM`` (first of the month) or an ISO timestamp; None when absent or bad."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    for fmt in ("%Y-%m-%d", "%Y-%m"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            pass
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def load_timeline(path: Path, undated: str = "skip") -> Timeline:
    """Dated articles in date order; undated ones skipped or (``undated="last"``) dated after the rest."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise TimelineError(f"{path}: {exc.strerror}") from None
    dated: list[tuple[datetime, str, dict[str, object]]] = []
    later: list[dict[str, object]] = []
    reports: list[IngestRound | DeliveryReceipt] = []
    bad = 0
    for line in lines:
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            bad += 1
            continue
        if isinstance(row, dict) and "record" in row:
            report = parse_record(row)
            if report is None:
                bad += 1
            else:
                reports.append(report)
            continue
        if not isinstance(row, dict) or not row.get("id") or not isinstance(row.get("text"), str):
            bad += 1
            continue
        when = parse_date(row.get("date"))
        if when is None:
            later.append(row)
        else:
            dated.append((when, str(row["id"]), row))
    dated.sort(key=lambda t: (t[0], t[1]))
    rows = [(w, r) for w, _, r in dated]
    if undated == "last" and later:
        last = (rows[-1][0] if rows else datetime(2000, 1, 1, tzinfo=UTC)) + timedelta(days=1)
        rows += [(last, r) for r in sorted(later, key=lambda r: str(r["id"]))]
    articles = tuple(
        Article(
            id=str(r["id"]),
            feed="replay",
            url=str(r.get("url") or ""),
            title=str(r.get("title") or ""),
            content=str(r["text"]),
            published=w,
            fetched_at=w,  # replay time is article time
        )
        for w, r in rows
    )
    return Timeline(
        articles,
        len(later),
        bad,
        rounds=tuple(r for r in reports if isinstance(r, IngestRound)),
        receipts=tuple(r for r in reports if isinstance(r, DeliveryReceipt)),
    )


def replay_settings(settings: Settings, state_dir: Path, output: Path | None) -> Settings:
    """Private topics, groups and state for one replay; nothing touches the live stages' data."""
    tag = uuid.uuid4().hex[:10]
    return settings.model_copy(
        update={
            "topic_prefix": f"{settings.topic_prefix}replay-{tag}.",
            "topic_partitions": 1,
            "classify_group": f"replay-{tag}-processors",
            "alert_group": f"replay-{tag}-alerts",
            "alert_state_db": state_dir / "alerts.sqlite3",
            "alerts_jsonl": output,
            "alerts_console": False,
            "metrics_port": 0,
        }
    )


def run(
    settings: Settings,
    timeline: Timeline,
    baseline: Baseline,
    channels: dict[str, Notifier],
    console: Console,
    timeout: float = 3600.0,
) -> list[Alert]:
    """Publish the articles, drive both stages until every article and stance went through, drain the
    outbox; return the alerts in the order they fired."""
    from processors.commands import build_classifier
    from processors.runtime import build_stream

    bootstrap = connect(settings)
    topics = Topics(settings.topic_prefix)
    fired: list[Alert] = []

    def on_alert(alert: Alert) -> None:
        fired.append(alert)
        sys.stdout.write(alert.model_dump_json() + "\n")
        sys.stdout.flush()

    classifier = build_classifier(settings)
    stream, s_consumer, s_publisher = build_stream(settings, classifier, bootstrap, new_registry())
    runtime = AlertRuntime(settings, baseline, bootstrap, new_registry(), channels, on_alert=on_alert)
    publisher = Publisher(settings, bootstrap)
    stop = threading.Event()
    try:
        publisher.publish_all(topics.ingest_health, list(timeline.rounds))
        publisher.publish_all(topics.deliveries, list(timeline.receipts))
        publisher.publish_all(topics.articles, list(timeline.articles))
        runtime.start_dispatcher()
        total = len(timeline.articles)
        classified = stances = alerted = 0
        deadline = time.monotonic() + timeout
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=False) as progress:
            task = progress.add_task("articles", total=total)
            while classified < total or alerted < stances:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"replay did not finish within {timeout:.0f}s")
                records = stream.collect(stop) if classified < total else []
                if records:
                    outcome = stream.handle(records)
                    classified += outcome.records
                    stances += outcome.published
                alerted += runtime.stage.poll_once(timeout_ms=50 if classified < total else 300)
                progress.update(
                    task,
                    completed=classified,
                    description=f"articles ({stances} stances, {len(fired)} alerts)",
                )
        drain(runtime, deadline)
    finally:
        stop.set()
        runtime.close()
        publisher.close()
        s_consumer.close()
        s_publisher.close()
    return fired


def drain(runtime: AlertRuntime, deadline: float) -> None:
    """Wait until the outbox has nothing due for the replay's channels (failed rows are left as failed)."""
    while time.monotonic() < deadline:
        if not runtime.dispatcher.pending():
            return
        runtime.dispatcher.wake.set()
        time.sleep(0.1)


def replay_command(
    ctx: typer.Context,
    timeline: Annotated[Path, typer.Argument(help="JSON Lines: {id, text, title?, date?, url?} per line")],
    baseline: Annotated[
        Path | None, typer.Option("--baseline", help="baseline YAML (default: STANCEWATCH_BASELINE_PATH)")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="write every alert as a JSON line")
    ] = None,
    undated: Annotated[str, typer.Option(help="undated items: skip, or order them last")] = "skip",
    gold: Annotated[
        Path | None, typer.Option("--score", help="labelled JSON Lines: report precision/recall of changes")
    ] = None,
    notify: Annotated[bool, typer.Option(help="also deliver to the configured Slack/email/webhook")] = False,
    timeout: Annotated[float, typer.Option(help="give up after this many seconds")] = 3600.0,
) -> None:
    """Replay dated articles in date order through the real pipeline (article time, not wall time)."""
    settings = from_context(ctx)
    err = Console(stderr=True)
    if undated not in ("skip", "last"):
        err.print("stancewatch replay: --undated must be skip or last")
        raise typer.Exit(2)
    try:
        items = load_timeline(timeline, undated)
        codes = load_vocabulary(settings.countries_file, settings.topics_file).country_codes
        base = (
            core_baseline.load(baseline, countries=codes)
            if baseline is not None
            else alert_baseline.ensure(settings.baseline_path, settings.baseline_article, codes)
        )
    except (TimelineError, BaselineError, VocabularyError) as exc:
        err.print(f"stancewatch replay: {exc}", markup=False)
        raise typer.Exit(2) from None
    if output is not None and output.exists():
        output.unlink()  # one replay, one file
    err.print(
        f"replaying {len(items.articles)} articles; undated {items.undated} "
        f"({'skipped' if undated == 'skip' else 'ordered last'}), invalid lines {items.bad}, "
        f"other records {items.records}",
        markup=False,
    )
    with tempfile.TemporaryDirectory(prefix="stancewatch-replay-") as tmp:
        rs = replay_settings(settings, Path(tmp), output)
        channels = notifiers.build(rs, console=False) if notify else {}
        if output is not None:
            channels["jsonl"] = JsonlNotifier(output)
        try:
            with start_up("replay"):
                fired = run(rs, items, base, channels, err, timeout)
        except TimeoutError as exc:
            err.print(f"stancewatch replay: {exc}", markup=False)
            raise typer.Exit(1) from None
    kinds = {k: sum(a.kind == k for a in fired) for k in ("reversal", "shift", "new_position", "reverted")}
    err.print(f"{len(fired)} alerts: " + ", ".join(f"{k} {n}" for k, n in kinds.items()), markup=False)
    if gold is not None:
        result = score(fired, load_labels(gold, [a.id for a in items.articles]))
        err.print(json.dumps(result.as_dict(), indent=2), markup=False)


def register(app: typer.Typer) -> None:
    """Add ``replay`` to the stancewatch CLI (wired by stancewatch.cli)."""
    app.command("replay")(replay_command)
