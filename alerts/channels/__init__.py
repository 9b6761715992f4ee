"""Notification channels. Each module owns one boundary; all return ``Outcome`` values, never raise."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from core.messages import Alert


@dataclass(frozen=True)
class Outcome:
    """Result of one send. ``transient`` failures are retried; others mark the send failed.

    ``error`` is one line that never contains a secret (webhook URL, password).
    """

    ok: bool
    transient: bool = False
    status: int | None = None
    retry_after: float | None = None
    error: str = ""

    @property
    def reason(self) -> str:
        """A low-cardinality label for metrics: ok, http_<status>, or an error class."""
        if self.ok:
            return "ok"
        if self.status is not None:
            return f"http_{self.status}"
        return self.error.split(":", 1)[0][:40] or "error"


OK = Outcome(ok=True)


class Notifier(Protocol):
    """One channel. ``send`` delivers one alert, ``send_digest`` several as one message."""

    name: str
    digest: bool  # whether bursts go to this channel as a digest
    digest_max: int | None  # the most alerts one digest message carries (None: no limit)

    def send(self, alert: Alert) -> Outcome: ...

    def send_digest(self, alerts: Sequence[Alert]) -> Outcome: ...

    def close(self) -> None: ...


def redact(text: str, secrets: Sequence[str]) -> str:
    """Replace every secret (and its URL path, if it is a URL) in ``text`` by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
            if "://" in secret:
                path = secret.split("://", 1)[1].partition("/")[2]
                if len(path) >= 4:
                    text = text.replace(path, "***")
    return text
