"""The per-pair timeline SVG: well-formed, escaped, points placed by side and time."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

from board.store import Observation, StoredAlert
from board.timeline import HEIGHT, WIDTH, svg

from .helpers import T0

NS = "{http://www.w3.org/2000/svg}"


def _obs(stance: str, days: float, sentence: str = "A made-up sentence.") -> Observation:
    return Observation("RU", "sanctions", stance, 0.9, sentence, "t", "https://a.example", "a.example",
                       T0 + timedelta(days=days))  # fmt: skip


def _alert(kind: str, new: str, days: float) -> StoredAlert:
    return StoredAlert(f"{kind}{days}", kind, "RU", "sanctions", "oppose", new, 0.9, (), "",
                       T0 + timedelta(days=days))  # fmt: skip


def test_hostile_text_is_escaped_and_the_svg_parses() -> None:
    text = svg([_obs("support", 0, "</title><script>alert(1)</script>")], [], "oppose", "RU <b>")
    assert "<script>" not in text and "&lt;script&gt;" in text
    root = ET.fromstring(text)
    assert root.get("aria-label") == "RU <b>"
    assert next(c.find(f"{NS}title").text for c in root.iter(f"{NS}circle")).endswith(
        "<script>alert(1)</script>"
    )


def test_points_by_side_and_time_and_the_current_line() -> None:
    root = ET.fromstring(
        svg(
            [_obs("support", 1), _obs("oppose", 40), _obs("neutral", 30)],
            [_alert("reversal", "support", 1), _alert("reverted", "oppose", 40)],
            "oppose",
            "t",
        )
    )
    dots = {c.get("class"): (float(c.get("cx")), float(c.get("cy"))) for c in root.iter(f"{NS}circle")}
    assert dots["obs support"][1] < dots["obs neutral"][1] < dots["obs oppose"][1]  # rows top to bottom
    assert dots["obs support"][0] < dots["obs neutral"][0] < dots["obs oppose"][0] < WIDTH
    line = root.find(f"{NS}polyline")
    assert line is not None
    ys = [float(p.split(",")[1]) for p in line.get("points").split()]
    assert ys[0] == ys[-1] == dots["obs oppose"][1] and min(ys) == dots["obs support"][1]  # out and back
    assert len(list(root.iter(f"{NS}path"))) == 2


def test_one_point_is_centred_and_an_empty_pair_says_so() -> None:
    root = ET.fromstring(svg([_obs("support", 0)], [], None, "t"))
    (dot,) = root.iter(f"{NS}circle")
    assert abs(float(dot.get("cx")) - (70 + (WIDTH - 70 - 16) / 2)) < 1
    assert "no observations yet" in svg([], [], "oppose", "t") and f"0 0 {WIDTH} {HEIGHT}" in svg(
        [], [], None, "t"
    )
