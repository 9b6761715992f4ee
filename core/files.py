"""Reading the operator's input files: one wording for a file that cannot be read.

Every command that reads a file it was given says ``cannot read PATH: REASON`` (the operating system's
reason: "No such file or directory", "Is a directory", "Permission denied").
"""

from __future__ import annotations

from pathlib import Path


def cannot_read(path: Path | str, exc: OSError) -> str:
    """The one-line reason ``path`` could not be read, e.g. ``cannot read gold.jsonl: Is a directory``."""
    return f"cannot read {path}: {exc.strerror or exc}"
