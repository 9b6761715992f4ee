"""The training run behind ``stancewatch train``: data mix, LoRA fine-tuning, calibration, evaluation.

Deterministic for a seed (data sampling, batch order, LoRA init, dropout). Training stops at ``steps`` or
when the time budget is spent, keeping a reserve for calibration and evaluation; the figures go to
``metrics.json`` and the model card next to the adapter.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from processors import model as m
from processors.hypotheses import free_hypothesis
from processors.lexicon import load_lexicon
from processors.training import data, news_style, synthetic
from processors.training.card import write_card
from processors.training.metrics import accuracy, ece, macro_f1

Progress = Callable[[int, int, float], None]  # (step, total, loss)


@dataclass(frozen=True)
class TrainConfig:
    """One training recipe. The defaults are the committed model's recipe (a test compares them with its
    ``train_config.json``), so ``stancewatch train`` with no options reproduces it."""

    seed: int = 22
    # None: one pass over the training mix. Either way the plan shrinks to the time budget (re-estimated
    # as it runs) so the learning rate still decays to zero; the card records the steps actually run.
    steps: int | None = 1200
    batch_size: int = 32
    max_minutes: float = 240.0
    eval_reserve_minutes: float = 15.0
    synthetic_sentences: int = 1500
    mnli_limit: int = 4000
    vast_limit: int = 1000
    perspectrum_limit: int = 1000
    newsmtsc_limit: int = 500
    # The project's news-style items (news_style*.jsonl), repeated this many times; 0 leaves them out.
    news_style_repeats: int = 1
    # Which news-style files (stems); None: every file (``stancewatch train --every-news-style-file``).
    news_style_files: tuple[str, ...] | None = news_style.TRAINED_FILES
    calibration_sentences: int = 500
    evaluation_sentences: int = 400
    vast_dev_rows: int = 600
    vast_test_limit: int | None = 400  # None: every zero-shot test row
    mnli_heldout_limit: int | None = 600
    checkpoint_every: int = 25  # steps between checkpoints (``stancewatch train --resume`` goes on from one)
    lora: m.LoraSettings = field(default_factory=lambda: m.LoraSettings(learning_rate=4e-4))
    version: str = "mpnet-nli-v2"
    # A committed model (name under processors/models or a path) to start from instead of a fresh LoRA
    # init: a second stage of training. The budget of the stages together is what the card reports.
    # The committed model is a second stage over mpnet-nli-v1 (kept in processors/models for this; its
    # own recipe: --seed 21 --learning-rate 8e-4 --init-from "" --version mpnet-nli-v1).
    init_from: str | None = "mpnet-nli-v1"


@dataclass(frozen=True)
class StanceItem:
    """A calibration/evaluation query: premise, the two hypotheses and the gold stance."""

    premise: str
    support_hyp: str
    oppose_hyp: str
    gold: str
    source: str


def training_mix(cfg: TrainConfig, data_dir: Path) -> list[data.NLIPair]:
    """Every training pair, shuffled with the seed."""
    lexicon = load_lexicon()
    pairs = data.stance_pairs(synthetic.generate(cfg.synthetic_sentences, cfg.seed), lexicon)
    if cfg.news_style_repeats:
        news = news_style.all_examples(lexicon, cfg.news_style_files)
        pairs += data.stance_pairs(news, lexicon) * cfg.news_style_repeats
    pairs += data.load_mnli(data_dir, "train")[: cfg.mnli_limit]
    pairs += data.vast_pairs(data.load_vast(data_dir, "train"), cfg.vast_limit, cfg.seed)
    pairs += data.load_perspectrum(data_dir, "train", cfg.perspectrum_limit, cfg.seed)
    pairs += data.load_newsmtsc(data_dir, cfg.newsmtsc_limit, cfg.seed)
    random.Random(cfg.seed).shuffle(pairs)
    return pairs


def bucketed_batches(pairs: Sequence[data.NLIPair], size: int, seed: int) -> list[list[data.NLIPair]]:
    """Batches of similar length (sorted within windows of 50 batches), in a seeded random order:
    dynamic padding then wastes little compute on this CPU-bound run."""
    window = size * 50
    batches = []
    for start in range(0, len(pairs), window):
        chunk = sorted(pairs[start : start + window], key=lambda p: len(p.premise) + len(p.hypothesis))
        batches += [chunk[i : i + size] for i in range(0, len(chunk), size)]
    random.Random(seed).shuffle(batches)
    return batches


def _korea_items(n: int, seed: int, source: str, model: m.StanceModel) -> list[StanceItem]:
    lexicon = load_lexicon()
    out = []
    for ex in synthetic.generate(n, seed, held_out=True):
        sup, opp = model.hypotheses(ex.country, ex.topic)
        out.append(StanceItem(data.marked_premise(ex, lexicon), sup, opp, ex.stance, source))
    return out


def calibration_set(
    cfg: TrainConfig, data_dir: Path, model: m.StanceModel
) -> tuple[list[StanceItem], list[data.VastRow]]:
    """The queries a training run fits its calibration layer on (held-out synthetic phrases and the first
    half of its VAST dev sample), and that shuffled VAST dev sample (its second half evaluates)."""
    cal = _korea_items(cfg.calibration_sentences, cfg.seed + 101, "korea-synthetic", model)
    dev_rows = data.load_vast(data_dir, "dev")
    random.Random(cfg.seed).shuffle(dev_rows)
    cal += _vast_items(dev_rows[: cfg.vast_dev_rows // 2], "vast-dev")
    return cal, dev_rows


def _vast_items(rows: Sequence[data.VastRow], source: str) -> list[StanceItem]:
    return [
        StanceItem(
            data._clip_words(r.text, 90),
            free_hypothesis(r.target, "support"),
            free_hypothesis(r.target, "oppose"),
            r.stance,
            source,
        )
        for r in rows
    ]


def _stance_report(scores: Sequence[m.StanceScores], items: Sequence[StanceItem]) -> dict[str, float]:
    best = [s.best() for s in scores]
    pred = [b[0] for b in best]
    gold = [i.gold for i in items]
    return {
        "n": len(items),
        "accuracy": round(accuracy(pred, gold), 4),
        "macro_f1_support_oppose": round(macro_f1(pred, gold, ("support", "oppose")), 4),
        "ece": round(ece([b[1] for b in best], [p == g for p, g in zip(pred, gold, strict=True)]), 4),
    }


CHECKPOINT = "checkpoint.pt"


BUDGET_FIELDS = ("max_minutes", "eval_reserve_minutes", "checkpoint_every")


def _fingerprint(cfg: TrainConfig, pairs: Sequence[data.NLIPair]) -> str:
    """What a checkpoint must match to be resumed: the recipe and the training pairs. The time budget is
    not part of it: a run may be resumed with more time than it started with."""
    recipe = {k: v for k, v in asdict(cfg).items() if k not in BUDGET_FIELDS}
    digest = hashlib.sha256(json.dumps(recipe, sort_keys=True, default=str).encode())
    for p in pairs:
        digest.update(f"{p.premise}\t{p.hypothesis}\t{p.label}\n".encode())
    return digest.hexdigest()


def train(
    cfg: TrainConfig,
    data_dir: Path,
    out_dir: Path,
    progress: Progress | None = None,
    resume: bool = False,
) -> dict[str, object]:
    """Train, calibrate, evaluate and write the artifact to ``out_dir``; return the metrics. Every
    ``cfg.checkpoint_every`` steps the run state goes to ``out_dir/checkpoint.pt``; with ``resume`` a run
    goes on from there (the same recipe and data only) and the time already spent counts against the
    budget. The checkpoint is removed once the artifact is written."""
    started = time.monotonic()
    pairs = training_mix(cfg, data_dir)
    batches = bucketed_batches(pairs, cfg.batch_size, cfg.seed)
    planned = total = cfg.steps or len(batches)
    trainer = m.LoraTrainer(cfg.lora, total, cfg.seed)
    if cfg.init_from:
        trainer.warm_start(m.model_dir(cfg.init_from))
    rng = random.Random(cfg.seed + 1)
    batch_order = list(range(len(batches)))  # which batch comes next; reshuffled after each pass
    done, losses, spent = 0, [], 0.0
    checkpoint = out_dir / CHECKPOINT
    fingerprint = _fingerprint(cfg, pairs)
    if resume and checkpoint.is_file():
        state = trainer.restore(checkpoint)
        if state.get("fingerprint") != fingerprint:
            raise data.DataError(
                f"checkpoint {checkpoint} is of another recipe or data; delete it or train without --resume"
            )
        done, total, spent = int(state["done"]), int(state["total"]), float(state["spent"])
        losses, batch_order = list(state["losses"]), list(state["order"])
        rng.setstate(state["rng"])
        trainer.total_steps = total
    deadline = started + 60 * max(0.1, cfg.max_minutes - cfg.eval_reserve_minutes) - spent
    loop_start, loop_done = time.monotonic(), done
    while done < total and time.monotonic() < deadline:
        run = done - loop_done
        if run >= 10 and run % 10 == 0:
            # Shrink the plan to what the time budget allows so the learning rate still decays to zero;
            # re-estimated every 10 steps from this run's average rate, never above the plan.
            rate = (time.monotonic() - loop_start) / run
            total = trainer.total_steps = max(
                done + 1, min(planned, done + int((deadline - time.monotonic()) / rate))
            )
        if done and done % len(batches) == 0:
            rng.shuffle(batch_order)
        batch = batches[batch_order[done % len(batches)]]
        losses.append(trainer.step([(p.premise, p.hypothesis) for p in batch], [p.label for p in batch]))
        done += 1
        if progress:
            progress(done, total, sum(losses[-20:]) / len(losses[-20:]))
        if done % cfg.checkpoint_every == 0 and done < total:
            elapsed = spent + time.monotonic() - started
            trainer.checkpoint(
                checkpoint,
                {
                    "fingerprint": fingerprint,
                    "done": done,
                    "total": total,
                    "spent": elapsed,
                    "losses": losses[-200:],
                    "order": batch_order,
                    "rng": rng.getstate(),
                },
            )
    train_seconds = spent + time.monotonic() - started

    raw_model = trainer.stance_model(m.StanceHead(), cfg.version)
    mnli = data.load_mnli(data_dir, "heldout")[: cfg.mnli_heldout_limit]
    mnli_fit, mnli_eval = mnli[0::2], mnli[1::2]
    cal, dev_rows = calibration_set(cfg, data_dir, raw_model)
    half = cfg.vast_dev_rows // 2
    evaluation = _korea_items(cfg.evaluation_sentences, cfg.seed + 202, "korea-synthetic", raw_model)
    evaluation += _vast_items(dev_rows[half : 2 * half], "vast-dev")

    enc = raw_model.encoder
    fit_logits = enc.logits([(p.premise, p.hypothesis) for p in mnli_fit])
    cal_raw = raw_model.raw_logits([(i.premise, i.support_hyp, i.oppose_hyp) for i in cal])
    nli_logits = fit_logits + [x for pair in cal_raw for x in pair]
    nli_gold = [p.label for p in mnli_fit] + [lab for i in cal for lab in data.STANCE_TO_NLI[i.gold]]
    temperature = m.fit_temperature(nli_logits, nli_gold)
    head = m.fit_head(
        m.StanceHead(temperature=temperature), cal_raw, [i.gold for i in cal], version=cfg.version
    )

    eval_logits = enc.logits([(p.premise, p.hypothesis) for p in mnli_eval])
    order = list(m.NLI_ID2LABEL.values())
    mnli_pred = [order[max(range(3), key=row.__getitem__)] for row in eval_logits]
    eval_raw = raw_model.raw_logits([(i.premise, i.support_hyp, i.oppose_hyp) for i in evaluation])
    before = [m.StanceHead().scores(s, o) for s, o in eval_raw]
    after = [head.scores(s, o) for s, o in eval_raw]
    korea = [k for k, i in enumerate(evaluation) if i.source == "korea-synthetic"]

    test_rows = [r for r in data.load_vast(data_dir, "test") if r.zero_shot][: cfg.vast_test_limit]
    vast_scores = [
        head.scores(s, o)
        for s, o in raw_model.raw_logits(
            [(i.premise, i.support_hyp, i.oppose_hyp) for i in _vast_items(test_rows, "vast-test")]
        )
    ]
    vast_pred = [_three_way(s) for s in vast_scores]

    metrics: dict[str, object] = {
        "version": cfg.version,
        "steps": done,
        "planned_steps": planned,
        "training_pairs": len(pairs),
        "pairs_seen": done * cfg.batch_size,
        "final_loss": round(sum(losses[-50:]) / max(1, len(losses[-50:])), 4),
        "train_loop_seconds": round(train_seconds, 1),
        "trainable_parameters": trainer.trainable_parameters(),
        "threads": m.get_threads(),
        "temperature": round(temperature, 4),
        "mnli_heldout_accuracy": round(accuracy(mnli_pred, [p.label for p in mnli_eval]), 4),
        "mnli_heldout_n": len(mnli_eval),
        "stance_eval_before": _stance_report(before, evaluation),
        "stance_eval_after": _stance_report(after, evaluation),
        "korea_synthetic_eval_after": _stance_report(
            [after[k] for k in korea], [evaluation[k] for k in korea]
        ),
        "vast_test_zero_shot_macro_f1": round(
            macro_f1(vast_pred, [r.stance for r in test_rows], ("support", "oppose", "neutral")), 4
        ),
        "vast_test_zero_shot_n": len(test_rows),
        "mix": _mix_counts(pairs),
        "news_style_items": news_style.item_count(cfg.news_style_files) if cfg.news_style_repeats else 0,
    }
    trainer.save(out_dir, head)
    metrics["total_seconds"] = round(time.monotonic() - started, 1)
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    (out_dir / "train_config.json").write_text(json.dumps(asdict(cfg), indent=2) + "\n", encoding="utf-8")
    write_card(out_dir, cfg, metrics)
    checkpoint.unlink(missing_ok=True)
    return metrics


def _three_way(scores: m.StanceScores) -> str:
    side = max(
        ("support", scores.support),
        ("oppose", scores.oppose),
        ("neutral", scores.neutral + scores.none),
        key=lambda kv: kv[1],
    )
    return side[0]


def _mix_counts(pairs: Sequence[data.NLIPair]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for p in pairs:
        counts[p.source] = counts.get(p.source, 0) + 1
    return counts
