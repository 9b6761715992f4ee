"""Slack and webhook notifiers against real HTTP receivers: retry tables, 429, limits, escaping."""

from __future__ import annotations

import itertools
import json
import logging

import pytest
from prometheus_client import generate_latest

from alerts.channels.slack import SlackNotifier, alert_payload
from alerts.channels.webhook import WebhookNotifier
from core.retry import RetryPolicy

from .helpers import alert
from .servers import closed_port_url, http_receiver

SECRET_PATH = "/services/T000/B000/s3cr3tT0ken"


def make(channel: str, url: str):  # type: ignore[no-untyped-def]
    if channel == "slack":
        return SlackNotifier(url, timeout=5.0, min_interval=0.0)
    return WebhookNotifier(url, timeout=5.0)


def status_of(store, channel: str) -> tuple[str, int, float]:  # type: ignore[no-untyped-def]
    row = store._conn.execute(
        "SELECT status, attempts, next_at FROM outbox WHERE channel=?", (channel,)
    ).fetchone()
    return row[0], row[1], row[2]


@pytest.mark.integration
@pytest.mark.parametrize("channel", ["slack", "webhook"])
@pytest.mark.parametrize(
    ("status", "headers", "expect"),
    [
        (200, {}, "delivered"),
        (204, {}, "delivered"),
        (500, {}, "retry"),
        (503, {}, "retry"),
        (429, {"Retry-After": "3"}, "retry"),
        (400, {}, "failed"),
        (403, {}, "failed"),
        (404, {}, "failed"),
    ],
)
def test_retry_table(outbox_env, channel: str, status: int, headers: dict[str, str], expect: str) -> None:  # type: ignore[no-untyped-def]
    with http_receiver((status, headers, 0.0)) as rec:
        notifier = make(channel, rec.url())
        store, disp, clock, _ = outbox_env({channel: notifier})
        store.commit_batch({}, [], [(alert(), [channel])], now=clock.now)
        assert disp.run_once() == 1
        state, attempts, next_at = status_of(store, channel)
        assert len(rec.received) == 1
        if expect == "delivered":
            assert (state, attempts) == ("delivered", 0)
        elif expect == "failed":
            assert (state, attempts) == ("failed", 1)
            clock.now += 1000
            assert disp.run_once() == 0  # never retried
            assert len(rec.received) == 1
        else:
            assert (state, attempts) == ("pending", 1)
            wait = 3.0 if status == 429 else 1.0  # Retry-After wins over the policy's first delay
            assert next_at == pytest.approx(clock.now + wait)
            clock.now += wait - 0.5
            assert disp.run_once() == 0  # not due yet
            clock.now += 1.0
            assert disp.run_once() == 1  # the receiver now answers 200
            assert status_of(store, channel)[0] == "delivered"
            assert len(rec.received) == 2
        notifier.close()


@pytest.mark.integration
@pytest.mark.parametrize("channel", ["slack", "webhook"])
def test_network_errors_are_retried_then_given_up(outbox_env, channel: str) -> None:  # type: ignore[no-untyped-def]
    notifier = make(channel, closed_port_url())
    store, disp, clock, _ = outbox_env({channel: notifier}, policy=RetryPolicy(attempts=3, base=2.0))
    store.commit_batch({}, [], [(alert(), [channel])], now=clock.now)
    disp.run_once()
    assert status_of(store, channel)[:2] == ("pending", 1)
    clock.now += 2.0
    disp.run_once()
    assert status_of(store, channel)[:2] == ("pending", 2)
    clock.now += 4.0  # exponential backoff
    disp.run_once()
    assert status_of(store, channel)[:2] == ("failed", 3)


@pytest.mark.integration
def test_slack_429_retry_after_pauses_the_webhook_and_rate_is_one_per_second() -> None:
    with http_receiver((429, {"Retry-After": "1"}, 0.0)) as rec:
        slack = SlackNotifier(rec.url(), timeout=5.0, min_interval=1.0)
        first = slack.send(alert(alert_id="x1"))
        assert not first.ok and first.transient and first.retry_after == 1.0
        for i in range(3):
            assert slack.send(alert(alert_id=f"y{i}")).ok
        times = [r.at for r in rec.wait_for(4)]
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert all(g >= 0.95 for g in gaps), gaps
        slack.close()


