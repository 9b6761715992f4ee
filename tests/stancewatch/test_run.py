"""``stancewatch run``: the stage list (pure), and the supervisor with trivial child processes: a failing
stage stops the others, SIGINT/SIGTERM are forwarded once, stubborn stages are killed, children die with
the supervisor; and ``run`` itself against the real broker with an injected stage list."""

from __future__ import annotations

import ast
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from core.kafka import Topics
from core.settings import REPO_ROOT, Settings
from stancewatch.run_commands import Stage, Supervisor, exit_code, pipeline_stages, run

# A stand-in stage: records its metrics port, then exits with a code, sleeps, or ignores SIGTERM.
CHILD = r"""
import os, pathlib, signal, sys, time
out, name, mode = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3]
def on_signal(signum, frame):
    (out / f"{name}.signal").write_text(signal.Signals(signum).name)
    sys.exit(0)
if mode == "stubborn":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
else:
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
env = {k: v for k, v in os.environ.items() if k.startswith("STANCEWATCH_")}
(out / f"{name}.started").write_text(repr(env))
if mode.startswith("exit"):
    time.sleep(0.5)
    sys.exit(int(mode[4:]))
time.sleep(120)
"""


def child(out: Path, name: str, mode: str, **env: str) -> Stage:
    return Stage(name, (sys.executable, "-c", CHILD, str(out), name, mode), env)


def wait_for(path: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.05)


