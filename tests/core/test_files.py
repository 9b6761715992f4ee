"""Reading input files: one wording for an unreadable file; one YAML reader for baseline and lexicon."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.baseline import BaselineError
from core.baseline import load as load_baseline
from core.files import FileError, cannot_read, read_yaml_mapping
from processors.lexicon import LexiconError, load_lexicon


def test_cannot_read_names_the_file_and_the_system_reason(tmp_path: Path) -> None:
    absent = tmp_path / "absent"
    with pytest.raises(OSError) as err:
        absent.read_text()
    assert cannot_read(absent, err.value) == f"cannot read {absent}: No such file or directory"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: None, "{p}: no such settings file"),
        (lambda p: p.mkdir(), "cannot read {p}: Is a directory"),
        (lambda p: p.write_bytes(b"\xff\xfe"), "cannot read {p}: not UTF-8"),
        (lambda p: p.write_text("a: [unclosed\n"), "{p}: not valid YAML at line 2: expected ',' or ']'"),
        (lambda p: p.write_text("- a list\n"), "{p}: expected a mapping at the top level"),
        (lambda p: p.write_text(""), "{p}: expected a mapping at the top level"),
    ],
)
def test_read_yaml_mapping_fails_in_one_line(tmp_path: Path, make, message: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "x.yaml"
    make(path)
    with pytest.raises(FileError) as err:
        read_yaml_mapping(path, "settings file")
    assert str(err.value).startswith(message.format(p=path))
    assert "\n" not in str(err.value)


def test_read_yaml_mapping_returns_the_mapping(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("a: 1\nb: [x]\n")
    assert read_yaml_mapping(path) == {"a": 1, "b": ["x"]}


def test_baseline_and_lexicon_files_fail_the_same_way(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("positions: [unclosed\n")
    with pytest.raises(BaselineError) as baseline_err:
        load_baseline(bad)
    with pytest.raises(LexiconError) as lexicon_err:
        load_lexicon(countries_file=bad)
    assert str(baseline_err.value) == str(lexicon_err.value)
    assert str(baseline_err.value).startswith(f"{bad}: not valid YAML at line 2")
