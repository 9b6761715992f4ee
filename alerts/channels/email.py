"""Email over SMTP: multipart/alternative (text/plain first, then text/html), STARTTLS, SSL or plain.

The only alerts module that imports smtplib. SMTP reply codes 4xx and network errors are transient;
5xx (a refused sender/recipient, failed authentication) are not. The password never reaches an error.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from alerts import escape, render
from alerts.channels import OK, Outcome, redact
from core.messages import Alert


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    user: str
    password: str  # a secret
    security: str  # starttls | ssl | none
    sender: str
    recipients: tuple[str, ...]
    subject: str
    timeout: float
    ca_file: Path | None = None


def build_message(
    sender: str, recipients: Sequence[str], subject: str, text: str, html_body: str
) -> EmailMessage:
    """A multipart/alternative message: the text/plain part first, then text/html."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Subject"] = escape.one_line(subject, 250)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="stancewatch.invalid")
    msg.set_content(text)
    msg.add_alternative(f"<!doctype html><html><body>{html_body}</body></html>", subtype="html")
    return msg


def subject_for(template: str, alert: Alert) -> str:
    try:
        return template.format_map(render.subject_fields(alert))
    except (KeyError, ValueError, IndexError):
        return render.headline(alert)  # a bad template must not lose the alert


class EmailNotifier:
    name = "email"
    digest = True
    digest_max: int | None = None

    def __init__(self, config: SmtpConfig) -> None:
        self._c = config

    def _context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context()
        if self._c.ca_file is not None:
            ctx.load_verify_locations(cafile=str(self._c.ca_file))
        return ctx

    def _deliver(self, msg: EmailMessage) -> Outcome:
        c = self._c
        try:
            smtp: smtplib.SMTP
            if c.security == "ssl":
                smtp = smtplib.SMTP_SSL(c.host, c.port, timeout=c.timeout, context=self._context())
            else:
                smtp = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
            with smtp:
                smtp.ehlo()
                if c.security == "starttls":
                    smtp.starttls(context=self._context())
                    smtp.ehlo()
                if c.user:
                    smtp.login(c.user, c.password)
                refused = smtp.send_message(msg, from_addr=c.sender, to_addrs=list(c.recipients))
            if refused:
                return Outcome(ok=False, transient=False, error=f"smtp: {len(refused)} recipient(s) refused")
            return OK
        except smtplib.SMTPResponseException as exc:
            code = int(exc.smtp_code)
            return Outcome(ok=False, transient=400 <= code < 500, error=f"smtp: reply {code}")
        except smtplib.SMTPRecipientsRefused as exc:
            return Outcome(
                ok=False, transient=False, error=f"smtp: {len(exc.recipients)} recipient(s) refused"
            )
        except smtplib.SMTPNotSupportedError:
            return Outcome(ok=False, transient=False, error="smtp: the server does not offer STARTTLS/AUTH")
        except ssl.SSLError as exc:
            return Outcome(ok=False, transient=False, error=f"tls: {self._safe(exc)}")
        except (OSError, smtplib.SMTPException) as exc:  # refused, reset, timeout, server disconnected
            kind = "timeout" if isinstance(exc, TimeoutError) else "network"
            return Outcome(ok=False, transient=True, error=f"{kind}: {type(exc).__name__}")

    def _safe(self, exc: BaseException) -> str:
        return redact(escape.one_line(str(exc), 200), [self._c.password])

    def send(self, alert: Alert) -> Outcome:
        msg = build_message(
            self._c.sender,
            self._c.recipients,
            subject_for(self._c.subject, alert),
            render.text(alert),
            render.html(alert),
        )
        return self._deliver(msg)

    def send_digest(self, alerts: Sequence[Alert]) -> Outcome:
        msg = build_message(
            self._c.sender,
            self._c.recipients,
            f"[stancewatch] {render.digest_headline(alerts)}",
            render.digest_text(alerts),
            render.digest_html(alerts),
        )
        return self._deliver(msg)

    def close(self) -> None:
        pass
