"""Retry policy as a value: how many attempts, how the delay grows, and which failures are transient."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """Attempts and backoff for transient failures.

    ``delay(n)`` is the wait before retry ``n`` (1-based): linear or exponential growth from ``base``,
    capped at ``cap``. A server's Retry-After, when given, wins within the cap.
    """

    attempts: int = 5
    base: float = 1.0
    cap: float = 300.0
    exponential: bool = True

    def delay(self, retry: int, retry_after: float | None = None) -> float:
        if retry_after is not None and retry_after >= 0:
            return min(retry_after, self.cap)
        n = max(1, retry)
        raw = self.base * (2 ** (n - 1) if self.exponential else n)
        return min(raw, self.cap)

    def gives_up(self, attempt: int) -> bool:
        """True when ``attempt`` (1-based, attempts made so far) has used up the policy."""
        return attempt >= self.attempts


def is_transient_status(status: int) -> bool:
    """HTTP statuses worth retrying: 408, 425, 429 and every 5xx."""
    return status in (408, 425, 429) or 500 <= status <= 599
