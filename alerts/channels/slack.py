"""Slack incoming webhook: Block Kit with a ``text`` fallback, inside Slack's limits.

Limits kept: <= 50 blocks per message, <= 3,000 characters per section text, header <= 150
characters, <= 1 message per second per webhook (a 429's Retry-After also pauses the webhook). All
article text goes through ``escape.slack`` so ``<!channel>`` or ``<url|label>`` in it arrives inert.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from alerts import escape, render
from alerts.channels import Outcome
from alerts.channels.http import Poster
from core.messages import Alert

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_TEXT = 3000
DIGEST_MAX = MAX_BLOCKS - 1  # a header, then one section per alert: the dispatcher never sends more


def _section(mrkdwn: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": escape.shorten(mrkdwn, MAX_SECTION)}}


def _evidence_block(alert: Alert, i: int) -> dict[str, Any]:
    ev = alert.evidence[i]
    when = ev.published.date().isoformat() if ev.published else "undated"
    source = escape.slack_link(ev.url, ev.title or ev.url or "source")
    tail = f"\n{source} · {when}"
    room = MAX_SECTION - len(tail) - 4
    raw = escape.one_line(ev.sentence, 10_000)
    quote = escape.slack(raw)
    while len(quote) > room:  # shorten the raw text, so no escape entity is ever cut in half
        raw = raw[: max(0, min(len(raw) - 1, room - (len(quote) - len(raw)) - 1))]
        quote = escape.slack(raw) + "…"
    return _section(f"> {quote}{tail}")


def alert_payload(alert: Alert) -> dict[str, Any]:
    """The Block Kit message for one alert."""
    head = escape.shorten(render.headline(alert), MAX_HEADER)
    fields = [
        ("Country", alert.country),
        ("Topic", alert.topic),
        ("Baseline", alert.baseline_stance or "none"),
        ("Now", alert.new_stance),
        ("Kind", alert.kind),
        ("Confidence", f"{alert.confidence:.2f}"),
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": head}},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": f"*{k}*\n{escape.slack(escape.one_line(v, 100))}"}
                for k, v in fields
            ],
        },
    ]
    tail: list[dict[str, Any]] = []
    if alert.baseline_evidence:
        base = escape.slack(escape.one_line(alert.baseline_evidence, 2500))
        tail.append(_section(f"*Baseline:* {base}"))
    tail.append(
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": f"alert {alert.id} · detected {alert.detected_at.isoformat()}"}
            ],
        }
    )
    room = MAX_BLOCKS - len(blocks) - len(tail) - 1
    shown = min(len(alert.evidence), room)
    blocks += [_evidence_block(alert, i) for i in range(shown)]
    if shown < len(alert.evidence):
        blocks.append(_section(f"_…and {len(alert.evidence) - shown} more pieces of evidence_"))
    blocks += tail
    return {"text": escape.shorten(escape.slack(render.headline(alert)), MAX_TEXT), "blocks": blocks}


def _digest_section(a: Alert) -> dict[str, Any]:
    first = a.evidence[0] if a.evidence else None
    src = f"\n{escape.slack_link(first.url, first.title or first.url)}" if first else ""
    ident = f"\nalert `{escape.slack(a.id)}`"
    room = MAX_SECTION - len(ident)  # the id is never the part that is cut
    return _section(escape.shorten(f"*{escape.slack(render.headline(a))}*{src}", room) + ident)


def digest_payload(alerts: Sequence[Alert]) -> dict[str, Any]:
    """One Block Kit message summarising several alerts, each with its stable id.

    Up to ``DIGEST_MAX`` alerts get a section each; past that (the dispatcher never sends more) the
    rest are named by id in one last section.
    """
    head = render.digest_headline(alerts)
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": head}}]
    room = MAX_BLOCKS - len(blocks) - (len(alerts) > DIGEST_MAX)
    blocks += [_digest_section(a) for a in alerts[:room]]
    if len(alerts) > room:
        rest = ", ".join(f"`{escape.slack(a.id)}`" for a in alerts[room:])
        blocks.append(_section(f"_…and {len(alerts) - room} more alerts:_ {rest}"))
    return {"text": escape.slack(head), "blocks": blocks}


class SlackNotifier:
    name = "slack"
    digest = True
    digest_max: int | None = DIGEST_MAX

    def __init__(
        self,
        url: str,
        timeout: float,
        min_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._url = url  # a secret: never logged, never in an Outcome
        self._poster = Poster(timeout)
        self._min_interval = min_interval
        self._clock = clock
        self._sleep = sleep
        self._not_before = 0.0
        self._lock = threading.Lock()

    def _post(self, payload: dict[str, Any]) -> Outcome:
        with self._lock:
            wait = self._not_before - self._clock()
            if wait > 0:
                self._sleep(wait)
            outcome = self._poster.post_json(self._url, payload)
            pause = self._min_interval
            if outcome.status == 429 and outcome.retry_after is not None:
                pause = max(pause, outcome.retry_after)
            self._not_before = self._clock() + pause
            return outcome

    def send(self, alert: Alert) -> Outcome:
        return self._post(alert_payload(alert))

    def send_digest(self, alerts: Sequence[Alert]) -> Outcome:
        return self._post(digest_payload(alerts))

    def close(self) -> None:
        self._poster.close()
