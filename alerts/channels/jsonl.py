"""JSON Lines channel: every alert as one JSON line appended (and fsynced) to a file.

This is the machine-readable log, so it never receives digests: each alert gets its own line.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from alerts.channels import OK, Outcome
from core.messages import Alert


class JsonlNotifier:
    name = "jsonl"
    digest = False
    digest_max: int | None = None

    def __init__(self, path: Path) -> None:
        self._path = path

    def _append(self, alerts: Sequence[Alert]) -> Outcome:
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            with self._path.open("ab") as fh:
                fh.write(b"".join(a.encode() + b"\n" for a in alerts))
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            return Outcome(ok=False, transient=True, error=f"file: {type(exc).__name__}")
        return OK

    def send(self, alert: Alert) -> Outcome:
        return self._append([alert])

    def send_digest(self, alerts: Sequence[Alert]) -> Outcome:
        return self._append(alerts)

    def close(self) -> None:
        pass
