"""HTTP posting for the Slack and webhook notifiers: the only alerts module that imports httpx.

``post_json`` never raises and never lets the URL (which carries the webhook's secret) reach an error
message or a log line: httpx's own request logging is turned down to WARNING here for that reason.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx

from alerts.channels import OK, Outcome
from core.retry import is_transient_status, parse_retry_after

# httpx logs every request URL at INFO; webhook URLs are secrets.
for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).setLevel(logging.WARNING)


class Poster:
    """A small JSON POST client with a fixed timeout; one per notifier."""

    def __init__(self, timeout: float, user_agent: str = "stancewatch-alerts") -> None:
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout), follow_redirects=False, headers={"User-Agent": user_agent}
        )

    def post_json(self, url: str, payload: Any) -> Outcome:
        """POST ``payload`` as JSON: 2xx ok; 429/5xx/408 and network errors transient; other 4xx not."""
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        try:
            resp = self._client.post(url, content=body, headers={"Content-Type": "application/json"})
        except httpx.TimeoutException as exc:
            return Outcome(ok=False, transient=True, error=f"timeout: {type(exc).__name__}")
        except httpx.TransportError as exc:
            return Outcome(ok=False, transient=True, error=f"network: {type(exc).__name__}")
        except (httpx.HTTPError, ValueError) as exc:  # e.g. an invalid URL: configuration, not transient
            return Outcome(ok=False, transient=False, error=f"request: {type(exc).__name__}")
        if 200 <= resp.status_code < 300:
            return OK
        retry_after = parse_retry_after(resp.headers.get("Retry-After"))
        return Outcome(
            ok=False,
            transient=is_transient_status(resp.status_code),
            status=resp.status_code,
            retry_after=retry_after,
            error=f"http: status {resp.status_code}",
        )

    def close(self) -> None:
        self._client.close()
