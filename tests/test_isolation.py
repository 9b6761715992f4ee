"""`make test` never touches the user's stancewatch: their data dir, the default ports, their broker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from core.settings import REPO_ROOT, load_settings
from tests.isolation import SESSION_VARIABLES, isolation_problems

CHILD = """
import json
from core.settings import load_settings
from tests.isolation import isolation_problems
s = load_settings()
print(json.dumps({"problems": isolation_problems(s), "data_dir": str(s.data_dir)}))
"""


def test_the_session_uses_a_temporary_data_dir_and_no_default_port() -> None:
    settings = load_settings()
    assert isolation_problems(settings) == []
    assert Path(tempfile.gettempdir()) in settings.data_dir.parents
    assert settings.data_dir.is_dir()


def test_processes_the_tests_spawn_inherit_the_isolation() -> None:
    out = subprocess.run(
        [sys.executable, "-c", CHILD], cwd=REPO_ROOT, env=os.environ, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    child = json.loads(out.stdout)
    assert child == {"problems": [], "data_dir": str(load_settings().data_dir)}


def test_the_check_catches_the_user_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in SESSION_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env
    problems = isolation_problems(load_settings())
    assert [p.split()[0] for p in problems] == [
        "data_dir",
        "baseline_path",
        "broker_port",
        "broker_controller_port",
        "metrics_port",
    ]


def test_a_dotenv_file_in_the_working_directory_is_not_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text("STANCEWATCH_SLACK_WEBHOOK_URL=https://hooks.example/real\n")
    monkeypatch.chdir(tmp_path)
    assert load_settings().slack_webhook_url is None
    monkeypatch.delenv("STANCEWATCH_ENV_FILE")  # outside a test session the file is read
    assert load_settings().slack_webhook_url is not None