def test_pipeline_stages(make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    settings = make_settings(metrics_port=9400)
    stages = pipeline_stages(settings, "127.0.0.1:19092", tmp_path / "feeds.yaml", python="/py")
    assert [s.name for s in stages] == ["ingest", "classify", "alert", "board"]
    assert [s.argv for s in stages] == [
        ("/py", "-m", "stancewatch", "ingest", "--feeds", str(tmp_path / "feeds.yaml")),
        ("/py", "-m", "stancewatch", "classify-stream"),
        ("/py", "-m", "stancewatch", "alert"),
        ("/py", "-m", "stancewatch", "board"),
    ]
    assert [s.env["STANCEWATCH_METRICS_PORT"] for s in stages] == ["9400", "9401", "9402", "9403"]
    assert {s.env["STANCEWATCH_KAFKA_BOOTSTRAP"] for s in stages} == {"127.0.0.1:19092"}
    off = pipeline_stages(make_settings(metrics_port=0), "k:1")
    assert [s.metrics_port for s in off] == [0, 0, 0, 0]
    assert off[0].argv[-1] == "ingest"
    assert not any("STANCEWATCH_VERBOSE" in s.env for s in stages)
    verbose = pipeline_stages(make_settings(verbose=True), "k:1")
    assert {s.env["STANCEWATCH_VERBOSE"] for s in verbose} == {"true"}  # `stancewatch --verbose run`


def test_exit_code() -> None:
    assert exit_code(0) == 0
    assert exit_code(3) == 3
    assert exit_code(-signal.SIGKILL) == 137


def test_failing_stage_stops_the_others(tmp_path: Path) -> None:
    sup = Supervisor([child(tmp_path, "long", "sleep"), child(tmp_path, "bad", "exit3")], stop_timeout=20)
    started = time.monotonic()
    assert sup.run() == 3
    assert time.monotonic() - started < 20
    assert (tmp_path / "long.signal").read_text() == "SIGTERM"
    assert all(p.poll() is not None for p in sup.procs.values())


def test_all_stages_finishing_cleanly_is_success(tmp_path: Path) -> None:
    sup = Supervisor(
        [child(tmp_path, "a", "exit0", STANCEWATCH_METRICS_PORT="9500"), child(tmp_path, "b", "exit0")],
        base_env={"PATH": os.environ.get("PATH", ""), "STANCEWATCH_TOPIC_PREFIX": "x."},
    )
    assert sup.run() == 0
    env_a = ast.literal_eval((tmp_path / "a.started").read_text())
    assert env_a == {"STANCEWATCH_METRICS_PORT": "9500", "STANCEWATCH_TOPIC_PREFIX": "x."}
    assert not (tmp_path / "a.signal").exists()


def test_stubborn_stage_is_killed_after_the_timeout(tmp_path: Path) -> None:
    sup = Supervisor(
        [child(tmp_path, "stubborn", "stubborn"), child(tmp_path, "bad", "exit2")], stop_timeout=1
    )
    started = time.monotonic()
    assert sup.run() == 2
    assert time.monotonic() - started < 15
    assert sup.procs["stubborn"].returncode == -signal.SIGKILL


SUPERVISOR_SCRIPT = r"""
import sys
from pathlib import Path
from stancewatch.run_commands import Stage, Supervisor
out = Path(sys.argv[1])
child = sys.argv[2]
stages = [Stage(n, (sys.executable, "-c", child, str(out), n, "sleep")) for n in ("one", "two")]
sys.exit(Supervisor(stages, stop_timeout=20).run())
"""


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_is_forwarded_to_every_stage(tmp_path: Path, signum: int) -> None:
    sup = subprocess.Popen([sys.executable, "-c", SUPERVISOR_SCRIPT, str(tmp_path), CHILD], cwd=REPO_ROOT)
    try:
        for name in ("one", "two"):
            wait_for(tmp_path / f"{name}.started")
        sup.send_signal(signum)
        assert sup.wait(timeout=30) == 0
    finally:
        if sup.poll() is None:
            sup.kill()
    for name in ("one", "two"):
        assert (tmp_path / f"{name}.signal").read_text() == signal.Signals(signum).name


def test_stages_die_with_a_killed_supervisor(tmp_path: Path) -> None:
    sup = subprocess.Popen([sys.executable, "-c", SUPERVISOR_SCRIPT, str(tmp_path), CHILD], cwd=REPO_ROOT)
    for name in ("one", "two"):
        wait_for(tmp_path / f"{name}.started")
    sup.kill()
    sup.wait()
    for name in ("one", "two"):
        wait_for(tmp_path / f"{name}.signal", timeout=15)
        assert (tmp_path / f"{name}.signal").read_text() == "SIGTERM"


@pytest.mark.integration
def test_run_creates_topics_and_hands_the_bootstrap_to_stages(
    kafka_bootstrap: str,
    make_settings: Callable[..., Settings],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from kafka import KafkaAdminClient

    settings = make_settings(kafka_bootstrap=kafka_bootstrap, metrics_port=9600)
    seen: list[tuple[str, Path | None]] = []

    def stages_for(s: Settings, bootstrap: str, feeds: Path | None) -> list[Stage]:
        seen.append((bootstrap, feeds))
        return [
            child(tmp_path, stage.name, "exit0" if stage.name != "alert" else "exit4", **stage.env)
            for stage in pipeline_stages(s, bootstrap, feeds)
        ]

    assert run(settings, tmp_path / "feeds.yaml", keep_broker=False, stages_for=stages_for) == 4
    assert seen == [(kafka_bootstrap, tmp_path / "feeds.yaml")]
    env = ast.literal_eval((tmp_path / "classify.started").read_text())
    assert env["STANCEWATCH_KAFKA_BOOTSTRAP"] == kafka_bootstrap
    assert env["STANCEWATCH_METRICS_PORT"] == "9601"
    assert "board    http://127.0.0.1:8350/ (the stance board)" in capsys.readouterr().err
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    try:
        assert set(Topics(settings.topic_prefix).all()) <= set(admin.list_topics())
    finally:
        admin.close()


def test_run_reports_an_unreachable_cluster_in_one_line(
    make_settings: Callable[..., Settings], capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    settings = make_settings(kafka_bootstrap=f"127.0.0.1:{closed}", kafka_request_timeout_ms=1_500)
    called: list[str] = []

    def stages_for(s: Settings, bootstrap: str, feeds: Path | None) -> list[Stage]:
        called.append(bootstrap)
        return []

    assert run(settings, None, False, stages_for=stages_for) == 1
    assert called == [], "no stage starts without topics"
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(f"stancewatch run: cannot create topics on 127.0.0.1:{closed}: ")


def test_run_refuses_a_bad_vocabulary_before_starting_anything(
    make_settings: Callable[..., Settings], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    countries = tmp_path / "countries.yaml"
    countries.write_text("countries:\n  IN:\n    aliases: [India]\n", encoding="utf-8")
    # a closed port: were the file not checked first, this fails at the topics, without starting a broker
    settings = make_settings(
        countries_file=countries, kafka_bootstrap="127.0.0.1:9", kafka_request_timeout_ms=1_500
    )
    called: list[str] = []

    def stages_for(s: Settings, bootstrap: str, feeds: Path | None) -> list[Stage]:
        called.append(bootstrap)
        return []

    assert run(settings, None, False, stages_for=stages_for) == 2
    assert called == []
    err = capsys.readouterr().err.strip().splitlines()  # one line, and no broker was started
    assert len(err) == 1 and err[0].startswith(
        f"stancewatch run: {countries}: countries.IN: a new country lacks name"
    )
