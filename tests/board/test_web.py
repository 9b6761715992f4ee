"""The board's web app through Starlette's test client: cells, evidence, escaping, headers, auth."""

from __future__ import annotations

import base64
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from board.health import ConsumerStatus
from board.metrics import BoardMetrics
from board.runtime import BaselineFile
from board.store import ReadModel
from board.web import CSP, LOOPBACK_NAMES, BoardConfig, create_app, host_name, safe_url
from core import baseline as core_baseline
from core.messages import DeliveryReceipt, IngestRound
from core.metrics import new_registry

from .helpers import T0, alert, baseline, obs

TOPICS = ("sanctions", "thaad", "denuclearization")
HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)">'


def make_client(
    tmp_path: Path, token: str | None = None, allowed_hosts: frozenset[str] | None = None
) -> tuple[TestClient, ReadModel]:
    model = ReadModel(tmp_path / "board.sqlite3")
    model.add(
        [
            obs("support", hours=1, sentence="Moscow now backs the measures.", title=HOSTILE),
            obs("support", hours=2, source="b.example", sentence="A second outlet agrees."),
            obs("oppose", hours=3, country="CN", topic="thaad", url="javascript:alert(3)"),
        ],
        [alert(hours=2)],
        received=T0 + timedelta(hours=3),
    )
    registry = new_registry()
    config = BoardConfig(
        baseline=baseline(("RU", "sanctions", "oppose"), ("CN", "thaad", "oppose")),
        topics=TOPICS,
        token=token,
        grafana_url="http://127.0.0.1:3000/",
        allowed_hosts=allowed_hosts,
    )
    app = create_app(
        model,
        config,
        ConsumerStatus(),
        registry,
        BoardMetrics.build(registry),
        clock=lambda: T0 + timedelta(hours=4),
    )
    return TestClient(app), model


def test_board_matrix_labels_and_headers(tmp_path: Path) -> None:
    client, _ = make_client(tmp_path)
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == CSP
    assert "script-src 'self'" in CSP and "unsafe-inline" not in CSP
    assert page.headers["referrer-policy"] == "no-referrer"
    html = page.text
    assert (
        'data-pair="RU:sanctions" data-moved="reversal" data-current="support" data-baseline="oppose"' in html
    )
    assert 'data-pair="CN:thaad" data-moved="none" data-current="oppose"' in html
    assert "REVERSED" in html and html.count('<td class="cell') == 6 * len(TOPICS)
    assert "<script>alert" not in html  # the hostile title is not on the board page unescaped
    assert "http://127.0.0.1:3000/d/stancewatch-stance-board" in html
    assert '<script src="/static/board.js"' in html and "<script>" not in html  # no inline script


def test_changes_only_and_filters(tmp_path: Path) -> None:
    client, _ = make_client(tmp_path)
    html = client.get("/", params={"changes": "1"}).text
    assert 'class="cell quiet" data-pair="CN:thaad"' in html
    assert 'data-pair="RU:sanctions" data-moved="reversal"' in html
    only = client.get("/", params=[("country", "RU"), ("topic", "sanctions"), ("country", "XX")]).text
    assert only.count('<td class="cell') == 1
    before = client.get("/", params={"to": "2021-02-28"}).text  # before the alert: at the baseline
    assert 'data-pair="RU:sanctions" data-moved="none" data-current="oppose"' in before


def test_pair_page_evidence_escaped_and_newest_first(tmp_path: Path) -> None:
    client, _ = make_client(tmp_path)
    html = client.get("/pair/RU/sanctions").text
    evidence = html[html.index('id="evidence"') :]
    assert evidence.index("A second outlet agrees.") < evidence.index("Moscow now backs the measures.")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in html
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "Baseline sentence for RU sanctions." in html  # the baseline's own sentence
    assert 'class="alert reversal"' in html and "<svg" in html and "oppose → support" in html
    assert 'href="https://a.example/story/1"' in html and "a.example" in html
    cn = client.get("/pair/CN/thaad").text
    assert "javascript:" not in cn  # no link for a non-http(s) URL
    assert client.get("/pair/XX/sanctions").status_code == 404


def test_search_over_evidence(tmp_path: Path) -> None:
    client, _ = make_client(tmp_path)
    html = client.get("/", params={"q": "outlet"}).text
    assert "A second outlet agrees." in html and "Moscow now backs" not in html


