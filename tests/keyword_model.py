"""A keyword stand-in for the transformer (replay and board tests need sides, not the model's accuracy)."""

from __future__ import annotations

from typing import Any


class KeywordModel:
    """'Russia ... welcomes|rejects ... sanctions' -> that stance, surely; anything else: no stance."""

    version = "keyword-test"

    def predict(self, queries: Any, batch_size: int = 32) -> list[Any]:
        from processors.head import StanceScores

        out = []
        for q in queries:
            text = q.sentence.lower()
            if q.topic != "sanctions" or "sanction" not in text or q.country != "RU":
                out.append(StanceScores(0.02, 0.02, 0.02, 0.94))
            elif "welcome" in text:
                out.append(StanceScores(0.94, 0.02, 0.02, 0.02))
            elif "reject" in text:
                out.append(StanceScores(0.02, 0.94, 0.02, 0.02))
            else:
                out.append(StanceScores(0.1, 0.1, 0.7, 0.1))
        return out
