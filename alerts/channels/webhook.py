"""Generic JSON webhook: POSTs the alert as JSON (or ``{"digest": true, "alerts": [...]}``)."""

from __future__ import annotations

from collections.abc import Sequence

from alerts.channels import Outcome
from alerts.channels.http import Poster
from core.messages import Alert


class WebhookNotifier:
    name = "webhook"
    digest = True
    digest_max: int | None = None

    def __init__(self, url: str, timeout: float) -> None:
        self._url = url  # a secret: never logged, never in an Outcome
        self._poster = Poster(timeout)

    def send(self, alert: Alert) -> Outcome:
        return self._poster.post_json(self._url, alert.model_dump(mode="json"))

    def send_digest(self, alerts: Sequence[Alert]) -> Outcome:
        payload = {
            "type": "digest",
            "count": len(alerts),
            "alerts": [a.model_dump(mode="json") for a in alerts],
        }
        return self._poster.post_json(self._url, payload)

    def close(self) -> None:
        self._poster.close()
