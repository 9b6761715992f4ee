"""STYLE's shape of the house, checked on the source: one module per external boundary, and stages that
never import each other (what they share lives in ``core``, which imports no stage)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("ingest", "processors", "alerts", "board")
PACKAGES = ("core", *STAGES, "stancewatch")

# third-party boundary -> the only modules (or packages, ending in "/") allowed to import it
BOUNDARIES = {
    "kafka": ("core/kafka/",),
    "torch": ("processors/model.py",),
    "transformers": ("processors/model.py",),
    "feedparser": ("ingest/parse.py",),
    "apscheduler": ("ingest/service.py",),
    "smtplib": ("alerts/channels/email.py",),
    "httpx": ("ingest/fetch.py", "alerts/channels/http.py"),
}


def _imports(path: Path) -> set[str]:
    """Top-level names of every module ``path`` imports (absolute imports only; the project uses no
    relative ones)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return {name.split(".")[0] for name in names}


def _sources() -> dict[str, set[str]]:
    return {
        path.relative_to(ROOT).as_posix(): _imports(path)
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    }


def test_the_sources_are_found():
    sources = _sources()
    assert "core/kafka/producer.py" in sources and "processors/model.py" in sources
    assert "kafka" in sources["core/kafka/producer.py"]


@pytest.mark.parametrize("library", sorted(BOUNDARIES))
def test_each_boundary_is_imported_in_one_place(library):
    allowed = BOUNDARIES[library]
    offenders = [
        module
        for module, imported in _sources().items()
        if library in imported and not module.startswith(allowed)
    ]
    assert offenders == [], f"{library} may only be imported by {', '.join(allowed)}"


def test_stages_never_import_each_other_and_core_imports_no_stage():
    crossings = []
    for module, imported in _sources().items():
        owner = module.split("/")[0]
        if owner == "stancewatch":  # the CLI wires the stages together
            continue
        crossings += [f"{module} imports {stage}" for stage in STAGES if stage in imported and stage != owner]
    assert crossings == []
