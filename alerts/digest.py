"""Digest planning (pure): when more than K alerts fire for a channel within a window, the channel gets
one digest of the pending ones instead of one message each.

The first K alerts of a window go out one by one as they come; once the window's count passes K, the
pending rows are held until the oldest has waited ``hold`` seconds (so the rest of a burst joins) and
then sent as one digest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from alerts.outbox import Row


@dataclass(frozen=True)
class Send:
    """What the dispatcher sends next: one alert, or several as a digest."""

    rows: tuple[Row, ...]
    digest: bool


def plan(
    pending: Sequence[Row],
    fired_in_window: int,
    now: float,
    threshold: int,
    hold: float,
    digest_allowed: bool = True,
    max_rows: int | None = None,
) -> list[Send]:
    """Sends due now for one channel's pending rows (``fired_in_window`` counts delivered ones too).

    A digest holds at most ``max_rows`` alerts (what one message of the channel can carry, each alert
    with its id); a larger burst becomes several digests, oldest rows first.
    """
    due = [r for r in pending if r.next_at <= now]
    if not due:
        return []
    if not digest_allowed or fired_in_window <= threshold:
        return [Send((r,), False) for r in due]
    if len(due) == 1 and due[0].attempts > 0:
        return [Send((due[0],), False)]  # a retry of a lone row stays a single send
    oldest = min(r.created_at for r in due)
    if now - oldest < hold:
        return []
    size = max(1, max_rows) if max_rows is not None else len(due)
    chunks = [tuple(due[i : i + size]) for i in range(0, len(due), size)]
    return [Send(chunk, len(chunk) > 1) for chunk in chunks]
