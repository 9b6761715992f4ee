"""Loading the public training sets in ../shared/data and turning them into NLI pairs.

Each loader reads one dataset's files as documented in its SOURCE.md and returns frozen ``NLIPair`` values
(premise, hypothesis, label in entailment/neutral/contradiction). Unreadable rows are skipped and counted,
never guessed. Held-out splits: MNLI by a hash of pairID, VAST and PERSPECTRUM by their own dev/test splits.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from core.vocabulary import load_vocabulary
from processors.hypotheses import free_hypothesis, hypothesis, premise
from processors.lexicon import Lexicon
from processors.markers import mark_country
from processors.training.synthetic import StanceExample

NLI_LABELS = ("entailment", "neutral", "contradiction")
# How a stance on the pair becomes the label of its support- and oppose-hypothesis.
STANCE_TO_NLI = {
    "support": ("entailment", "contradiction"),
    "oppose": ("contradiction", "entailment"),
    "neutral": ("neutral", "neutral"),
    "none": ("neutral", "neutral"),
}
VAST_LABELS = {"0": "oppose", "1": "support", "2": "neutral"}


@dataclass(frozen=True)
class NLIPair:
    premise: str
    hypothesis: str
    label: str
    source: str


class DataError(ValueError):
    """A training data file is missing or unreadable; one line naming the file."""


def _need(path: Path) -> Path:
    if not path.is_file():
        raise DataError(f"training data file not found: {path} (see ../shared/data/*/SOURCE.md)")
    return path


def _held_out(key: str, fraction: float) -> bool:
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < fraction


def load_mnli(data_dir: Path, split: str, held_fraction: float = 0.1) -> list[NLIPair]:
    """TaxiNLI's 10k MultiNLI pairs; ``split`` 'train' or 'heldout' (by a hash of pairID)."""
    path = _need(data_dir / "taxinli-mnli10k" / "taxinli10k.tsv")
    out = []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            if row.get("label") not in NLI_LABELS or not row.get("prem") or not row.get("hyp"):
                continue
            if _held_out(row.get("pairID", ""), held_fraction) == (split == "heldout"):
                out.append(NLIPair(row["prem"], row["hyp"], row["label"], "mnli"))
    return out


@dataclass(frozen=True)
class VastRow:
    text: str
    target: str
    stance: str  # support / oppose / neutral
    zero_shot: bool


def load_vast(data_dir: Path, split: str) -> list[VastRow]:
    """VAST compact CSV rows for ``split`` in train/dev/test."""
    path = _need(data_dir / "vast" / f"vast_{split}_compact.csv")
    csv.field_size_limit(sys.maxsize)
    out = []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            stance = VAST_LABELS.get(str(row.get("label", "")).strip())
            text, target = (row.get("text") or "").strip(), (row.get("target") or "").strip()
            if stance and text and target:
                out.append(VastRow(text, target, stance, str(row.get("seen", "1")).strip() == "0"))
    return out


def _clip_words(text: str, words: int) -> str:
    parts = text.split()
    return " ".join(parts[:words])


def vast_pairs(rows: Sequence[VastRow], limit: int, seed: int) -> list[NLIPair]:
    """One NLI pair per row (support- or oppose-hypothesis chosen at random), premise clipped to 60 words."""
    rng = random.Random(seed)
    picked = rng.sample(list(rows), min(limit, len(rows)))
    out = []
    for row in picked:
        side = rng.choice(("support", "oppose"))
        labels = STANCE_TO_NLI[row.stance]
        out.append(
            NLIPair(
                _clip_words(row.text, 60),
                free_hypothesis(row.target, side),
                labels[0] if side == "support" else labels[1],
                "vast",
            )
        )
    return out


def load_perspectrum(data_dir: Path, split: str, limit: int, seed: int) -> list[NLIPair]:
    """(perspective, claim) pairs: SUPPORT -> entailment, UNDERMINE -> contradiction, and as many
    neutral pairs built by matching a perspective with an unrelated claim (the dataset has no neutral)."""
    base = data_dir / "perspectrum"
    claims = json.loads(_need(base / "perspectrum_with_answers_v1.0.json").read_text(encoding="utf-8"))
    pool = {p["pId"]: p["text"] for p in json.loads(_need(base / "perspective_pool_v1.0.json").read_text())}
    splits = json.loads(_need(base / "dataset_split_v1.0.json").read_text(encoding="utf-8"))
    rng = random.Random(seed)
    chosen = [c for c in claims if splits.get(str(c["cId"])) == split]
    pairs = []
    for claim in chosen:
        for cluster in claim.get("perspectives", []):
            label = {"SUPPORT": "entailment", "UNDERMINE": "contradiction"}.get(cluster.get("stance_label_3"))
            texts = [pool[p] for p in cluster.get("pids", []) if p in pool]
            if label and texts:
                pairs.append((rng.choice(texts), claim["text"], label))
    rng.shuffle(pairs)
    pairs = pairs[: max(1, (2 * limit) // 3)]
    out = [NLIPair(p, h, lab, "perspectrum") for p, h, lab in pairs]
    claim_texts = [c["text"] for c in chosen]
    for prem, claim_text, _ in pairs[: limit - len(out)]:
        other = rng.choice(claim_texts)
        if other != claim_text:
            out.append(NLIPair(prem, other, "neutral", "perspectrum"))
    rng.shuffle(out)
    return out


def load_newsmtsc(data_dir: Path, limit: int, seed: int) -> list[NLIPair]:
    """News sentences with the sentiment toward a named target, as "The sentence portrays X favourably."""
    path = _need(data_dir / "newsmtsc" / "train.jsonl")
    labels = {2.0: "contradiction", 4.0: "neutral", 6.0: "entailment"}
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
            sentence = row["sentence_normalized"]
            for target in row["targets"]:
                label = labels.get(float(target["polarity"]))
                if label:
                    out.append(
                        NLIPair(
                            sentence,
                            f"The sentence portrays {target['mention']} favourably.",
                            label,
                            "newsmtsc",
                        )
                    )
        except (ValueError, KeyError, TypeError):
            continue
    rng = random.Random(seed)
    return rng.sample(out, min(limit, len(out)))


def marked_premise(ex: StanceExample, lexicon: Lexicon) -> str:
    """The premise of a stance example with the asked country's mentions marked, as the pipeline marks
    them when serving."""
    return premise(
        mark_country(ex.sentence, ex.country, lexicon), mark_country(ex.context, ex.country, lexicon)
    )


def stance_pairs(
    examples: Iterable[StanceExample], lexicon: Lexicon, topics_file: Path | None = None
) -> list[NLIPair]:
    """Both hypotheses (support, oppose) of every stance example with their NLI labels; the premise marks
    the asked country."""
    phrases = {t.id: t for t in load_vocabulary(topics_file=topics_file).topics}
    out = []
    for ex in examples:
        prem = marked_premise(ex, lexicon)
        for side, label in zip(("support", "oppose"), STANCE_TO_NLI[ex.stance], strict=True):
            out.append(NLIPair(prem, hypothesis(ex.country, phrases[ex.topic], side), label, ex.source))
    return out
