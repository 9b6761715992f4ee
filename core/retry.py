"""Retry policy as a value: how many attempts, how the delay grows, which failures are transient, and
how long a server asked to wait (Retry-After). Shared by ingest (feed polls) and alerts (notifiers)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


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


def http_date(value: str) -> datetime | None:
    """An HTTP-date header value (RFC 9110) as an aware UTC datetime; None when it is not one."""
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delay-seconds, or an HTTP-date relative to ``now``
    (epoch seconds; default: the clock). Never negative; None when the header is absent or malformed."""
    if not value or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        when = http_date(text)
        if when is None:
            return None
        return max(0.0, when.timestamp() - (time.time() if now is None else now))
    return max(0.0, seconds) if math.isfinite(seconds) else None
