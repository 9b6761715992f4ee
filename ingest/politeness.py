"""Per-host politeness: at most ``concurrency`` requests in flight to one host and at least ``min_gap``
seconds between the starts of two requests to it. Thread-safe; used by the poller around each fetch.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class HostGate:
    """Blocks a caller until its host has a free slot and the gap since the last start has passed."""

    def __init__(self, min_gap: float, concurrency: int, clock: Callable[[], float] = time.monotonic) -> None:
        if concurrency < 1:
            raise ValueError("host concurrency must be at least 1")
        self.min_gap = max(0.0, min_gap)
        self.concurrency = concurrency
        self._clock = clock
        self._cond = threading.Condition()
        self._active: dict[str, int] = {}
        self._next_start: dict[str, float] = {}

    @contextmanager
    def slot(self, host: str) -> Iterator[None]:
        """Hold one of ``host``'s slots for the duration of the block ('' = no limit, e.g. local files)."""
        if not host:
            yield
            return
        with self._cond:
            while True:
                now = self._clock()
                wait = self._next_start.get(host, 0.0) - now
                if self._active.get(host, 0) < self.concurrency and wait <= 0:
                    break
                self._cond.wait(timeout=wait if wait > 0 else None)
            self._active[host] = self._active.get(host, 0) + 1
            self._next_start[host] = now + self.min_gap
        try:
            yield
        finally:
            with self._cond:
                self._active[host] -= 1
                if not self._active[host]:
                    del self._active[host]
                self._cond.notify_all()
