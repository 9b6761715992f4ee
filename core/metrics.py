"""Prometheus plumbing shared by the stages.

Each stage builds its metrics against an injected ``CollectorRegistry`` (see the stage's ``metrics``
module); names carry the ``stancewatch_`` prefix, base units and ``_total`` for counters, and labels are
low-cardinality (never URLs or ids). ``serve`` exposes a registry on ``/metrics``.
"""

from __future__ import annotations

import logging
from typing import Any

from prometheus_client import CollectorRegistry, start_http_server

log = logging.getLogger(__name__)

PREFIX = "stancewatch_"


def new_registry() -> CollectorRegistry:
    """A fresh registry (tests and each process use their own, never the global default)."""
    return CollectorRegistry(auto_describe=True)


def serve(registry: CollectorRegistry, host: str, port: int) -> tuple[Any, Any] | None:
    """Serve ``registry`` on http://host:port/metrics in a daemon thread; port 0 disables it.

    Returns the (server, thread) pair so callers can shut it down, or None when disabled.
    """
    if port == 0:
        return None
    server, thread = start_http_server(port, addr=host, registry=registry)
    log.info("metrics on http://%s:%d/metrics", host, port)
    return server, thread
