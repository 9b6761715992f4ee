"""Command-line entry points of the processors stage (registered by stancewatch.cli).

``classify`` (JSON Lines in, one line out per line in), ``baseline build`` (reviewable YAML from the
reference article), ``evaluate`` (scores against hand labels) and ``classify-stream`` (the Kafka stage).
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.console import Console

from core import baseline as baseline_file
from core.connect import start_up
from core.files import cannot_read
from core.settings import Settings, from_context
from processors import baseline_build, model_commands
from processors.batch import BatchCounts, classify_lines
from processors.evaluate import EvaluationError, Triple, load_gold, load_predictions, score
from processors.lexicon import LexiconError, load_lexicon
from processors.pipeline import Classifier, Document, Predictor
from processors.report import render, summary
from processors.text import SplitterError, sentence_splitter

log = logging.getLogger(__name__)


def load_model(settings: Settings) -> Predictor:
    """The configured stance model (tests replace this function with an in-memory fake)."""
    from processors.model import StanceModel

    return StanceModel.load(
        settings.model_path or None,
        topics_file=settings.topics_file,
        countries_file=settings.countries_file,
        cache_dir=settings.cache_dir,
        precision=settings.classify_precision,
    )


def build_classifier(settings: Settings) -> Classifier:
    """The classifier of ``settings``; a bad alias/topic file or model exits with one line (code 2)."""
    try:
        lexicon = load_lexicon(settings.countries_file, settings.topics_file)
    except LexiconError as exc:
        typer.echo(f"stancewatch: {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        split = sentence_splitter(settings.sentence_splitter)
    except SplitterError as exc:
        typer.echo(f"stancewatch: {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        model = load_model(settings)
    except (RuntimeError, OSError, ValueError) as exc:  # ModelError is a RuntimeError
        typer.echo(f"stancewatch: cannot load the stance model: {exc}", err=True)
        raise typer.Exit(2) from None
    return Classifier(
        model, lexicon, settings.classify_min_confidence, settings.classify_model_batch, split=split
    )


@contextmanager
def _open_in(path: str) -> Iterator[TextIO]:
    if path == "-":
        yield sys.stdin
        return
    try:
        handle = open(path, encoding="utf-8")  # noqa: SIM115 - closed below
    except OSError as exc:
        typer.echo(f"stancewatch: {cannot_read(path, exc)}", err=True)
        raise typer.Exit(2) from None
    with handle:
        yield handle


@contextmanager
def _open_out(path: str) -> Iterator[TextIO]:
    if path == "-":
        yield sys.stdout
        return
    with open(path, "w", encoding="utf-8") as handle:
        yield handle


def classify(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="JSON Lines file of {id, text, title?}; '-' = stdin")],
    output: Annotated[str, typer.Option("-o", "--output", help="output file; '-' = stdout")] = "-",
) -> None:
    """Classify articles offline: one output line per input line, in order (no broker needed).

    A line that cannot be read gets {"id", "line", "error"} in its place and is counted on stderr.
    """
    settings = from_context(ctx)
    counts = BatchCounts()
    with _open_in(source) as lines:  # an unreadable input is said before the model loads
        classifier = build_classifier(settings)
        with _open_out(output) as out:
            rows = classify_lines(
                lines, classifier, settings.classify_batch_articles, counts, settings.classify_max_chars
            )
            for row in rows:
                out.write(row + "\n")
                out.flush()
    typer.echo(
        f"classified {counts.documents} documents, {counts.stances} stances, "
        f"{counts.bad_lines} bad lines, {counts.cut} texts cut to {settings.classify_max_chars} characters "
        f"(model {classifier.version})",
        err=True,
    )


baseline_app = typer.Typer(help="Build the reference baseline from an article.", no_args_is_help=True)


@baseline_app.command("build")
def baseline_build_command(
    ctx: typer.Context,
    article: Annotated[
        Path | None, typer.Argument(help="article text (default: STANCEWATCH_BASELINE_ARTICLE)")
    ] = None,
    output: Annotated[
        str | None,
        typer.Option("-o", "--output", help="YAML file (default: STANCEWATCH_BASELINE_PATH); '-' = stdout"),
    ] = None,
    include_neutral: Annotated[bool, typer.Option(help="also list pairs read as neutral")] = False,
) -> None:
    """Derive the baseline positions from the article's text with the classifier; review before use."""
    settings = from_context(ctx)
    path = article or settings.baseline_article
    if path is None:
        typer.echo(
            "stancewatch baseline build: set STANCEWATCH_BASELINE_ARTICLE to the baseline article file "
            "(or give the article as the argument)",
            err=True,
        )
        raise typer.Exit(2)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        typer.echo(f"stancewatch: cannot read article {path}: {exc.strerror}", err=True)
        raise typer.Exit(2) from None
    classifier = build_classifier(settings)
    result = classifier.classify_one(Document(path.name, text))
    built = baseline_build.build(path, result, classifier.version, datetime.now(UTC), include_neutral)
    target = output or str(settings.baseline_path)
    if target == "-":
        sys.stdout.write(baseline_file.dump(built))
    else:
        baseline_file.save(built, Path(target))
        typer.echo(f"wrote {len(built.positions)} positions to {target}; review it before use", err=True)


def evaluate(
    ctx: typer.Context,
    gold: Annotated[Path, typer.Argument(help="labelled JSON Lines (korea-news-dev format)")],
    pred: Annotated[
        Path | None, typer.Option("--pred", help="classify output; default: classify the texts")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Precision, recall and F1 of support/oppose triples, per country and topic, with a confusion table."""
    settings = from_context(ctx)
    try:
        items = load_gold(gold)
        if pred is not None:
            predicted = load_predictions(pred)
        else:
            classifier = build_classifier(settings)
            results = classifier.classify([Document(g.id, g.text, g.title) for g in items])
            predicted = [Triple(r.id, s.country, s.topic, s.stance) for r in results for s in r.stances]
    except EvaluationError as exc:
        typer.echo(f"stancewatch: {exc}", err=True)
        raise typer.Exit(2) from None
    report = score(items, predicted)
    if as_json:
        typer.echo(json.dumps(summary(report), indent=2))
    else:
        render(report, Console())


def classify_stream(ctx: typer.Context) -> None:
    """Consume articles, publish stances; runs until SIGTERM/SIGINT (a broker that is away is waited for)."""
    from processors.runtime import run_stream

    settings = from_context(ctx)
    classifier = build_classifier(settings)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    with start_up("classify-stream"):
        code = run_stream(settings, classifier, stop)
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the stancewatch CLI."""
    app.command("classify")(classify)
    app.command("evaluate")(evaluate)
    app.command("classify-stream")(classify_stream)
    app.add_typer(baseline_app, name="baseline")
    model_commands.register(app)  # train, model export (the model engineer's commands)
