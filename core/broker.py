"""The project's own Kafka broker: one KRaft node (broker + controller) for tests and ``make run``.

``LocalBroker(settings)``:

- resolves Apache Kafka's jars with Maven from ``deploy/kafka/pom.xml`` into
  ``settings.cache_dir/kafka-<version>/libs`` (outside the repository, reused while the pom is unchanged);
- writes ``server.properties`` under ``settings.data_dir/kafka``, formats KRaft storage once, starts
  ``java kafka.Kafka`` detached (own session, pid file, log under ``data_dir/kafka/logs``);
- waits until a metadata round trip succeeds and returns the bootstrap address ``host:port``.

``start`` is idempotent (a running broker just returns its address; a stale pid file is removed); ``stop``
sends SIGTERM, waits for the clean shutdown and only then SIGKILLs. ``start(exit_with_pid=PID)`` also
starts a small watcher that stops the broker once PID is gone, so a broker started by a test session does
not outlive it. Every failure raises ``BrokerError`` with one line (plus the log tail when the JVM died).
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from core.broker_config import java_major, new_cluster_id, parse_properties, server_properties
from core.kafka import cluster_answers
from core.settings import REPO_ROOT, Settings

log = logging.getLogger(__name__)

KAFKA_DEPLOY = REPO_ROOT / "deploy" / "kafka"
MIN_JAVA = 17

# Stops the broker (argv[2]) once the watched process (argv[1]) is gone; exits when the broker is gone.
_WATCHER = r"""
import os, signal, sys, time
parent, broker, grace = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
            return True
        except OSError:
            return False
while alive(parent) and alive(broker):
    time.sleep(1.0)
