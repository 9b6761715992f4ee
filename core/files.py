"""Reading the operator's input files: one wording for a file that cannot be read, and the YAML reader
that the baseline file (core/baseline.py) and the countries/topics files (core/vocabulary.py) share.

Every command that reads a file it was given says ``cannot read PATH: REASON`` (the operating system's
reason: "No such file or directory", "Is a directory", "Permission denied").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class FileError(ValueError):
    """An input file is missing, unreadable, not YAML or not a mapping; the message is one line."""


def cannot_read(path: Path | str, exc: OSError) -> str:
    """The one-line reason ``path`` could not be read, e.g. ``cannot read gold.jsonl: Is a directory``."""
    return f"cannot read {path}: {exc.strerror or exc}"


def read_yaml_mapping(path: Path, what: str = "file") -> dict[str, Any]:
    """The top-level mapping of the YAML file at ``path``.

    Raises FileError: ``PATH: no such WHAT``, ``cannot read PATH: REASON``, ``PATH: not valid YAML at line
    N: PROBLEM`` or ``PATH: expected a mapping at the top level``.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileError(f"{path}: no such {what}") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = cannot_read(path, exc) if isinstance(exc, OSError) else f"cannot read {path}: not UTF-8"
        raise FileError(reason) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise FileError(f"{path}: not valid YAML{at}: {problem}") from None
    if not isinstance(data, dict):
        raise FileError(f"{path}: expected a mapping at the top level")
    return data
