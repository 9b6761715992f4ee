"""Email notifier against a real aiosmtpd server on 127.0.0.1: MIME shape, TLS modes, errors, escaping."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from alerts.channels.email import EmailNotifier, SmtpConfig

from .helpers import alert
from .servers import free_port, self_signed_cert, smtp_server

PASSWORD = "pa55-w0rd-s3cret"


def config(port: int, security: str = "none", ca: Path | None = None, user: str = "", **kw) -> SmtpConfig:  # type: ignore[no-untyped-def]
    base = dict(
        host="127.0.0.1",
        port=port,
        user=user,
        password=PASSWORD if user else "",
        security=security,
        sender="watch@example.org",
        recipients=("desk@example.org", "editor@example.org"),
        subject="[sw] {kind}: {country} on {topic} now {new_stance}",
        timeout=10.0,
        ca_file=ca,
    )
    base.update(kw)
    return SmtpConfig(**base)  # type: ignore[arg-type]


@pytest.mark.integration
def test_multipart_alternative_text_first_and_hostile_text_inert() -> None:
    hostile = alert(
        sentence="<script>alert(1)</script> <!channel> <http://evil.example|click>", title="<b>x</b>"
    )
    with smtp_server() as (box, port):
        assert EmailNotifier(config(port)).send(hostile).ok
        msg = box.wait_for(1)[0]
    assert box.envelopes[0] == ("watch@example.org", ["desk@example.org", "editor@example.org"])
    assert msg.get_content_type() == "multipart/alternative"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert msg["Subject"] == "[sw] reversal: RU on sanctions now support"
    html = parts[1].get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>x</b>" not in html
    assert "<script>alert(1)</script>" in parts[0].get_content()  # plain text shows the text as is


@pytest.mark.integration
def test_starttls_with_login(tmp_path: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    cert, key = self_signed_cert(tmp_path)
    with smtp_server(tls=(cert, key), mode="starttls", password=PASSWORD) as (box, port):
        ok = EmailNotifier(config(port, "starttls", ca=cert, user="watch")).send(alert())
        assert ok.ok, ok.error
        assert len(box.wait_for(1)) == 1 and box.logins == [("watch", PASSWORD)]
        wrong = EmailNotifier(config(port, "starttls", ca=cert, user="watch", password="nope")).send(alert())
        assert not wrong.ok and not wrong.transient, wrong.error  # 535: authentication failed, no retry
        untrusted = EmailNotifier(config(port, "starttls", ca=None, user="watch")).send(alert())
        assert not untrusted.ok and not untrusted.transient and untrusted.error.startswith("tls")
        plain = EmailNotifier(config(port, "none", user="watch")).send(alert())
        assert not plain.ok  # the server requires STARTTLS
    for o in (wrong, untrusted, plain):
        assert PASSWORD not in o.error
    assert PASSWORD not in caplog.text


@pytest.mark.integration
def test_implicit_ssl(tmp_path: Path) -> None:
    cert, key = self_signed_cert(tmp_path)
    with smtp_server(tls=(cert, key), mode="ssl") as (box, port):
        out = EmailNotifier(config(port, "ssl", ca=cert)).send(alert())
        assert out.ok, out.error
        assert len(box.wait_for(1)) == 1


@pytest.mark.integration
@pytest.mark.parametrize(
    ("reply", "transient"), [("451 4.3.0 try again later", True), ("554 5.7.1 rejected", False)]
)
def test_smtp_reply_table(reply: str, transient: bool) -> None:
    with smtp_server() as (box, port):
        box.reply = reply
        out = EmailNotifier(config(port)).send(alert())
    assert not out.ok and out.transient is transient


@pytest.mark.integration
def test_connection_refused_is_transient() -> None:
    out = EmailNotifier(config(free_port())).send(alert())
    assert not out.ok and out.transient and out.error.startswith("network")


@pytest.mark.integration
def test_digest_email() -> None:
    with smtp_server() as (box, port):
        assert EmailNotifier(config(port)).send_digest([alert(alert_id="a"), alert(alert_id="b")]).ok
        msg = box.wait_for(1)[0]
    assert "2 stance changes" in msg["Subject"]
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