def test_token_required_when_set(tmp_path: Path) -> None:
    client, _ = make_client(tmp_path, token="s3cret")
    refused = client.get("/")
    assert refused.status_code == 401 and "basic" in refused.headers["www-authenticate"].lower()
    assert refused.headers["content-security-policy"] == CSP
    assert client.get("/", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    assert client.get("/", headers={"Authorization": "Bearer nope"}).status_code == 401
    basic = base64.b64encode(b"desk:s3cret").decode()
    assert client.get("/pair/RU/sanctions", headers={"Authorization": f"Basic {basic}"}).status_code == 200
    assert client.get("/api/version").status_code == 401
    assert client.get("/metrics").status_code == 200  # counts only


def test_version_changes_and_metrics(tmp_path: Path) -> None:
    client, model = make_client(tmp_path)
    first = client.get("/api/version").json()["version"]
    model.add([obs(hours=9, source="c.example")])
    assert client.get("/api/version").json()["version"] != first
    client.get("/")
    assert 'stancewatch_board_requests_total{page="board",status="2xx"} 1.0' in client.get("/metrics").text


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://a.example/x", True),
        ("http://a.example", True),
        ("javascript:alert(1)", False),
        ("data:text/html,x", False),
        ("//a.example/x", False),
        (" javascript:x", False),
    ],
)
def test_safe_url(url: str, ok: bool) -> None:
    assert safe_url(url) == (url if ok else "")


def test_live_board_follows_the_baseline_file(tmp_path: Path) -> None:
    path = tmp_path / "baseline.yaml"
    source = BaselineFile(path, baseline())  # no file yet: the alert stage has not built it
    assert source().positions == ()
    core_baseline.save(baseline(("RU", "sanctions", "oppose")), path)
    assert [p.key for p in source().positions] == ["RU:sanctions"]
    path.write_text("positions: [{country: XX}]\n", encoding="utf-8")  # a bad edit keeps the last good one
    os.utime(path, (1, 1))
    assert [p.key for p in source().positions] == ["RU:sanctions"]


def test_loopback_board_answers_only_to_loopback_host_names(tmp_path: Path) -> None:
    client, _ = make_client(tmp_path, allowed_hosts=LOOPBACK_NAMES)
    assert client.get("/", headers={"Host": "127.0.0.1:8350"}).status_code == 200
    assert client.get("/", headers={"Host": "localhost"}).status_code == 200
    assert client.get("/", headers={"Host": "[::1]:8350"}).status_code == 200
    rebound = client.get("/", headers={"Host": "attacker.example:8350"})  # DNS rebinding
    assert rebound.status_code == 400 and "Moscow" not in rebound.text
    assert [host_name(h) for h in ("a.example:80", "[::1]", "A.EXAMPLE")] == ["a.example", "::1", "a.example"]


def test_alert_history_shows_each_channels_delivery_state_as_text(tmp_path: Path) -> None:
    client, model = make_client(tmp_path)
    delivered = alert(hours=2).id
    model.add(alerts=[alert("reverted", new="oppose", hours=3)])  # no receipt yet
    at = T0 + timedelta(hours=3)
    model.report(
        [
            DeliveryReceipt(alert_id=delivered, channel="slack", state="delivered", attempts=1, at=at),
            DeliveryReceipt(alert_id=delivered, channel="email", state="retrying", attempts=2, at=at,
                            error=HOSTILE),
            DeliveryReceipt(alert_id=delivered, channel="webhook", state="failed", attempts=1, at=at,
                            error="http_404"),
        ]
    )  # fmt: skip

    def shown(html: str, alert_id: str) -> str:
        start = html.index(f'<span class="deliveries" data-alert="{alert_id}"')
        return " ".join(re.sub(r"<[^>]+>", "", html[start : html.index("</span></span>", start)]).split())

    for page in ("/pair/RU/sanctions", "/"):
        html = client.get(page).text
        assert shown(html, delivered) == "Delivery: email retrying (2) · slack delivered · webhook failed"
        assert shown(html, alert("reverted", new="oppose", hours=3).id) == "Delivery: pending"
        assert "<script>alert(1)" not in html  # the reason is escaped where it shows (a tooltip)
    assert 'title="last error: http_404"' in client.get("/pair/RU/sanctions").text


def test_health_line_says_how_the_feeds_fared(tmp_path: Path) -> None:
    client, model = make_client(tmp_path)
    assert "feeds: no report yet" in client.get("/").text
    first = client.get("/api/version").json()["version"]
    model.report(
        rounds=[
            IngestRound(source="h:feeds.yaml", scheduled=27, polled=27, ok=24, failed=3, new_items=9,
                        ended_at=T0 + timedelta(hours=3, minutes=50), poll_interval_s=900.0)
        ]
    )  # fmt: skip
    assert client.get("/api/version").json()["version"] != first
    html = client.get("/pair/RU/sanctions").text
    assert '<span class="feeds warn" id="feeds"' in html and "feeds 24 ok · 3 failing</span>" in html
