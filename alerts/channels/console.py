"""Console channel: one readable block per alert on stdout (or an injected stream)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

from alerts import render
from alerts.channels import OK, Outcome
from core.messages import Alert


class ConsoleNotifier:
    name = "console"
    digest = True
    digest_max: int | None = None

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    def _write(self, text: str) -> Outcome:
        stream = self._stream or sys.stdout
        try:
            stream.write(text + "\n\n")
            stream.flush()
        except (OSError, ValueError) as exc:
            return Outcome(ok=False, transient=True, error=f"console: {type(exc).__name__}")
        return OK

    def send(self, alert: Alert) -> Outcome:
        return self._write(render.text(alert))

    def send_digest(self, alerts: Sequence[Alert]) -> Outcome:
        return self._write(render.digest_text(alerts))

    def close(self) -> None:
        pass
