"""Logging set-up: one line per event, to stderr, so stdout stays for command output."""

from __future__ import annotations

import logging
import sys


def configure(level: str = "INFO") -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    # kafka-python is chatty at INFO about connections; its warnings still show.
    logging.getLogger("kafka").setLevel(max(logging.WARNING, logging.getLogger().level))
