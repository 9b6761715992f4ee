"""``make bench-classify``: the project's pipeline next to a naive zero-shot pipeline, same model, same run.

- ours: ``processors.pipeline.Classifier`` (sentence splitting, candidate pairs, one batched pass,
  per-article aggregation) over the configured stance model;
- naive: transformers ``pipeline("zero-shot-classification")`` over the same model exported with
  ``StanceModel.export`` to a temporary directory, every sentence against every country x topic x side
  hypothesis (multi_label: each hypothesis scored entailment-vs-contradiction on its own), a pair's
  side taken when its entailment probability is the larger and above 0.5, then the same aggregation.

Both read korea-news-dev (../shared; the benchmark says so and stops when it is absent). The naive
pipeline is slow, so by default it runs on a sample of the items (``--naive-items``); its throughput
is measured on that sample and its time for the whole set extrapolated, and F1 is compared on the same
sample (ours is also reported on the whole set). Each side runs in its own child process so that its
peak resident memory (ru_maxrss) is its own.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from core.settings import REPO_ROOT, load_settings
from processors.aggregate import Judgement, aggregate
from processors.evaluate import GoldItem, Triple, load_gold, score
from processors.lexicon import load_lexicon
from processors.pipeline import Classifier, Document, evidence_sentences

GOLD = REPO_ROOT.parent / "shared" / "data" / "korea-news-dev" / "korea-news-dev.jsonl"


def _sentences(item: GoldItem) -> list[str]:
    return evidence_sentences(Document(item.id, item.text, item.title))


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _ours(model_path: str, items: list[GoldItem], repeats: int, precision: str) -> dict[str, Any]:
    from processors.model import StanceModel

    settings = load_settings()
    model = StanceModel.load(
        model_path or None,
        topics_file=settings.topics_file,
        cache_dir=settings.cache_dir,
        precision=precision,
    )
    classifier = Classifier(
        model, load_lexicon(settings.countries_file, settings.topics_file), settings.classify_min_confidence
    )
    docs = [Document(g.id, g.text, g.title) for g in items]
    classifier.classify(docs[:2])  # warm-up (first forward pass allocates)
    best = float("inf")
    results = []
    for _ in range(repeats):
        started = time.perf_counter()
        results = classifier.classify(docs)
        best = min(best, time.perf_counter() - started)
    return {
        "seconds": best,
        "queries": sum(r.queries for r in results),
        "triples": [[r.id, s.country, s.topic, s.stance] for r in results for s in r.stances],
        "peak_mib": _peak_mib(),
        "version": model.version,
    }


def _naive(export_dir: str, items: list[GoldItem], batch_size: int) -> dict[str, Any]:
    from transformers import pipeline

    from core.vocabulary import load_vocabulary
    from processors.hypotheses import COUNTRY_NAMES, hypothesis

    settings = load_settings()
    phrases = {t.id: t for t in load_vocabulary(topics_file=settings.topics_file).topics}
    labels: list[tuple[str, str, str]] = []
    hypotheses: list[str] = []
    for country in COUNTRY_NAMES:
        for topic, p in phrases.items():
            for side in ("support", "oppose"):
                labels.append((country, topic, side))
                hypotheses.append(hypothesis(country, p, side))
    classifier = pipeline("zero-shot-classification", model=export_dir, device=-1)
    # the same sentences as ours: the title first, then the text
    sentences = [(g.id, i, s) for g in items for i, s in enumerate(_sentences(g))]
    classifier(sentences[0][2], candidate_labels=hypotheses[:2], hypothesis_template="{}")  # warm-up
    started = time.perf_counter()
    outputs = classifier(
        [s for _, _, s in sentences],
        candidate_labels=hypotheses,
        hypothesis_template="{}",
        multi_label=True,
        batch_size=batch_size,
    )
    seconds = time.perf_counter() - started
    by_label = dict(zip(hypotheses, labels, strict=True))
    judgements: dict[str, list[Judgement]] = {}
    for (doc_id, index, sentence), out in zip(sentences, outputs, strict=True):
        entail = {by_label[h]: p for h, p in zip(out["labels"], out["scores"], strict=True)}
        for country in COUNTRY_NAMES:
            for topic in phrases:
                sup, opp = entail[(country, topic, "support")], entail[(country, topic, "oppose")]
                side, prob = ("support", sup) if sup >= opp else ("oppose", opp)
                if prob > 0.5:
                    judgements.setdefault(doc_id, []).append(
                        Judgement(index, sentence, country, topic, side, prob)
                    )
    triples = [
        [doc_id, s.country, s.topic, s.stance]
        for doc_id, js in judgements.items()
        for s in aggregate(js, settings.classify_min_confidence)
    ]
    return {
        "seconds": seconds,
        "pairs": len(sentences) * len(hypotheses),
        "triples": triples,
        "peak_mib": _peak_mib(),
    }


def _in_child(fn: Any, *args: Any) -> dict[str, Any]:
    pool = mp.get_context("spawn").Pool(1)
    try:
        return pool.apply(fn, args)
    finally:
        # close and join, not the context manager's terminate: a killed worker leaves the semaphores
        # of torch's thread pools behind ("leaked semaphore objects" at exit)
        pool.close()
        pool.join()


def _f1(items: list[GoldItem], triples: list[list[str]]) -> tuple[float, int]:
    report = score(items, [Triple(*t) for t in triples])
    return report.overall.f1, report.negative_false_positives


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--model", default="", help="model path (default: the configured/committed one)")
    parser.add_argument(
        "--naive-items", type=int, default=15, help="items the naive pipeline reads (0 = all)"
    )
    parser.add_argument("--repeats", type=int, default=2, help="timed runs of ours (best is kept)")
    parser.add_argument(
        "--precision", choices=("auto", "fp32", "bf16"), help="ours: default STANCEWATCH_CLASSIFY_PRECISION"
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    if not GOLD.is_file():
        print(f"bench-classify: {GOLD} is absent (../shared); nothing to measure", file=sys.stderr)
        return 2
    items = load_gold(GOLD)
    sample = (
        items
        if args.naive_items <= 0
        else items[:: max(1, len(items) // args.naive_items)][: args.naive_items]
    )
    n_sentences = sum(len(_sentences(g)) for g in items)
    n_sample_sentences = sum(len(_sentences(g)) for g in sample)
    torch_threads = os.cpu_count()
    print(
        f"korea-news-dev: {len(items)} items, {n_sentences} sentences; naive sample: {len(sample)} items, "
        f"{n_sample_sentences} sentences; {torch_threads} CPUs",
        flush=True,
    )

    precision = args.precision or load_settings().classify_precision
    ours = _in_child(_ours, args.model, items, args.repeats, precision)
    ours_sample = _in_child(_ours, args.model, sample, 1, precision)
    from processors.model import StanceModel

    with tempfile.TemporaryDirectory(prefix="stancewatch-export-") as export_dir:
        StanceModel.load(args.model or None).export(Path(export_dir))
        naive = _in_child(_naive, export_dir, sample, 32)

    ours_f1, ours_neg = _f1(items, ours["triples"])
    ours_sample_f1, _ = _f1(sample, ours_sample["triples"])
    naive_f1, naive_neg = _f1(sample, naive["triples"])
    naive_full_s = naive["seconds"] * n_sentences / max(1, n_sample_sentences)
    figures = {
        "model": ours["version"],
        "items": len(items),
        "sentences": n_sentences,
        "ours": {
            "seconds": round(ours["seconds"], 3),
            "articles_per_s": round(len(items) / ours["seconds"], 2),
            "sentences_per_s": round(n_sentences / ours["seconds"], 2),
            "queries": ours["queries"],
            "f1_all": round(ours_f1, 4),
            "negative_fp_all": ours_neg,
            "f1_sample": round(ours_sample_f1, 4),
            "peak_rss_mib": round(ours["peak_mib"], 1),
        },
        "naive": {
            "sample_items": len(sample),
            "sample_sentences": n_sample_sentences,
            "sample_seconds": round(naive["seconds"], 3),
            "pairs_scored": naive["pairs"],
            "articles_per_s": round(len(sample) / naive["seconds"], 3),
            "sentences_per_s": round(n_sample_sentences / naive["seconds"], 3),
            "extrapolated_seconds_all": round(naive_full_s, 1),
            "f1_sample": round(naive_f1, 4),
            "negative_fp_sample": naive_neg,
            "peak_rss_mib": round(naive["peak_mib"], 1),
        },
    }
    speedup = (n_sentences / ours["seconds"]) / (n_sample_sentences / naive["seconds"])
    figures["speedup_sentences_per_s"] = round(speedup, 1)
    rows = [
        ("", "ours (pipeline)", "naive zero-shot"),
        (
            "articles/s",
            f"{figures['ours']['articles_per_s']}",
            f"{figures['naive']['articles_per_s']} (sample)",
        ),
        (
            "sentences/s",
            f"{figures['ours']['sentences_per_s']}",
            f"{figures['naive']['sentences_per_s']} (sample)",
        ),
        ("model pairs", f"{ours['queries']} queries x 2 hyp.", f"{naive['pairs']} (sample)"),
        ("time, all items", f"{ours['seconds']:.1f} s", f"~{naive_full_s:.0f} s (extrapolated)"),
        ("F1 on the sample", f"{ours_sample_f1:.3f}", f"{naive_f1:.3f}"),
        ("F1 on all items", f"{ours_f1:.3f}", "-"),
        ("negative-item FPs", f"{ours_neg} (all)", f"{naive_neg} (sample)"),
        ("peak RSS", f"{ours['peak_mib']:.0f} MiB", f"{naive['peak_mib']:.0f} MiB"),
    ]
    for a, b, c in rows:
        print(f"{a:<20} {b:<28} {c}")
    print(f"speed-up (sentences/s): {speedup:.1f}x; target >= 10x at equal or better F1")
    print(f"ours ({ours['version']}): {figures['ours']['articles_per_s']} articles/s; target >= 3")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
