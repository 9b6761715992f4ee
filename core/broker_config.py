"""The local broker's configuration, pure: its ``server.properties``, a KRaft cluster id, the Java version.

``core.broker`` writes and compares these when it starts the project's own single-node KRaft broker.
"""

from __future__ import annotations

import base64
import re
import uuid
from pathlib import Path

from core.settings import Settings


def server_properties(settings: Settings, log_dir: Path) -> str:
    """The broker's configuration: a single combined KRaft node with replication factors of one."""
    host, port, cport = settings.broker_host, settings.broker_port, settings.broker_controller_port
    lines = {
        "process.roles": "broker,controller",
        "node.id": "1",
        # A static voter set keeps working when the ports change between runs (no re-format needed).
        "controller.quorum.voters": f"1@{host}:{cport}",
        "listeners": f"PLAINTEXT://{host}:{port},CONTROLLER://{host}:{cport}",
        "advertised.listeners": f"PLAINTEXT://{host}:{port}",
        "inter.broker.listener.name": "PLAINTEXT",
        "controller.listener.names": "CONTROLLER",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(log_dir),
        "default.replication.factor": "1",
        "min.insync.replicas": "1",
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "5",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        # topics are created by the admin client with the configured partitions (core.kafka.ensure_topics)
        "auto.create.topics.enable": "false",
        # a development broker on a small machine: few threads
        "num.network.threads": "2",
        "num.io.threads": "2",
        "num.recovery.threads.per.data.dir": "1",
        "log.retention.hours": "168",
    }
    return "# written by stancewatch (core/broker_config.py); edits are overwritten on start\n" + "".join(
        f"{k}={v}\n" for k, v in lines.items()
    )


def parse_properties(text: str) -> dict[str, str]:
    """``key=value`` lines of a properties file (comments skipped)."""
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))
    return {k.strip(): v.strip() for k, v in pairs}


def new_cluster_id() -> str:
    """A Kafka cluster id: 16 random bytes, URL-safe base64 without padding, never starting with '-'."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text


def java_major(version_output: str) -> int | None:
    """The major version in ``java -version`` output (``1.8.0`` -> 8, ``17.0.15`` -> 17)."""
    match = re.search(r'version "(\d+)(?:\.(\d+))?', version_output)
    if not match:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major
