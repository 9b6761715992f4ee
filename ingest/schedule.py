"""When to poll a feed next. Pure functions of a poll's outcome; the scheduler wiring is in service.py.

Rules (all results clamped to [poll_min_interval, poll_max_interval]):
- success (200 or 304): the feed's interval (or poll_interval), lengthened to honour the feed's
  ``<ttl>``, ``Cache-Control: max-age`` or ``Expires`` (we never poll before the publisher says the
  document may change);
- 429/503: the server's Retry-After when it gives one, else the error backoff below;
- other errors: linear backoff, interval + failures * poll_error_backoff, so a feed failing again and
  again is retried at a slower and slower pace up to poll_max_interval, never dropped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from core.retry import http_date

_MAX_AGE = re.compile(r"(?:^|[,\s])(?:s-maxage|max-age)\s*=\s*\"?(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class Bounds:
    """Polling bounds and the default pace, from the ingest settings."""

    interval: float
    minimum: float
    maximum: float
    error_backoff: float

    def clamp(self, seconds: float) -> float:
        return max(self.minimum, min(self.maximum, seconds))


def cache_lifetime(headers: Mapping[str, str], now: datetime) -> float | None:
    """Freshness lifetime in seconds from Cache-Control max-age, else Expires (relative to Date)."""
    control = headers.get("cache-control", "")
    match = _MAX_AGE.search(control)
    if match:
        return float(match.group(1))
    expires = headers.get("expires")
    if expires:
        when = http_date(expires)
        if when is None:
            return 0.0  # an invalid Expires means "already expired" (RFC 9111)
        base = http_date(headers.get("date", "")) or now
        return max(0.0, (when - base).total_seconds())
    return None


def success_delay(
    bounds: Bounds, feed_interval: float | None, ttl: float | None, cache_seconds: float | None
) -> float:
    """Seconds until the next poll after a successful fetch (200 or 304)."""
    base = feed_interval or bounds.interval
    return bounds.clamp(max(base, ttl or 0.0, cache_seconds or 0.0))


def error_delay(
    bounds: Bounds, feed_interval: float | None, failures: int, retry_after: float | None
) -> float:
    """Seconds until the next poll after the ``failures``-th failure in a row (linear backoff)."""
    base = (feed_interval or bounds.interval) + max(0, failures) * bounds.error_backoff
    if retry_after is not None:
        return bounds.clamp(max(retry_after, bounds.minimum))
    return bounds.clamp(base)
