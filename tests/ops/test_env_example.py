"""deploy/.env.example lists every setting with its default and cannot drift from core/settings.py."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

from core.settings import ENV_PREFIX, REPO_ROOT, Settings, load_settings

EXAMPLE = REPO_ROOT / "deploy" / ".env.example"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_env_example", REPO_ROOT / "deploy" / "gen_env_example.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _entries() -> dict[str, str]:
    entries: dict[str, str] = {}
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = re.match(rf"^# {ENV_PREFIX}([A-Z0-9_]+)=(.*)$", line)
        if match:
            entries[match.group(1).lower()] = match.group(2)
    return entries


def test_every_setting_is_listed() -> None:
    missing = sorted(set(Settings.model_fields) - set(_entries()))
    assert not missing, f"missing from deploy/.env.example: {missing}; run python deploy/gen_env_example.py"


def test_nothing_unknown_is_listed() -> None:
    unknown = sorted(set(_entries()) - set(Settings.model_fields))
    assert not unknown, f"deploy/.env.example lists settings that do not exist: {unknown}"


def test_file_matches_the_generator() -> None:
    assert EXAMPLE.read_text(encoding="utf-8") == _generator().render(), (
        "deploy/.env.example is out of date: run python deploy/gen_env_example.py"
    )


def test_listed_defaults_read_back_as_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """Uncommenting a line unchanged must not change the setting (paths are shown symbolically)."""
    checked = 0
    for name, shown in _entries().items():
        default = Settings.model_fields[name].get_default(call_default_factory=True)
        if shown == "" or isinstance(default, Path):
            continue
        monkeypatch.setenv(f"{ENV_PREFIX}{name.upper()}", shown)
        assert getattr(load_settings(), name) == default, name
        monkeypatch.delenv(f"{ENV_PREFIX}{name.upper()}")
        checked += 1
    assert checked >= 20
