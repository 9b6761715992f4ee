"""Refit a trained model's calibration layer with news-style items it never trained on
(``stancewatch model calibrate``).

A training run fits the 4-way calibration layer (``processors.head``) on held-out synthetic phrases and
VAST dev rows: sentences unlike news. Items written later in the news style, and left out of training,
are news-like held-out queries. This keeps the network and the temperature, rebuilds the run's own
calibration queries from its ``train_config.json`` (so the layer still sees them), adds a query for every
label of the news items and up to two "none" queries per item (as training builds them), and fits the layer
again on the scores of the model as it is served (``precision``). The output is a complete model folder.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from processors import model as m
from processors.lexicon import load_lexicon
from processors.training import data, news_style
from processors.training.run import StanceItem, TrainConfig, calibration_set

# the files that make a model folder, besides the calibration layer that this writes anew
COPIED = ("adapter_config.json", "adapter_model.safetensors", "train_config.json")


def news_items(model: m.StanceModel, paths: Sequence[Path]) -> list[StanceItem]:
    """One query per label of each news-style item and up to two "none" queries, premises marked."""
    lexicon = load_lexicon()
    items = []
    for path in paths:
        for ex in news_style.examples(lexicon, path):
            support, oppose = model.hypotheses(ex.country, ex.topic)
            items.append(StanceItem(data.marked_premise(ex, lexicon), support, oppose, ex.stance, "news"))
    return items


def recipe_of(source: Path) -> TrainConfig:
    """The fields of the source's ``train_config.json`` that its calibration queries depend on."""
    try:
        saved = json.loads((source / "train_config.json").read_text(encoding="utf-8"))
        return replace(
            TrainConfig(),
            seed=int(saved["seed"]),
            calibration_sentences=int(saved["calibration_sentences"]),
            vast_dev_rows=int(saved["vast_dev_rows"]),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise data.DataError(f"{source}: no usable train_config.json ({exc})") from None


def recalibrate(
    source: Path,
    news: Sequence[Path],
    data_dir: Path,
    out_dir: Path,
    precision: str = "auto",
    limit: int | None = None,
) -> dict[str, object]:
    """Write ``out_dir``: ``source``'s adapter with a calibration layer fitted on its own calibration
    queries plus the ``news`` items' queries; return what was fitted on. ``limit`` caps the recipe's
    calibration sentences and VAST dev rows (tests). Raises ``DataError`` for unreadable inputs and
    ``ModelError`` for a folder that is not a trained model."""
    if not (source / "adapter_config.json").is_file():
        raise m.ModelError(f"{source}: not a trained model folder (no adapter_config.json)")
    if not news:
        raise data.DataError("no news-style files to calibrate on")
    cfg = recipe_of(source)
    if limit is not None:
        cfg = replace(cfg, calibration_sentences=limit, vast_dev_rows=2 * limit)
    served = m.StanceModel.load(str(source), precision=precision)
    own, _ = calibration_set(cfg, data_dir, served)
    added = news_items(served, news)
    items = own + added
    raw = served.raw_logits([(i.premise, i.support_hyp, i.oppose_hyp) for i in items])
    head = m.fit_head(
        m.StanceHead(temperature=served.head.temperature),
        raw,
        [i.gold for i in items],
        version=out_dir.name,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        shutil.copyfile(source / name, out_dir / name)
    (out_dir / m.HEAD_FILE).write_text(head.to_json() + "\n", encoding="utf-8")
    summary: dict[str, object] = {
        "calibrated_from": source.name,
        "precision": m.resolve_precision(precision),
        "own_queries": len(own),
        "news_queries": len(added),
        "news_files": [path.name for path in news],
        "temperature": round(head.temperature, 4),
    }
    (out_dir / "calibration.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary
