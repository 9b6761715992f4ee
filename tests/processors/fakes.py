"""In-memory twins for the processors tests: a keyword stance model (no torch) and Kafka stand-ins."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from core.kafka import PublishError, Record
from processors.head import StanceQuery, StanceScores

NAMES = {
    "US": ("United States", "Washington", "U.S."),
    "RU": ("Russia", "Moscow", "Kremlin", "Lavrov"),
    "CN": ("China", "Beijing", "Chinese"),
    "KR": ("South Korea", "Seoul"),
    "KP": ("North Korea", "Pyongyang"),
    "JP": ("Japan", "Tokyo"),
}
TOPIC_WORDS = {
    "sanctions": "sanction",
    "thaad": "THAAD",
    "military_exercises": "drill",
    "denuclearization": "denucleari",
}


def scores(label: str, p: float) -> StanceScores:
    rest = (1 - p) / 3
    values = {k: (p if k == label else rest) for k in ("support", "oppose", "neutral", "none")}
    return StanceScores(**values)


class FakeModel:
    """Reads "<country> supports|opposes|discusses <topic word>" from the evidence sentence, where the
    pipeline has marked the asked country ("[Tokyo] supports ..."); records its calls."""

    version = "fake-1"

    def __init__(self, fail_on: str | None = None) -> None:
        self.calls: list[list[StanceQuery]] = []
        self.fail_on = fail_on

    def predict(self, queries: Sequence[StanceQuery], batch_size: int = 32) -> list[StanceScores]:
        self.calls.append(list(queries))
        out = []
        for q in queries:
            text = q.sentence
            if self.fail_on and self.fail_on in f"{q.context} {text}":
                raise RuntimeError("fake model failure")
            marked = min((i for n in NAMES[q.country] if (i := text.find(f"[{n}")) >= 0), default=-1)
            verbs = [i for v in ("oppose", "support", "discuss") if (i := text.find(v)) >= 0]
            topical = TOPIC_WORDS.get(q.topic, "\0").lower() in text.lower()
            if marked < 0 or not topical or not verbs or min(verbs) < marked:  # the subject takes the side
                out.append(scores("none", 0.9))
            elif "oppose" in text:
                out.append(scores("oppose", 0.9 if "strongly" in text else 0.8))
            elif "support" in text:
                out.append(scores("support", 0.9 if "strongly" in text else 0.8))
            else:
                out.append(scores("neutral", 0.8))
        return out


@dataclass
class ListConsumer:
    """Serves queued records in batches; remembers what was committed."""

    records: list[Record]
    group_id: str = "test-group"
    committed: list[Record] = field(default_factory=list)

    def poll_batch(self, max_records: int, timeout_ms: int) -> list[Record]:
        batch, self.records = self.records[:max_records], self.records[max_records:]
        return batch

    def commit(self, records: Sequence[Record]) -> None:
        self.committed.extend(records)

    def rewind(self, records: Sequence[Record]) -> None:
        """Serve ``records`` again first (as a real consumer seeking back would)."""
        self.records = sorted(records, key=lambda r: (r.topic, r.partition, r.offset)) + self.records

    def lag(self) -> dict[tuple[str, int], int]:
        return {("articles", 0): len(self.records)}


@dataclass
class ListPublisher:
    sent: list[tuple[str, object]] = field(default_factory=list)
    failures: int = 0  # the next N publish_all calls fail

    def publish_all(self, topic: str, messages: Sequence[object]) -> None:
        if self.failures:
            self.failures -= 1
            raise PublishError("not acknowledged (fake)")
        self.sent.extend((topic, m) for m in messages)


@dataclass
class ListDeadLetters:
    sent: list[tuple[Record, str]] = field(default_factory=list)

    def send(self, record: Record, error: str) -> None:
        self.sent.append((record, error))
