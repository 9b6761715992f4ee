"""CLI commands of the model: ``stancewatch train`` and ``stancewatch model export``.

Registered by ``processors.commands.register`` (``model_commands.register(app)``). Heavy imports (torch)
happen inside the commands so the rest of the CLI starts fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from core.settings import REPO_ROOT, from_context

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
        float, typer.Option("--max-minutes", help="stop when this budget is spent")
    ] = 30.0,
    seed: Annotated[int, typer.Option("--seed")] = 13,
    steps: Annotated[int, typer.Option("--steps", help="optimizer steps (0 = one pass over the mix)")] = 0,
    threads: Annotated[int, typer.Option("--threads", help="torch CPU threads (0 = torch's default)")] = 0,
    data_dir: Annotated[Path, typer.Option("--data-dir", help="training data")] = DEFAULT_DATA_DIR,
    news_style_repeats: Annotated[
        int,
        typer.Option(
            "--news-style-repeats", min=0, help="add the project's news-style items N times (0 = none)"
        ),
    ] = 0,
) -> None:
    """Fine-tune the stance model (LoRA over the packaged base), calibrate, evaluate, write the artifact."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from processors import model
    from processors.training.data import DataError
    from processors.training.run import TrainConfig
    from processors.training.run import train as run_train

    if threads:
        model.set_threads(threads)
    cfg = TrainConfig(
        seed=seed, steps=steps or None, max_minutes=max_minutes, news_style_repeats=news_style_repeats
    )
    target = out or model.MODELS_DIR / cfg.version
    columns = (
        TextColumn("training"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("loss {task.fields[loss]:.3f}"),
    )
    with Progress(*columns) as bar:
        task = bar.add_task("train", total=None, loss=0.0)

        def report(step: int, total: int, loss: float) -> None:
            bar.update(task, completed=step, total=total, loss=loss)
            if not bar.console.is_terminal and (step % 50 == 0 or step == total):
                # Logs (nohup, CI) get a line now and then instead of a live bar.
                typer.echo(f"step {step}/{total} loss {loss:.4f}", err=True)

        try:
            metrics = run_train(cfg, data_dir, target, report)
        except (DataError, model.ModelError) as exc:
            typer.echo(f"stancewatch train: {exc}", err=True)
            raise typer.Exit(2) from None
    typer.echo(
        f"wrote {target}: steps {metrics['steps']}, MNLI held-out acc {metrics['mnli_heldout_accuracy']}, "
        f"VAST zero-shot macro-F1 {metrics['vast_test_zero_shot_macro_f1']}, {metrics['total_seconds']} s"
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
