"""Shared fixtures, and the session's isolation from the user's own stancewatch.

Before any test runs, ``pytest_configure`` gives the session a temporary data directory and free broker
ports in the environment (``tests/isolation.py``), so neither the tests nor the processes they spawn use
the user's data dir (~/.local/share/stancewatch), the default ports or a broker already running there;
the session stops with one line when the settings still point at any of them. The directory is removed
when the session ends.

``kafka_bootstrap`` gives a real broker: the cluster named by STANCEWATCH_KAFKA_BOOTSTRAP when set, else
the project's own local broker on the session's ports, started for the session and stopped when it ends.
``make_settings`` builds isolated settings: a private data directory and a unique topic prefix per test,
so tests never see each other's messages; on an external cluster the topics under those prefixes are
deleted when the session ends.
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from core.settings import Settings, load_settings
from tests.isolation import isolate, isolation_problems

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
_TEST_PREFIXES: set[str] = set()  # topic prefixes handed out by make_settings in this session
_SESSION_DIRS: list[Path] = []  # the session's temporary data dir, removed at the end


@pytest.fixture(autouse=True)
def _kafka_log_level() -> Iterator[None]:
    """A stage stopped in the middle of an outage leaves kafka-python's logger muted (``core.outage``):
    harmless in its own process, which ends, but the tests share one; each test starts from the level
    it found."""
    kafka_log = logging.getLogger("kafka")
    level = kafka_log.level
    yield
    kafka_log.setLevel(level)


def pytest_configure(config: pytest.Config) -> None:
    _SESSION_DIRS.append(isolate(os.environ))
    problems = isolation_problems(load_settings())
    if problems:
        raise pytest.UsageError(f"the test session is not isolated: {'; '.join(problems)}")


def pytest_unconfigure(config: pytest.Config) -> None:
    for path in _SESSION_DIRS:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is absent")
    return SHARED


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    from core.broker import LocalBroker
    from core.kafka import drop_topics_with_prefixes

    settings = load_settings()
    external = os.environ.get("STANCEWATCH_KAFKA_BOOTSTRAP", "").strip()
    if not external:
        # The session's own broker on the session's ports, in its data dir: stopped (and the data dir
        # removed) when the session ends; its watcher stops it should pytest be killed before that.
        local = LocalBroker(settings)
        yield local.ensure_running(exit_with_pid=os.getpid())
        local.stop()
        return
    yield external
    # Tests' private topics would pile up on a long-lived cluster; prefixes other runs use are untouched.
    # A failed clean-up is reported, not a test failure: every test already ran.
    try:
        drop_topics_with_prefixes(settings, _TEST_PREFIXES, external)
    except Exception as exc:  # kafka-python raises several unrelated error types
        warnings.warn(f"could not delete the test topics: {exc}", stacklevel=1)


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    def build(**overrides: object) -> Settings:
        prefix = f"t{uuid.uuid4().hex[:10]}."
        _TEST_PREFIXES.add(prefix)
        base: dict[str, object] = {
            "data_dir": tmp_path / "data",
            "topic_prefix": prefix,
            "topic_partitions": 1,
            "metrics_port": 0,
        }
        base.update(overrides)
        return load_settings(**base)

    return build


@pytest.fixture
def own_broker(make_settings: Callable[..., Settings]) -> Iterator[tuple[Settings, object]]:
    """A broker of this test's own (fresh data directory, free ports), for tests that stop and start it.

    Yields (settings, LocalBroker), started; the broker is stopped at the end.
    """
    import socket

    from core.broker import LocalBroker

    def free_port() -> int:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return int(s.getsockname()[1])

    settings = make_settings(broker_port=free_port(), broker_controller_port=free_port())
    broker = LocalBroker(settings, start_timeout=90)
    address = broker.start(exit_with_pid=os.getpid())
    try:
        yield settings.model_copy(update={"kafka_bootstrap": address}), broker
    finally:
        broker.stop()
