"""The outbox survives a SIGKILL in the middle of a delivery: a restart delivers the alert."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from core.settings import REPO_ROOT

from .servers import http_receiver


def worker(db: Path, url: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.alerts.outbox_worker", str(db), url, *extra],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )


@pytest.mark.integration
def test_kill_mid_delivery_then_restart_delivers(tmp_path: Path) -> None:
    db = tmp_path / "alerts.sqlite3"
    # the first request hangs (the receiver holds it) so the worker is killed mid-delivery
    with http_receiver((200, {}, 60.0)) as rec:
        first = worker(db, rec.url(), "--enqueue")
        assert len(rec.wait_for(1, timeout=60)) == 1
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        assert first.returncode == -signal.SIGKILL
        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT status FROM outbox").fetchall() == [("pending",)]
        second = worker(db, rec.url())
        _out, err = second.communicate(timeout=60)
        assert second.returncode == 0, err[-2000:]
        got = rec.wait_for(2)
    assert len(got) == 2 and got[1].json()["id"] == "kill-test" == got[0].json()["id"]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT status FROM outbox").fetchall() == [("delivered",)]
