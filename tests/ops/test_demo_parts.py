"""The offline demo's pieces: its sample feeds, the feed list it writes, its local server and output."""

from __future__ import annotations

import io
import shutil
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console

from core.messages import Alert, Evidence
from core.settings import Settings
from ingest.feeds import load_feeds
from ingest.parse import parse_feed
from stancewatch.demo import Demo, DemoOptions, alert_lines, demo_console
from stancewatch.demo_parts import (
    SAMPLES_DIR,
    DemoError,
    SampleServer,
    feeds_document,
    sample_files,
    stage_env,
    write_feeds_file,
)


def test_sample_feeds_parse_and_are_marked_as_samples() -> None:
    files = sample_files(SAMPLES_DIR)
    assert len(files) >= 2
    titles: list[str] = []
    for path in files:
        parsed = parse_feed(path.read_bytes(), {"content-type": "application/xml"}, path.as_uri())
        assert not parsed.bozo, f"{path.name}: {parsed.bozo_reason}"
        assert len(parsed.entries) >= 3
        for entry in parsed.entries:
            assert entry.title.startswith("SAMPLE: "), entry.title
            assert "invented for the stancewatch demo" in entry.summary
            assert entry.link.startswith("https://") and ".example/" in entry.link
        titles += [e.title for e in parsed.entries]
    assert any("Russia" in t and "sanctions" in t for t in titles)


def test_samples_come_from_independent_domains() -> None:
    """Corroboration needs >= 2 distinct sources, so the sample feeds use different link domains."""
    domains = set()
    for path in sample_files(SAMPLES_DIR):
        parsed = parse_feed(path.read_bytes(), {}, path.as_uri())
        domains |= {e.link.split("/")[2] for e in parsed.entries}
    assert len(domains) >= 2


def test_generated_feed_list_validates(tmp_path: Path) -> None:
    files = sample_files(SAMPLES_DIR)
    target = write_feeds_file(files, "http://127.0.0.1:8765/", tmp_path / "feeds.yaml")
    feeds = load_feeds(target)
    assert [f.url for f in feeds] == [f"http://127.0.0.1:8765/{p.name}" for p in files]
    assert len({f.name for f in feeds}) == len(files)
    assert feeds_document(files, "http://h:1")["feeds"][0]["tags"] == ["demo"]


def test_sample_files_reports_an_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a feed")
    with pytest.raises(DemoError, match="no feed files"):
        sample_files(tmp_path)
    with pytest.raises(DemoError, match="does not exist"):
        sample_files(tmp_path / "absent")


def test_sample_server_serves_the_files_on_localhost() -> None:
    path = sample_files(SAMPLES_DIR)[0]
    with SampleServer(SAMPLES_DIR) as server:
        assert server.base_url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(f"{server.base_url}/{path.name}", timeout=10) as response:
            assert response.read() == path.read_bytes()


def test_stage_env_sets_prefixed_overrides() -> None:
    env = stage_env({"PATH": "/bin", "HF_HUB_OFFLINE": "1"}, {"metrics_port": 9400, "alerts_jsonl": None})
    assert env["STANCEWATCH_METRICS_PORT"] == "9400"
    assert env["STANCEWATCH_ALERTS_JSONL"] == ""
    assert env["PATH"] == "/bin" and env["TOKENIZERS_PARALLELISM"] == "false"


def test_alert_lines_show_third_party_text_literally() -> None:
    alert = Alert(
        id="a1",
        kind="reversal",
        country="RU",
        topic="sanctions",
        baseline_stance="oppose",
        new_stance="support",
        confidence=0.93,
        evidence=(
            Evidence(
                sentence="[bold]Russia backs[/bold] sanctions", title="SAMPLE: t", url="https://x.example/a"
            ),
        ),
        baseline_evidence="opposition to expanded international sanctions",
        detected_at=datetime(2026, 11, 28, tzinfo=UTC),
    )
    console = Console(record=True, width=200, color_system=None)
    console.print(alert_lines(alert))
    text = console.export_text()
    assert text.startswith("ALERT reversal RU on sanctions: oppose -> support (confidence 0.93)")
    assert '"[bold]Russia backs[/bold] sanctions"' in text
    assert "baseline:" in text


def test_demo_lines_are_not_cut_at_80_columns() -> None:
    out = io.StringIO()
    console = demo_console(file=out, width=80)
    long = "metrics: classify-stream " + "http://127.0.0.1:40123/metrics " * 4 + "and more words at the end"
    console.print(long)
    evidence = Evidence(sentence="Moscow said it " + "firmly and repeatedly " * 6 + "opposes sanctions.")
    alert = Alert(id="a2", kind="reversal", country="RU", topic="sanctions", baseline_stance="support",
                  new_stance="oppose", confidence=0.9, evidence=(evidence,),
                  detected_at=datetime(2026, 11, 28, tzinfo=UTC))  # fmt: skip
    console.print(alert_lines(alert))
    lines = out.getvalue().splitlines()
    assert lines[0] == long
    assert len(lines) == 3, lines  # the alert: its head and its one evidence sentence, uncut


@pytest.mark.parametrize("keep", [False, True])
def test_the_work_dir_is_named_only_when_it_is_kept(
    keep: bool, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    out = io.StringIO()
    options = DemoOptions(SAMPLES_DIR, tmp_path / "article.txt", timeout=1, linger=0, keep=keep)
    demo = Demo(make_settings(), options, demo_console(file=out, width=80))
    try:
        demo._describe("http://127.0.0.1:1", sample_files(SAMPLES_DIR))
    finally:
        shutil.rmtree(demo.workdir)
    text = out.getvalue()
    assert (str(demo.workdir) in text) is keep
    if keep:
        assert f"kept): {demo.workdir}" in text
