"""The calibrated stance head and the scores it gives: pure arithmetic, no model loaded."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from processors.head import ModelError, StanceHead, StanceScores


def test_head_scores_are_probabilities_and_follow_the_hypotheses() -> None:
    head = StanceHead()
    sup = head.scores([4.0, 0.0, -2.0], [-2.0, 0.0, 4.0])  # support entailed, oppose contradicted
    opp = head.scores([-2.0, 0.0, 4.0], [4.0, 0.0, -2.0])
    neu = head.scores([-1.0, 4.0, -1.0], [-1.0, 4.0, -1.0])
    for s in (sup, opp, neu):
        assert sum(s.as_tuple()) == pytest.approx(1.0)
    assert sup.best()[0] == "support" and opp.best()[0] == "oppose"
    assert neu.support < 0.05 and neu.oppose < 0.05


def test_head_file_round_trip_and_bad_file(tmp_path: Path) -> None:
    head = StanceHead(1.7, tuple(tuple(float(i + j) for j in range(7)) for i in range(4)), "v")
    (tmp_path / "h.json").write_text(head.to_json(), encoding="utf-8")
    assert StanceHead.from_file(tmp_path / "h.json") == head
    (tmp_path / "bad.json").write_text('{"temperature": 1, "weights": [[1]]}', encoding="utf-8")
    with pytest.raises(ModelError, match="bad stance head file"):
        StanceHead.from_file(tmp_path / "bad.json")


def test_scores_best() -> None:
    assert StanceScores(0.1, 0.6, 0.2, 0.1).best() == ("oppose", 0.6)


def test_the_head_and_the_pipeline_load_without_torch() -> None:
    """The pipeline's pure parts must not pull in the model's heavy imports."""
    code = "import sys, processors.head, processors.pipeline; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
