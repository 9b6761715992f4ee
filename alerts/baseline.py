"""Loading the reviewed baseline; building a first one through the public CLI when none exists.

The alert stage never imports the processors stage: when ``settings.baseline_path`` is missing it runs
``python -m stancewatch baseline build ARTICLE -o PATH`` as a subprocess, says so on stderr, and loads
the result (which a person should then review).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from core import baseline as core_baseline
from core.baseline import Baseline, BaselineError


def build_with_cli(article: Path, out: Path, timeout: float = 1800.0) -> None:
    """Run ``stancewatch baseline build``; raise BaselineError with one line when it fails."""
    if not article.is_file():
        raise BaselineError(
            f"{out}: no baseline file, and the baseline article {article} does not exist "
            "(set STANCEWATCH_BASELINE_PATH or STANCEWATCH_BASELINE_ARTICLE)"
        )
    cmd = [sys.executable, "-m", "stancewatch", "baseline", "build", str(article), "-o", str(out)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise BaselineError(f"{out}: building the baseline timed out after {timeout:.0f}s") from None
    if proc.returncode != 0 or not out.is_file():
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise BaselineError(f"{out}: 'stancewatch baseline build' failed (exit {proc.returncode}): {last}")


NO_ARTICLE = "set STANCEWATCH_BASELINE_ARTICLE to the baseline article file"


def ensure(path: Path, article: Path | None, countries: Sequence[str] | None = None) -> Baseline:
    """The baseline at ``path``, built from ``article`` first when the file does not exist; its entries'
    countries must be in ``countries`` (the vocabulary's codes; default: the shipped ones). Without a
    file and without an article, BaselineError: set one or the other."""
    if not path.exists():
        if article is None:
            raise BaselineError(
                f"no baseline at {path}: {NO_ARTICLE} (or STANCEWATCH_BASELINE_PATH to a baseline)"
            )
        print(
            f"stancewatch alert: no baseline at {path}; building one from {article} "
            "(review it, then restart if you edit it)",
            file=sys.stderr,
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        build_with_cli(article, path)
        print(f"stancewatch alert: wrote baseline {path} for review", file=sys.stderr)
    return core_baseline.load(path, countries=countries)