if alive(broker):
    os.kill(broker, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while alive(broker) and time.monotonic() < deadline:
        time.sleep(0.2)
    if alive(broker):
        os.kill(broker, signal.SIGKILL)
"""


class BrokerError(RuntimeError):
    """The local broker could not be resolved, formatted, started or stopped; the message says why."""


@dataclass(frozen=True)
class BrokerStatus:
    running: bool
    address: str
    pid: int | None
    log_file: Path

    def describe(self) -> str:
        if self.running:
            return f"running on {self.address} (pid {self.pid}; log {self.log_file})"
        return f"stopped ({self.address}; log {self.log_file})"


def _pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join(text[-lines:])


class LocalBroker:
    """Start, stop and query the project's single-node Kafka broker (see the module docstring)."""

    def __init__(
        self,
        settings: Settings,
        *,
        start_timeout: float = 120.0,
        stop_timeout: float = 30.0,
        deploy_dir: Path = KAFKA_DEPLOY,
    ) -> None:
        self.settings = settings
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.pom = deploy_dir / "pom.xml"
        self.log_config_src = deploy_dir / "log4j2.xml"
        self.home = settings.data_dir / "kafka"
        self.config_file = self.home / "server.properties"
        self.pid_file = self.home / "broker.pid"
        self.storage_dir = self.home / "kraft"
        self.logs_dir = self.home / "logs"
        self.log_file = self.logs_dir / "server.log"
        self.console_file = self.logs_dir / "console.log"
        self.lib_dir = settings.cache_dir / f"kafka-{settings.kafka_version}" / "libs"
        self.address = f"{settings.broker_host}:{settings.broker_port}"
        self._proc: subprocess.Popen[bytes] | None = None

    # --- queries ---------------------------------------------------------------------------------

    def pid(self) -> int | None:
        """The pid of this data directory's running broker, or None (a stale pid file is removed)."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        if self._proc is not None and self._proc.pid == pid:
            alive = self._proc.poll() is None
        else:
            # A recycled pid belongs to some other program: only a kafka.Kafka on our config counts.
            # (An empty command line is a process between exec calls, e.g. the java launcher.)
            cmdline = _cmdline(pid)
            alive = _pid_alive(pid) and (not cmdline or str(self.config_file) in cmdline)
        if not alive:
            self.pid_file.unlink(missing_ok=True)
            return None
        return pid

    def status(self) -> BrokerStatus:
        pid = self.pid()
        return BrokerStatus(pid is not None, self.address, pid, self.log_file)

    # --- start -----------------------------------------------------------------------------------

    def ensure_running(self, exit_with_pid: int | None = None) -> str:
        """Start the broker unless it runs; return its bootstrap address."""
        return self.start(exit_with_pid=exit_with_pid)

    def start(self, exit_with_pid: int | None = None) -> str:
        """Start (or find) the broker and wait until it answers; return ``host:port``.

        With ``exit_with_pid``, a broker started by this call is stopped once that process is gone.
        """
        self.home.mkdir(parents=True, exist_ok=True)
        with self._locked():
            pid = self.pid()
            if pid is not None:
                if not self._same_endpoints():
                    raise BrokerError(
                        f"the local broker (pid {pid}) runs with other host/ports than these settings; "
                        "stop it first: stancewatch broker stop"
                    )
                log.info("local broker already running (pid %d) on %s", pid, self.address)
                self._wait_ready(pid, time.monotonic() + self.start_timeout)
                return self.address
            for port in (self.settings.broker_port, self.settings.broker_controller_port):
                if _port_open(self.settings.broker_host, port):
                    raise BrokerError(
                        f"{self.settings.broker_host}:{port} is in use by another process; stop it or "
                        "choose other ports: STANCEWATCH_BROKER_PORT / STANCEWATCH_BROKER_CONTROLLER_PORT"
                    )
            java = self._java()
            classpath = self.resolve_jars()
            self._write_config()
            self._format(java, classpath)
            began = time.monotonic()
            pid = self._launch(java, classpath)
            self._wait_ready(pid, began + self.start_timeout)
            log.info(
                "local broker started on %s in %.1fs (pid %d)", self.address, time.monotonic() - began, pid
            )
            if exit_with_pid is not None:
                self._watch(exit_with_pid, pid)
            return self.address

    def _java(self) -> str:
        java = shutil.which("java")
        if java is None:
            raise BrokerError(
                f"java not found: the local Kafka broker needs Java {MIN_JAVA}+ "
                "(apt-get install openjdk-17-jre-headless), or set STANCEWATCH_KAFKA_BOOTSTRAP to a cluster"
            )
        out = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)
        major = java_major(out.stderr + out.stdout)
        if major is not None and major < MIN_JAVA:
            raise BrokerError(
                f"{java} is Java {major}; Kafka {self.settings.kafka_version} needs Java {MIN_JAVA}+"
            )
        return java

    def resolve_jars(self) -> str:
        """The broker's classpath; runs Maven only when the cache is missing or the pom changed."""
        stamp = self.lib_dir / ".resolved"
        wanted = hashlib.sha256(self.pom.read_bytes() + self.settings.kafka_version.encode()).hexdigest()
        if not (stamp.is_file() and stamp.read_text().strip() == wanted):
            self._maven(wanted, stamp)
        return str(self.lib_dir / "*")

    def _maven(self, wanted: str, stamp: Path) -> None:
        mvn = shutil.which("mvn")
        if mvn is None:
            raise BrokerError(
                "mvn not found: Maven resolves the local Kafka broker's jars (apt-get install maven), "
                "or set STANCEWATCH_KAFKA_BOOTSTRAP to a cluster"
            )
        log.info("resolving Kafka %s jars with Maven into %s", self.settings.kafka_version, self.lib_dir)
        tmp = self.lib_dir.with_name(self.lib_dir.name + ".partial")
        shutil.rmtree(tmp, ignore_errors=True)
        cmd = [
            mvn, "-q", "-B", "-f", str(self.pom), "dependency:copy-dependencies",
            f"-DoutputDirectory={tmp}", "-DincludeScope=runtime",
            f"-Dkafka.version={self.settings.kafka_version}",
        ]  # fmt: skip
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if out.returncode != 0 or not any(tmp.glob("kafka_2.13-*.jar")):
            detail = [ln for ln in (out.stdout + out.stderr).splitlines() if "ERROR" in ln][:3]
            raise BrokerError(
                f"Maven could not resolve Kafka {self.settings.kafka_version} (exit {out.returncode}): "
                + (" | ".join(detail) or "no kafka_2.13 jar was copied")
            )
        shutil.rmtree(self.lib_dir, ignore_errors=True)
        tmp.rename(self.lib_dir)
        stamp.write_text(wanted + "\n")

    def _same_endpoints(self) -> bool:
        """Whether the running broker's config has the listeners these settings ask for."""
        try:
            running = parse_properties(self.config_file.read_text())
        except OSError:
            return False
        wanted = parse_properties(server_properties(self.settings, self.storage_dir))
        return all(running.get(k) == wanted[k] for k in ("listeners", "controller.quorum.voters", "log.dirs"))

    def _write_config(self) -> None:
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text(server_properties(self.settings, self.storage_dir))
        # a copy, so a running broker does not depend on the checkout it was started from
        shutil.copyfile(self.log_config_src, self.home / "log4j2.xml")

    def _jvm_props(self) -> list[str]:
        return [
            f"-Dkafka.logs.dir={self.logs_dir}",
            f"-Dlog4j2.configurationFile={self.home / 'log4j2.xml'}",
            "-Djava.awt.headless=true",
        ]

    def _format(self, java: str, classpath: str) -> None:
        if (self.storage_dir / "meta.properties").is_file():
            return
        cmd = [
            java, *self._jvm_props(), "-cp", classpath, "kafka.tools.StorageTool", "format",
            "-t", new_cluster_id(), "-c", str(self.config_file), "--ignore-formatted",
        ]  # fmt: skip
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if out.returncode != 0:
            last = (out.stderr.strip() or out.stdout.strip() or "no output").splitlines()[-1]
            raise BrokerError(f"formatting KRaft storage in {self.storage_dir} failed: {last}")
        log.info("formatted KRaft storage in %s", self.storage_dir)

    def _launch(self, java: str, classpath: str) -> int:
        cmd = [
            java, f"-Xmx{self.settings.broker_heap}", "-Xms64m", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
            "-XX:+ExitOnOutOfMemoryError", *self._jvm_props(), "-cp", classpath, "kafka.Kafka",
            str(self.config_file),
        ]  # fmt: skip
        with open(self.console_file, "ab") as console:
            self._proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=console,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # no terminal signals; it outlives the starting command
                cwd=self.home,
            )
        self.pid_file.write_text(f"{self._proc.pid}\n")
        return self._proc.pid

    def _wait_ready(self, pid: int, deadline: float) -> None:
        host, port = self.settings.broker_host, self.settings.broker_port
        last = "no answer yet"
        while time.monotonic() < deadline:
            if self.pid() != pid:
                raise BrokerError(
                    f"the Kafka broker exited during start-up; see {self.log_file}\n{self._log_tails()}"
                )
            # a cheap TCP check first: kafka-python logs every refused connection
            if _port_open(host, port):
                error = cluster_answers(self.address, timeout_ms=5_000)
                if error is None:
                    return
                last = error
            time.sleep(0.3)
        self._terminate(pid)
        raise BrokerError(
            f"the Kafka broker did not answer on {self.address} within {self.start_timeout:.0f}s ({last}); "
            f"stopped it; see {self.log_file}\n{self._log_tails()}"
        )

    def _log_tails(self) -> str:
        """The JVM's own output and the broker log's errors (or its last lines when it has none)."""
        log_lines = _tail(self.log_file, 400).splitlines()
        errors = [ln for ln in log_lines if re.search(r"\b(ERROR|FATAL)\b|Exception", ln)]
        return "\n".join(filter(None, (_tail(self.console_file, 10), *(errors[-8:] or log_lines[-8:]))))

    def _watch(self, parent: int, broker: int) -> None:
        subprocess.Popen(
            [sys.executable, "-c", _WATCHER, str(parent), str(broker), str(self.stop_timeout)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.info("the local broker stops when process %d exits", parent)

    # --- stop ------------------------------------------------------------------------------------

    def stop(self) -> bool:
        """Stop the broker cleanly (SIGTERM, then SIGKILL after ``stop_timeout``); False when not running."""
        if not self.home.is_dir():
            return False
        with self._locked():
            pid = self.pid()
            if pid is None:
                return False
            clean = self._terminate(pid)
            self.pid_file.unlink(missing_ok=True)
            if clean:
                log.info("local broker (pid %d) stopped", pid)
            else:
                log.warning("local broker (pid %d) did not stop in %.0fs; killed", pid, self.stop_timeout)
            return True

    def _terminate(self, pid: int) -> bool:
        """SIGTERM and wait; SIGKILL after the timeout. True when it stopped by itself."""
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return True
        deadline = time.monotonic() + self.stop_timeout
        while time.monotonic() < deadline:
            if not self._still_alive(pid):
                return True
            time.sleep(0.2)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return True
        while self._still_alive(pid):
            time.sleep(0.1)
        return False

    def _still_alive(self, pid: int) -> bool:
        if self._proc is not None and self._proc.pid == pid:
            return self._proc.poll() is None
        return _pid_alive(pid)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Serialise start/stop between processes sharing this data directory."""
        with open(self.home / "broker.lock", "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
