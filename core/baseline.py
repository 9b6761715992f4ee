"""The baseline file: positions a reference article establishes, written by ``stancewatch baseline build``
and read by the alert stage after a person reviewed it.

YAML shape::

    article: path/to/article.txt
    built_at: 2026-11-28T12:00:00Z
    model_version: nli-minilm-lora-v1
    positions:
      - {country: RU, topic: sanctions, stance: oppose, confidence: 0.93, evidence: "..."}

A reviewer may edit, remove, or mark entries ``mixed``. ``load`` raises ``BaselineError`` with one line
naming the file, entry and problem.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.files import FileError, read_yaml_mapping
from core.messages import BaselineStance, UtcDatetime
from core.vocabulary import shipped_vocabulary


class BaselineError(ValueError):
    """The baseline file is missing, unreadable or invalid; the message is one line."""


class Position(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    country: str
    topic: str
    stance: BaselineStance
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)
    evidence: str = ""

    @property
    def key(self) -> str:
        return f"{self.country}:{self.topic}"


class Baseline(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    article: str = ""
    built_at: UtcDatetime | None = None
    model_version: str = ""
    positions: tuple[Position, ...] = ()

    def by_key(self) -> dict[str, Position]:
        return {p.key: p for p in self.positions}


def dump(baseline: Baseline) -> str:
    """Reviewable YAML text of a baseline."""
    data: dict[str, Any] = baseline.model_dump(mode="json")
    header = (
        "# stancewatch baseline: positions the reference article establishes.\n"
        "# Review before use: edit or remove entries, or set stance: mixed.\n"
    )
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)


def save(baseline: Baseline, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(dump(baseline), encoding="utf-8")
    tmp.replace(path)


def load(path: Path, topics: set[str] | None = None, countries: Sequence[str] | None = None) -> Baseline:
    """Read and validate a baseline file; countries outside ``countries`` (default: the shipped
    vocabulary's; a stage passes its operator's, ``core.vocabulary``) and topics outside ``topics``
    (when given) are errors."""
    known = shipped_vocabulary().country_codes if countries is None else tuple(countries)
    try:
        raw = read_yaml_mapping(path, "baseline file")
    except FileError as exc:
        raise BaselineError(str(exc)) from None
    try:
        baseline = Baseline.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise BaselineError(f"{path}: {where}: {err['msg']}") from None
    seen: set[str] = set()
    for i, pos in enumerate(baseline.positions):
        if pos.country not in known:
            raise BaselineError(
                f"{path}: positions.{i}: unknown country {pos.country!r} (known: {', '.join(known)}; "
                "add it to the countries file or fix the entry)"
            )
        if topics is not None and pos.topic not in topics:
            raise BaselineError(f"{path}: positions.{i}: unknown topic {pos.topic!r}")
        if pos.key in seen:
            raise BaselineError(f"{path}: positions.{i}: duplicate entry for {pos.key}")
        seen.add(pos.key)
    return baseline


def built_now(article: Path, model_version: str, positions: list[Position], when: datetime) -> Baseline:
    return Baseline(
        article=str(article), built_at=when, model_version=model_version, positions=tuple(positions)
    )
