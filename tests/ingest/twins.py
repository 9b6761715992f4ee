"""In-memory twins of the ingest boundaries (used where the broker is not what is being tested)."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from core.kafka import PublishError
from core.messages import Article


class ListPublisher:
    """Keeps what it was given; ``down = True`` makes it refuse like an unreachable broker."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Article]] = []
        self.down = False
        self.calls = 0
        self._lock = threading.Lock()

    def publish_all(self, topic: str, messages: Sequence[Article]) -> None:
        with self._lock:
            self.calls += 1
            if self.down:
                raise PublishError(f"publish to {topic} not acknowledged: broker down")
            self.sent.extend((topic, m) for m in messages)

    @property
    def articles(self) -> list[Article]:
        return [a for _, a in self.sent]
