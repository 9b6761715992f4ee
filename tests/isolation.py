"""Keeps a test session away from the user's own stancewatch: their data dir, default ports, their broker.

``isolate(environ)`` (called by tests/conftest.py before any test runs) points the session's settings at a
fresh temporary data directory and at free ports, in the environment, so every process a test spawns
inherits the same isolation. ``isolation_problems(settings)`` says where settings would still touch the
user's installation; the session refuses to start when it finds any, and a test checks it.
"""

from __future__ import annotations

import socket
import tempfile
from collections.abc import MutableMapping
from pathlib import Path

from core.settings import Settings

# The variables isolate() sets; tests that build a child's environment from scratch keep these.
SESSION_VARIABLES = (
    "STANCEWATCH_DATA_DIR",
    "STANCEWATCH_BASELINE_PATH",
    "STANCEWATCH_BROKER_PORT",
    "STANCEWATCH_BROKER_CONTROLLER_PORT",
    "STANCEWATCH_METRICS_PORT",
    "STANCEWATCH_ENV_FILE",
)
STAGE_COUNT = 3  # `stancewatch run` serves metrics on metrics_port + 0, 1, 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def isolate(environ: MutableMapping[str, str]) -> Path:
    """Point ``environ``'s stancewatch settings at a new temporary data dir and free ports, and turn the
    ``.env`` file off (a developer's channels and cluster must not reach a test); return the dir.

    An external cluster named in STANCEWATCH_KAFKA_BOOTSTRAP in the environment is kept (CI against a
    real cluster).
    """
    data_dir = Path(tempfile.mkdtemp(prefix="stancewatch-test-"))
    broker, controller = free_port(), free_port()
    while controller == broker:
        controller = free_port()
    environ["STANCEWATCH_DATA_DIR"] = str(data_dir)
    environ["STANCEWATCH_BASELINE_PATH"] = str(data_dir / "baseline.yaml")
    environ["STANCEWATCH_BROKER_PORT"] = str(broker)
    environ["STANCEWATCH_BROKER_CONTROLLER_PORT"] = str(controller)
    environ["STANCEWATCH_METRICS_PORT"] = "0"  # off; tests that serve metrics pick a free port
    environ["STANCEWATCH_ENV_FILE"] = ""
    return data_dir


def session_env(environ: MutableMapping[str, str]) -> dict[str, str]:
    """The isolation variables of ``environ``, for a child environment built from scratch."""
    return {name: environ[name] for name in SESSION_VARIABLES if name in environ}


def isolation_problems(settings: Settings) -> list[str]:
    """Where ``settings`` still point at the user's installation: their data dir or a default port."""
    fields = Settings.model_fields
    user_data = Path(fields["data_dir"].get_default(call_default_factory=True)).resolve()
    problems = []
    for name in ("data_dir", "baseline_path"):
        path = Path(getattr(settings, name)).resolve()
        if path == user_data or user_data in path.parents:
            problems.append(f"{name} {path} is in the user's data dir {user_data}")
    for name in ("broker_port", "broker_controller_port"):
        if getattr(settings, name) == fields[name].default:
            problems.append(f"{name} is the default port {fields[name].default}")
    default_metrics = int(fields["metrics_port"].default)
    if default_metrics <= settings.metrics_port < default_metrics + STAGE_COUNT:
        problems.append(f"metrics_port {settings.metrics_port} is a default stage port")
    return problems
