"""Pure evaluation arithmetic for the model card: accuracy, macro-F1 and expected calibration error."""

from __future__ import annotations

from collections.abc import Sequence


def accuracy(pred: Sequence[str], gold: Sequence[str]) -> float:
    return sum(p == g for p, g in zip(pred, gold, strict=True)) / max(1, len(gold))


def macro_f1(pred: Sequence[str], gold: Sequence[str], classes: Sequence[str]) -> float:
    """Unweighted mean of per-class F1 over ``classes``."""
    scores = []
    for c in classes:
        tp = sum(p == c and g == c for p, g in zip(pred, gold, strict=True))
        fp = sum(p == c and g != c for p, g in zip(pred, gold, strict=True))
        fn = sum(p != c and g == c for p, g in zip(pred, gold, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores)


def ece(confidences: Sequence[float], correct: Sequence[bool], bins: int = 10) -> float:
    """Expected calibration error of top-label confidences, equal-width bins."""
    total = len(confidences)
    if not total:
        return 0.0
    err = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        idx = [i for i, c in enumerate(confidences) if lo < c <= hi or (b == 0 and c == 0)]
        if idx:
            conf = sum(confidences[i] for i in idx) / len(idx)
            acc = sum(correct[i] for i in idx) / len(idx)
            err += len(idx) / total * abs(conf - acc)
    return err
