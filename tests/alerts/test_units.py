"""Pure pieces: routing, escaping, digest planning, store round trips."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alerts import digest, escape, render, route
from alerts.channels import redact, slack
from alerts.detect import DetectConfig
from alerts.outbox import Row
from alerts.service import fold
from alerts.state import Store, decode_state, encode_state, observation_id
from core.vocabulary import load_vocabulary

from .helpers import alert, baseline, obs

ROUTES = {"slack": {"countries": ["KP", "RU"], "kinds": ["reversal"]}, "email": {"topics": ["thaad"]}}


def test_routes_by_country_topic_and_kind() -> None:
    a = alert()  # RU sanctions reversal
    assert route.channels_for(a, ["slack", "email", "webhook"], ROUTES) == ["slack", "webhook"]
    cn = a.model_copy(update={"country": "CN"})
    assert route.channels_for(cn, ["slack", "email", "webhook"], ROUTES) == ["webhook"]


def test_route_validation_names_the_problem() -> None:
    with pytest.raises(route.RouteError, match="unknown channel 'teams'"):
        route.validate({"teams": {}}, ["slack"])
    with pytest.raises(route.RouteError, match="unknown filter 'country'"):
        route.validate({"slack": {"country": ["KP"]}}, ["slack"])
    with pytest.raises(
        route.RouteError, match=r"slack: kinds: unknown \['reversed'\] \(known: reversal, shift"
    ):
        route.validate({"slack": {"kinds": ["reversed"]}}, ["slack"])
    shipped = load_vocabulary()
    route.validate(ROUTES, ["slack", "email"], shipped)
    with pytest.raises(route.RouteError, match=r"slack: countries: unknown \['IND'\] \(known: US, RU"):
        route.validate({"slack": {"countries": ["KP", "IND"]}}, ["slack"], shipped)
    with pytest.raises(route.RouteError, match=r"email: topics: unknown \['THAAD'\]"):
        route.validate({"email": {"topics": ["THAAD"]}}, ["email"], shipped)


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://news.example/a?b=1", True),
        ("http://news.example/", True),
        ("javascript:alert(1)", False),
        ("https://news.example/a|<!channel>", False),
        ("https://news.example/a b", False),
        ("ftp://news.example/", False),
        ("", False),
    ],
)
def test_safe_url(url: str, safe: bool) -> None:
    assert (escape.safe_url(url) is not None) is safe


def test_escapes() -> None:
    assert escape.slack("<!channel> & <http://x|y>") == "&lt;!channel&gt; &amp; &lt;http://x|y&gt;"
    assert escape.html_text('<script>"') == "&lt;script&gt;&quot;"
    assert escape.one_line("a\r\nBcc: x@y\n") == "a Bcc: x@y"


def test_redact_hides_the_url_and_its_path() -> None:
    secret = "https://hooks.example/services/T/B/tok3n"
    assert "tok3n" not in redact(f"POST {secret} and /services/T/B/tok3n failed", [secret])


def _row(i: int, created: float, attempts: int = 0, next_at: float | None = None) -> Row:
    return Row(
        i, alert(alert_id=f"r{i}"), "slack", attempts, created if next_at is None else next_at, created
    )


def test_digest_plan() -> None:
    rows = [_row(i, 100.0) for i in range(3)]
    assert [s.digest for s in digest.plan(rows, 3, 100.0, threshold=5, hold=10)] == [False] * 3
    assert digest.plan(rows, 8, 105.0, threshold=5, hold=10) == []  # burst: held
    sends = digest.plan(rows, 8, 110.0, threshold=5, hold=10)
    assert len(sends) == 1 and sends[0].digest and len(sends[0].rows) == 3
    assert [s.digest for s in digest.plan(rows, 8, 110.0, 5, 10, digest_allowed=False)] == [False] * 3
    assert digest.plan([_row(1, 100.0, next_at=200.0)], 1, 150.0, 5, 10) == []  # not due


def test_store_round_trip_and_idempotent_enqueue(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite3")
    states: dict = {}
    history = [obs("support", source="a.x"), obs("support", source="b.x", hours=1), obs("oppose", hours=2)]
    fold(states, baseline(("RU", "sanctions", "oppose")), history[:1], DetectConfig())
    assert decode_state(encode_state(states["RU:sanctions"])) == states["RU:sanctions"]
    ids = [observation_id(o) for o in history]
    a = alert()
    assert store.commit_batch(states, ids[:2], [(a, ["slack", "email"])]) == 2
    assert store.commit_batch({}, ids[:2], [(a, ["slack", "email"])]) == 0  # same alert id: not again
    assert store.processed(ids) == set(ids[:2])
    assert store.states(["RU:sanctions"]) == {"RU:sanctions": states["RU:sanctions"]}
    store.close()
    reopened = Store(tmp_path / "s.sqlite3")
    assert reopened.pair_states() == {"RU:sanctions": states["RU:sanctions"]}


def _ids_in(text: str, ids: list[str]) -> list[str]:
    return [i for i in ids if i in text]


def test_every_alert_in_a_digest_carries_its_id() -> None:
    alerts = [alert(alert_id=f"digest-id-{i:02d}") for i in range(3)]
    ids = [a.id for a in alerts]
    assert _ids_in(render.digest_text(alerts), ids) == ids
    assert _ids_in(render.digest_html(alerts), ids) == ids
    payload = json.dumps(slack.digest_payload(alerts))
    assert _ids_in(payload, ids) == ids


def test_an_overfull_slack_digest_still_names_every_id() -> None:
    alerts = [alert(alert_id=f"{i:032x}") for i in range(120)]
    payload = slack.digest_payload(alerts)
    assert len(payload["blocks"]) <= slack.MAX_BLOCKS
    assert all(len(b["text"]["text"]) <= slack.MAX_SECTION for b in payload["blocks"][1:])
    ids = [a.id for a in alerts]
    assert _ids_in(json.dumps(payload), ids) == ids


def test_digest_plan_splits_a_burst_into_sends_a_channel_can_carry() -> None:
    rows = [_row(i, 100.0) for i in range(7)]
    sends = digest.plan(rows, 8, 110.0, threshold=5, hold=10, max_rows=3)
    assert [len(s.rows) for s in sends] == [3, 3, 1] and [s.digest for s in sends] == [True, True, False]
    assert [r.id for s in sends for r in s.rows] == list(range(7))
