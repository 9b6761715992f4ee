"""Rich tables for ``stancewatch evaluate`` and a JSON summary of the same report."""

from __future__ import annotations

from collections.abc import Mapping

from rich.console import Console
from rich.table import Table

from processors.evaluate import CONFUSION_LABELS, Counts, Report


def _counts_table(title: str, key_name: str, rows: Mapping[str, Counts]) -> Table:
    table = Table(title=title)
    for name in (key_name, "TP", "FP", "FN", "precision", "recall", "F1"):
        table.add_column(name, justify="left" if name == key_name else "right")
    for key, c in rows.items():
        table.add_row(
            key, str(c.tp), str(c.fp), str(c.fn), f"{c.precision:.3f}", f"{c.recall:.3f}", f"{c.f1:.3f}"
        )
    return table


def render(report: Report, console: Console) -> None:
    console.print(_counts_table("Support/oppose triples", "scope", {"all": report.overall}))
    console.print(
        f"negative items: {report.negative_items}, "
        f"false positives on them: {report.negative_false_positives}; "
        f"sides matching an implied label (not scored): {report.optional_matched}"
    )
    console.print(_counts_table("Per country", "country", report.by_country))
    console.print(_counts_table("Per topic", "topic", report.by_topic))
    confusion = Table(title="Confusion (rows: label, columns: prediction; pairs labelled or predicted)")
    confusion.add_column("label \\ predicted")
    for label in CONFUSION_LABELS:
        confusion.add_column(label, justify="right")
    for gold in CONFUSION_LABELS:
        confusion.add_row(gold, *(str(report.confusion.get((gold, pred), 0)) for pred in CONFUSION_LABELS))
    console.print(confusion)


def summary(report: Report) -> dict[str, object]:
    """The report as plain JSON-able values (for scripts and benchmarks)."""

    def counts(c: Counts) -> dict[str, float | int]:
        return {
            "tp": c.tp,
            "fp": c.fp,
            "fn": c.fn,
            "precision": round(c.precision, 4),
            "recall": round(c.recall, 4),
            "f1": round(c.f1, 4),
        }

    return {
        "overall": counts(report.overall),
        "negative_items": report.negative_items,
        "negative_false_positives": report.negative_false_positives,
        "optional_matched": report.optional_matched,
        "by_country": {k: counts(v) for k, v in report.by_country.items()},
        "by_topic": {k: counts(v) for k, v in report.by_topic.items()},
        "confusion": {f"{g}->{p}": n for (g, p), n in sorted(report.confusion.items())},
        "false_positives": [[t.id, t.country, t.topic, t.stance] for t in report.false_positives],
        "false_negatives": [[t.id, t.country, t.topic, t.stance] for t in report.false_negatives],
    }
