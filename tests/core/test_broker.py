"""The project's local broker: configuration (pure), start/status/stop/idempotence (a private real broker on
free ports), the parent watcher, clear errors, and the CLI contract (address as the last stdout line)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from core.broker import BrokerError, LocalBroker
from core.broker_config import java_major, new_cluster_id, server_properties
from core.kafka import Publisher, PublishError, Topics, cluster_answers, ensure_topics
from core.messages import Article, article_id, utcnow
from core.settings import REPO_ROOT, Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(check: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return check()


def pid_alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture
def private_settings(make_settings: Callable[..., Settings]) -> Settings:
    """A broker of its own: a fresh data directory and free ports (the jar cache is the shared one)."""
    return make_settings(broker_port=free_port(), broker_controller_port=free_port())


@pytest.fixture
def private_broker(private_settings: Settings) -> Iterator[LocalBroker]:
    broker = LocalBroker(private_settings, start_timeout=90)
    yield broker
    broker.stop()


# --- pure parts ---------------------------------------------------------------------------------------


def test_server_properties_single_combined_node(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings(broker_host="127.0.0.1", broker_port=12345, broker_controller_port=12346)
    props = dict(
        line.split("=", 1)
        for line in server_properties(settings, tmp_path / "kraft").splitlines()
        if "=" in line
    )
    assert props["process.roles"] == "broker,controller"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:12346"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:12345,CONTROLLER://127.0.0.1:12346"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:12345"
    assert props["controller.listener.names"] == "CONTROLLER"
    assert props["log.dirs"] == str(tmp_path / "kraft")
    for key in ("offsets.topic.replication.factor", "transaction.state.log.replication.factor"):
        assert props[key] == "1"
    assert props["auto.create.topics.enable"] == "false"


def test_cluster_id_shape() -> None:
    ids = {new_cluster_id() for _ in range(200)}
    assert len(ids) == 200
    for cid in ids:
        assert re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_-]{21}", cid), cid


@pytest.mark.parametrize(
    ("text", "major"),
    [
        ('openjdk version "17.0.15" 2025-04-15', 17),
        ('java version "1.8.0_392"', 8),
        ('openjdk version "21" 2023-09-19', 21),
        ("no version here", None),
    ],
)
def test_java_major(text: str, major: int | None) -> None:
    assert java_major(text) == major


def test_port_in_use_is_one_clear_line(make_settings: Callable[..., Settings]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        broker = LocalBroker(make_settings(broker_port=port, broker_controller_port=free_port()))
        with pytest.raises(BrokerError, match="STANCEWATCH_BROKER_PORT") as err:
            broker.start()
    assert "\n" not in str(err.value)
    assert not broker.pid_file.exists()


def test_missing_java_and_maven_are_one_line_each(
    make_settings: Callable[..., Settings], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    java = shutil.which("java")
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    settings = make_settings(
        broker_port=free_port(), broker_controller_port=free_port(), cache_dir=tmp_path / "cache"
    )
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(BrokerError, match=r"^java not found: .*Java 17\+") as err:
        LocalBroker(settings).start()
    assert "\n" not in str(err.value)

    java_only = tmp_path / "java-bin"
    java_only.mkdir()
    if java is None:
        pytest.skip("java is not installed here")
    (java_only / "java").symlink_to(os.path.realpath(java))
    monkeypatch.setenv("PATH", str(java_only))
    with pytest.raises(BrokerError, match=r"^mvn not found: Maven"):
        LocalBroker(settings).start()


def test_stale_pid_file_is_ignored_and_removed(make_settings: Callable[..., Settings]) -> None:
    broker = LocalBroker(make_settings())
    broker.home.mkdir(parents=True)
    # a dead pid, then a live process that is not this broker (this test process)
    for pid in (_dead_pid(), os.getpid()):
        broker.pid_file.write_text(f"{pid}\n")
        state = broker.status()
        assert not state.running and state.pid is None
        assert not broker.pid_file.exists()
    assert broker.stop() is False


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


# --- a real broker ------------------------------------------------------------------------------------


@pytest.mark.integration
def test_start_status_stop_idempotent(private_broker: LocalBroker, private_settings: Settings) -> None:
    broker = private_broker
    assert broker.status().running is False
    assert broker.stop() is False

    address = broker.start()
    assert address == f"127.0.0.1:{private_settings.broker_port}"
    state = broker.status()
    assert state.running and state.pid is not None and state.address == address
    assert cluster_answers(address) is None
    assert broker.log_file.is_file() and "Kafka Server started" in broker.log_file.read_text()

    # a second start (and a second LocalBroker object, as another command would make) finds it
    assert LocalBroker(private_settings).ensure_running() == address
    assert broker.status().pid == state.pid
    # ... unless asked for other ports than it runs with: a clear error, not a wrong address
    moved = private_settings.model_copy(update={"broker_port": free_port()})
    with pytest.raises(BrokerError, match="stancewatch broker stop"):
        LocalBroker(moved).start()
    assert broker.status().pid == state.pid

    # it works as a broker: topics, an acknowledged publish
    assert set(ensure_topics(private_settings, address)) == set(Topics(private_settings.topic_prefix).all())
    publisher = Publisher(private_settings, address, client_id="broker-test-producer")
    article = Article(
        id=article_id("u"), feed="f", url="http://x.test/u", published=utcnow(), fetched_at=utcnow()
    )
    publisher.publish_all(Topics(private_settings.topic_prefix).articles, [article])

    # stopped by a separate object: clean shutdown, pid gone, stopping again is a no-op
    assert LocalBroker(private_settings).stop() is True
    assert not pid_alive(state.pid)
    assert broker.status().running is False
    assert "shut down completely" in broker.log_file.read_text() or "Shutdown complete" in (
        broker.log_file.read_text()
    )
    assert broker.stop() is False

    # the broker is gone: a publish is not acknowledged and says so
    with pytest.raises(PublishError):
        publisher.publish_all(Topics(private_settings.topic_prefix).articles, [article], timeout=5)
    # ... and closing drops the unsent record and ends the producer's I/O thread (no thread left behind)
    publisher.close(timeout=1)
    assert not [t for t in threading.enumerate() if t.name.startswith("broker-test-producer")]

    # restart on the same storage: no re-format, the topics are still there
    assert broker.start() == address
    assert ensure_topics(private_settings, address) == []


@pytest.mark.integration
def test_broker_stops_when_watched_process_exits(private_broker: LocalBroker) -> None:
    parent = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        private_broker.start(exit_with_pid=parent.pid)
        pid = private_broker.status().pid
        assert pid is not None
        time.sleep(1.5)
        assert pid_alive(pid), "the watcher must leave the broker alone while the parent lives"
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    assert wait_until(lambda: not pid_alive(pid), 40), "the broker outlived the process it was tied to"
    # The JVM's main thread turns zombie before its last threads end: wait for the process itself.
    assert wait_until(lambda: not private_broker.status().running, 40)


@pytest.mark.integration
def test_start_failure_quotes_the_log(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(broker_port=free_port(), broker_controller_port=free_port(), broker_heap="lots")
    broker = LocalBroker(settings, start_timeout=60)
    with pytest.raises(BrokerError, match="exited during start-up") as err:
        broker.start()
    assert "Invalid maximum heap size" in str(err.value)
    assert broker.status().running is False


@pytest.mark.integration
def test_cli_start_prints_address_last_then_stop(private_settings: Settings) -> None:
    env = {
        **os.environ,
        "STANCEWATCH_DATA_DIR": str(private_settings.data_dir),
        "STANCEWATCH_BROKER_PORT": str(private_settings.broker_port),
        "STANCEWATCH_BROKER_CONTROLLER_PORT": str(private_settings.broker_controller_port),
    }
    env.pop("STANCEWATCH_KAFKA_BOOTSTRAP", None)
    cli = [sys.executable, "-m", "stancewatch", "broker"]
    address = f"127.0.0.1:{private_settings.broker_port}"
    try:
        for _ in range(2):  # idempotent
            out = subprocess.run(
                [*cli, "start"], env=env, capture_output=True, text=True, timeout=180, cwd=REPO_ROOT
            )
            assert out.returncode == 0, out.stderr
            assert out.stdout.splitlines()[-1] == address
        status = subprocess.run([*cli, "status"], env=env, capture_output=True, text=True, timeout=60)
        assert status.returncode == 0 and status.stdout.startswith(f"running on {address}")
    finally:
        stop = subprocess.run([*cli, "stop"], env=env, capture_output=True, text=True, timeout=90)
    assert stop.returncode == 0 and stop.stdout.strip() == f"stopped {address}"
    assert LocalBroker(private_settings).status().running is False