@pytest.mark.integration
def test_huge_alert_stays_within_slack_limits() -> None:
    huge = alert(sentence="word " * 5000, title="t" * 900, n_evidence=80)
    with http_receiver() as rec:
        slack = SlackNotifier(rec.url(), timeout=5.0, min_interval=0.0)
        assert slack.send(huge).ok
        payload = rec.wait_for(1)[0].json()
        slack.close()
    blocks = payload["blocks"]
    assert 0 < len(blocks) <= 50
    assert payload["text"] and len(payload["text"]) <= 3000
    for b in blocks:
        if b["type"] == "section" and "text" in b:
            assert len(b["text"]["text"]) <= 3000
        if b["type"] == "header":
            assert len(b["text"]["text"]) <= 150
    assert any("more pieces of evidence" in json.dumps(b) for b in blocks)


HOSTILE = "<!channel> Breaking <script>alert(1)</script> & <http://evil.example|click here> <@U123>"


@pytest.mark.integration
def test_hostile_text_is_inert_in_slack() -> None:
    bad = alert(sentence=HOSTILE, title="<http://evil.example|Official> <!here>", url="javascript:alert(1)")
    with http_receiver() as rec:
        slack = SlackNotifier(rec.url(), timeout=5.0, min_interval=0.0)
        assert slack.send(bad).ok
        body = rec.wait_for(1)[0].body.decode()
        slack.close()
    texts = json.dumps(json.loads(body)["blocks"]) + json.loads(body)["text"]
    for needle in ("<!channel>", "<!here>", "<http://evil", "<script>", "<@U123>", "javascript:"):
        assert needle not in texts
    assert "&lt;!channel&gt;" in texts


@pytest.mark.integration
def test_hostile_url_never_becomes_a_link() -> None:
    p = alert_payload(alert(url="https://ok.example/a|<!channel>", title="x"))
    assert "<https://ok.example" not in json.dumps(p)
    ok = alert_payload(alert(url="https://ok.example/a?b=1&c=2", title="Fine <b>"))
    assert "<https://ok.example/a?b=1&amp;c=2|Fine &lt;b&gt;>" in json.dumps(ok["blocks"])


@pytest.mark.integration
def test_webhook_posts_the_alert_as_json_and_digests() -> None:
    with http_receiver() as rec:
        hook = WebhookNotifier(rec.url(), timeout=5.0)
        a = alert(sentence=HOSTILE)
        assert hook.send(a).ok
        assert hook.send_digest([a, alert(alert_id="a2")]).ok
        got = rec.wait_for(2)
        hook.close()
    assert got[0].json()["id"] == a.id and got[0].json()["evidence"][0]["sentence"] == HOSTILE
    assert got[1].json()["type"] == "digest" and got[1].json()["count"] == 2


@pytest.mark.integration
def test_secrets_never_reach_logs_errors_or_metrics(outbox_env, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    with http_receiver((500, {}, 0.0), (404, {}, 0.0)) as rec:
        url = rec.url(SECRET_PATH)
        dead = closed_port_url(SECRET_PATH)
        notifiers = {"slack": make("slack", url), "webhook": make("webhook", dead)}
        store, disp, clock, metrics = outbox_env(notifiers, secrets=[url, dead])
        store.commit_batch({}, [], [(alert(), ["slack", "webhook"])], now=clock.now)
        disp.run_once()
        clock.now += 10
        disp.run_once()
        assert [r.path for r in rec.received] == [SECRET_PATH, SECRET_PATH]
    errors = " ".join(r[0] for r in store._conn.execute("SELECT last_error FROM outbox"))
    exposition = generate_latest(_registry(metrics)).decode()
    assert "s3cr3tT0ken" not in caplog.text
    assert "s3cr3tT0ken" not in errors and errors.strip()
    assert "s3cr3tT0ken" not in exposition and "http_500" in exposition


def _registry(metrics):  # type: ignore[no-untyped-def]
    from prometheus_client import CollectorRegistry

    reg = CollectorRegistry()
    reg.register(metrics.sends)
    return reg


@pytest.mark.integration
def test_digest_when_more_than_k_alerts_fire(outbox_env) -> None:  # type: ignore[no-untyped-def]
    with http_receiver() as rec:
        notifiers = {"webhook": make("webhook", rec.url())}
        store, disp, clock, _ = outbox_env(notifiers, digest_threshold=3, digest_window=60.0, digest_hold=5.0)
        store.commit_batch({}, [], [(alert(alert_id=f"d{i}"), ["webhook"]) for i in range(2)], now=clock.now)
        assert disp.run_once() == 2  # below K: one message each
        clock.now += 1
        store.commit_batch({}, [], [(alert(alert_id=f"e{i}"), ["webhook"]) for i in range(4)], now=clock.now)
        assert disp.run_once() == 0  # over K within the window: held for the digest
        clock.now += 5
        assert disp.run_once() == 1
        got = rec.wait_for(3)
    assert [g.json().get("type") for g in got] == [None, None, "digest"]
    assert got[2].json()["count"] == 4
