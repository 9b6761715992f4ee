"""The per-pair timeline: a small SVG (side over time) built server-side.

Built with the standard library's ElementTree, which escapes every text and attribute value, so article
text in the tooltips stays inert. No charting library: pygal (the maintained pure-Python SVG charting
library) writes inline scripts and style attributes that the board's strict Content-Security-Policy
(no 'unsafe-inline') blocks, and matplotlib is a large dependency for three rows of dots. Styling is by
class names, from the board's own stylesheet.

Rows, top to bottom: support, neutral, oppose. Dots are observations (radius by confidence); the step
line is the alert stage's current side (the baseline's until the first alert); a dashed line marks the
baseline.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import datetime, timedelta

from board.store import Observation, StoredAlert

ROWS = {"support": 0, "neutral": 1, "mixed": 1, "oppose": 2}
WIDTH, HEIGHT = 720, 150
LEFT, RIGHT, TOP, ROW_H = 70, 16, 18, 40


def _fmt(when: datetime) -> str:
    return when.strftime("%Y-%m-%d")


def svg(
    observations: Sequence[Observation],
    alerts: Sequence[StoredAlert],
    baseline: str | None,
    title: str,
) -> str:
    """The SVG element (as text) for one pair; an empty chart says so."""
    root = ET.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "viewBox": f"0 0 {WIDTH} {HEIGHT}",
            "class": "timeline",
            "role": "img",
            "aria-label": title,
        },
    )
    ET.SubElement(root, "title").text = title
    for name, row in (("support", 0), ("neutral", 1), ("oppose", 2)):
        gy = TOP + row * ROW_H
        ET.SubElement(
            root,
            "line",
            {"x1": str(LEFT), "x2": str(WIDTH - RIGHT), "y1": str(gy), "y2": str(gy), "class": "grid"},
        )
        ET.SubElement(
            root,
            "text",
            {"x": str(LEFT - 8), "y": str(gy + 4), "class": f"axis {name}", "text-anchor": "end"},
        ).text = name
    times = [o.published for o in observations] + [a.detected for a in alerts]
    if not times:
        ET.SubElement(
            root,
            "text",
            {"x": str(WIDTH // 2), "y": str(TOP + ROW_H + 4), "class": "empty", "text-anchor": "middle"},
        ).text = "no observations yet"
        return ET.tostring(root, encoding="unicode")
    # padded, so that points on the first and last day do not sit on the frame (and one point is centred)
    first, last = min(times), max(times)
    pad = max((last - first) * 0.04, timedelta(hours=12))
    start, end = first - pad, last + pad
    span = (end - start).total_seconds()

    def x(when: datetime) -> float:
        return round(LEFT + (WIDTH - LEFT - RIGHT) * (when - start).total_seconds() / span, 1)

    def y(stance: str) -> int:
        return TOP + ROWS.get(stance, 1) * ROW_H

    if baseline is not None:
        ET.SubElement(
            root,
            "line",
            {
                "x1": str(LEFT),
                "x2": str(WIDTH - RIGHT),
                "y1": str(y(baseline)),
                "y2": str(y(baseline)),
                "class": "baseline",
            },
        )
    points: list[tuple[float, int]] = []
    side = baseline
    for a in sorted(alerts, key=lambda a: (a.detected, a.id)):
        if side is not None:
            points.append((x(a.detected), y(side)))
        side = a.new_stance
        points.append((x(a.detected), y(side)))
    if side is not None and points:
        points.append((x(last), y(side)))
        ET.SubElement(
            root, "polyline", {"points": " ".join(f"{px},{py}" for px, py in points), "class": "current"}
        )
    for o in sorted(observations, key=lambda o: o.published):
        dot = ET.SubElement(
            root,
            "circle",
            {
                "cx": str(x(o.published)),
                "cy": str(y(o.stance)),
                "r": str(round(2 + 4 * o.confidence, 1)),
                "class": f"obs {o.stance}",
            },
        )
        ET.SubElement(dot, "title").text = f"{_fmt(o.published)} {o.stance} {o.confidence:.2f}: {o.sentence}"
    for a in alerts:
        mark = ET.SubElement(
            root, "path", {"d": f"M{x(a.detected)},{HEIGHT - 22} l-5,9 h10 z", "class": f"alert {a.kind}"}
        )
        ET.SubElement(mark, "title").text = f"{_fmt(a.detected)} {a.kind} -> {a.new_stance}"
    if last - first >= timedelta(days=20):
        labels = [(x(first), "start", _fmt(first)), (x(last), "end", _fmt(last))]
    else:  # a short range: one label under the middle
        text = _fmt(first) if _fmt(first) == _fmt(last) else f"{_fmt(first)} \u2013 {_fmt(last)}"
        labels = [(x(first + (last - first) / 2), "middle", text)]
    for lx, anchor, text in labels:
        ET.SubElement(
            root, "text", {"x": str(lx), "y": str(HEIGHT - 2), "class": "axis", "text-anchor": anchor}
        ).text = text
    return ET.tostring(root, encoding="unicode")
