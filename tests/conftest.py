"""Shared fixtures.

``kafka_bootstrap`` gives a real broker: the cluster named by STANCEWATCH_KAFKA_BOOTSTRAP when set, else
the project's own local broker (started by ``core.broker``; a broker this test session started stops by
itself when pytest exits, one that was already running is left alone). ``make_settings`` builds isolated
settings: a private data directory and a unique topic prefix per test, so tests never see each other's
messages.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from core.settings import Settings, load_settings

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is absent")
    return SHARED


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    from core.broker import LocalBroker

    external = os.environ.get("STANCEWATCH_KAFKA_BOOTSTRAP", "").strip()
    if external:
        return external
    return LocalBroker(load_settings()).ensure_running(exit_with_pid=os.getpid())


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    def build(**overrides: object) -> Settings:
        base: dict[str, object] = {
            "data_dir": tmp_path / "data",
            "topic_prefix": f"t{uuid.uuid4().hex[:10]}.",
            "topic_partitions": 1,
            "metrics_port": 0,
        }
        base.update(overrides)
        return load_settings(**base)

    return build
