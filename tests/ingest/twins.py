"""In-memory twins of the ingest boundaries (used where the broker is not what is being tested)."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from core.kafka import ACKED, Delivery
from core.messages import Article

TOO_LARGE = Delivery(ok=False, too_large=True, error="refused: too large (MessageSizeTooLargeError)")


class ListPublisher:
    """Keeps what it was given; ``down = True`` makes it refuse like an unreachable broker, a message
    encoded larger than ``max_bytes`` is refused for its size like the broker does, and one whose guid is
    in ``unacked`` is not acknowledged (a timeout while its siblings got through)."""

    def __init__(self, max_bytes: int = 1024 * 1024) -> None:
        self.sent: list[tuple[str, Article]] = []
        self.down = False
        self.calls = 0
        self.max_bytes = max_bytes
        self.unacked: set[str] = set()
        self._lock = threading.Lock()

    def publish_each(self, topic: str, messages: Sequence[Article]) -> list[Delivery]:
        with self._lock:
            self.calls += 1
            if self.down:
                return [Delivery(ok=False, error="not acknowledged: broker down")] * len(messages)
            out = []
            for m in messages:
                if m.guid in self.unacked:
                    out.append(Delivery(ok=False, error="not acknowledged: KafkaTimeoutError"))
                elif len(m.encode()) > self.max_bytes:
                    out.append(TOO_LARGE)
                else:
                    self.sent.append((topic, m))
                    out.append(ACKED)
            return out

    @property
    def articles(self) -> list[Article]:
        return [a for _, a in self.sent]
