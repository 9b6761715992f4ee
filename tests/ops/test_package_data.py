"""An installed wheel carries the files the stages load through importlib.resources (the vocabulary, the
shipped feed list, the committed model), and they resolve from the installed location, not the checkout."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from core.settings import REPO_ROOT

PACKAGES = ("core", "ingest", "processors", "alerts", "board", "stancewatch")
MODEL = "mpnet-nli-v2.1"  # the committed model (processors.model.DEFAULT_VERSION, without importing torch)

RESOLVE = """
import json
from importlib import resources
from core.vocabulary import load_vocabulary
from ingest.feeds import load_feeds, shipped_feeds
model = resources.files("processors") / "models" / MODEL
print(json.dumps({
    "feeds": str(shipped_feeds()),
    "feed_count": len(load_feeds(shipped_feeds())),
    "countries": len(load_vocabulary().countries),
    "model": [p.name for p in model.iterdir()],
    "model_dir": str(model),
}))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("setuptools")
    pytest.importorskip("wheel")
    src = tmp_path_factory.mktemp("src")  # a copy: building in the checkout would leave build/ there
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO_ROOT / name, src / name)
    for package in PACKAGES:
        shutil.copytree(REPO_ROOT / package, src / package, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            ".",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
        ],
        cwd=src,
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("stancewatch-*.whl")
    return built


def test_the_wheel_holds_every_shipped_file(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    model = sorted(p.name for p in (REPO_ROOT / "processors" / "models" / MODEL).iterdir() if p.is_file())
    wanted = {"core/countries.yaml", "core/topics.yaml", "ingest/feeds.yaml"}
    wanted |= {f"processors/models/{MODEL}/{name}" for name in model}
    assert wanted - names == set()
    assert f"processors/models/{MODEL}/adapter_model.safetensors" in wanted


def test_the_shipped_paths_resolve_where_the_wheel_is_installed(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    # -P and another working directory: the checkout is not on the path, the unpacked wheel is first
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin", "STANCEWATCH_ENV_FILE": ""}
    proc = subprocess.run(
        [sys.executable, "-P", "-c", f"MODEL = {MODEL!r}\n{RESOLVE}"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    found = json.loads(proc.stdout)
    assert found["feeds"] == str(site / "ingest" / "feeds.yaml") and found["feed_count"] > 0
    assert found["model_dir"] == str(site / "processors" / "models" / MODEL)
    assert "adapter_config.json" in found["model"] and "stance_head.json" in found["model"]
    assert found["countries"] > 0
