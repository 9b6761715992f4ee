"""Library chatter stays at WARNING unless verbose; secret-bearing HTTP logs never go below it."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from core.logs import LIBRARIES, SECRET_BEARING, configure


@pytest.fixture(autouse=True)
def restore_levels() -> Iterator[None]:
    # every logger configure() sets: one left at INFO (torch's) chatters at the session's exit
    names = ("", *LIBRARIES, *SECRET_BEARING, "py.warnings")
    saved = {n: logging.getLogger(n).level for n in names}
    handlers = list(logging.getLogger().handlers)
    yield
    logging.captureWarnings(False)
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)
    logging.getLogger().handlers[:] = handlers


def test_library_info_lines_are_hidden_by_default() -> None:
    configure("INFO")
    assert logging.getLogger("ingest.service").isEnabledFor(logging.INFO)
    # APScheduler's "Adding job tentatively" / "Added job" and kafka-python's connection lines
    assert not logging.getLogger("apscheduler.scheduler").isEnabledFor(logging.INFO)
    assert not logging.getLogger("kafka.conn").isEnabledFor(logging.INFO)
    assert logging.getLogger("kafka.coordinator").isEnabledFor(logging.WARNING)


def test_verbose_shows_them_but_never_httpx_request_lines() -> None:
    configure("INFO", verbose=True)
    assert logging.getLogger("apscheduler.scheduler").isEnabledFor(logging.INFO)
    assert logging.getLogger("kafka.conn").isEnabledFor(logging.INFO)
    assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)  # webhook URLs are secrets


def test_library_warnings_show_only_when_verbose() -> None:
    configure("INFO")
    assert not logging.getLogger("py.warnings").isEnabledFor(logging.WARNING)
    configure("INFO", verbose=True)
    assert logging.getLogger("py.warnings").isEnabledFor(logging.WARNING)
