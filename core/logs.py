"""Logging set-up: one line per event, to stderr, so stdout stays for command output.

Libraries log at WARNING unless ``verbose`` (``--verbose`` / STANCEWATCH_VERBOSE): APScheduler's "Adding
job tentatively" / "Added job" per poll and kafka-python's connection chatter would drown the stages'
own lines. Python warnings (libraries' FutureWarning / DeprecationWarning, meant for developers) go
through logging and show only when verbose. httpx and httpcore stay at WARNING even then: their request
lines carry webhook URLs, which are secrets.
"""

from __future__ import annotations

import logging
import sys

# Top-level loggers of the libraries whose INFO lines are chatter for an operator.
LIBRARIES = ("apscheduler", "kafka", "urllib3", "filelock", "transformers", "peft", "torch", "aiosmtpd")
SECRET_BEARING = ("httpx", "httpcore")


def configure(level: str = "INFO", verbose: bool = False) -> None:
    root_level = getattr(logging, level.upper(), logging.INFO)
    logging.basicConfig(
        level=root_level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    quiet = max(logging.WARNING, root_level)
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(root_level if verbose else quiet)
    for name in SECRET_BEARING:
        logging.getLogger(name).setLevel(quiet)
    logging.captureWarnings(True)
    logging.getLogger("py.warnings").setLevel(logging.WARNING if verbose else logging.ERROR)
