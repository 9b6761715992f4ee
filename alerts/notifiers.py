"""Builds the configured channels from settings: a channel is on when its settings are present."""

from __future__ import annotations

from alerts.channels import Notifier
from alerts.channels.console import ConsoleNotifier
from alerts.channels.email import EmailNotifier, SmtpConfig
from alerts.channels.jsonl import JsonlNotifier
from alerts.channels.slack import SlackNotifier
from alerts.channels.webhook import WebhookNotifier
from core.settings import Settings, SettingsError

CHANNELS = ("slack", "webhook", "email", "console", "jsonl")


def secrets_of(settings: Settings) -> list[str]:
    """Every secret value, for redaction."""
    out = []
    for s in (settings.slack_webhook_url, settings.webhook_url, settings.smtp_password):
        if s is not None and s.get_secret_value():
            out.append(s.get_secret_value())
    return out


def smtp_config(settings: Settings) -> SmtpConfig | None:
    if not settings.smtp_host:
        return None
    recipients = tuple(a.strip() for a in settings.email_to.split(",") if a.strip())
    if not settings.email_from or not recipients:
        raise SettingsError(
            "STANCEWATCH_EMAIL_FROM and STANCEWATCH_EMAIL_TO are required when STANCEWATCH_SMTP_HOST is set"
        )
    return SmtpConfig(
        host=settings.smtp_host,
        port=settings.smtp_port,
        user=settings.smtp_user,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else "",
        security=settings.smtp_security,
        sender=settings.email_from,
        recipients=recipients,
        subject=settings.email_subject,
        timeout=settings.smtp_timeout,
        ca_file=settings.smtp_ca_file,
    )


def build(settings: Settings, console: bool | None = None) -> dict[str, Notifier]:
    """The enabled notifiers by channel name (``console`` overrides ``settings.alerts_console``)."""
    out: dict[str, Notifier] = {}
    if settings.slack_webhook_url is not None and settings.slack_webhook_url.get_secret_value():
        out["slack"] = SlackNotifier(
            settings.slack_webhook_url.get_secret_value(),
            settings.channel_timeout_s,
            settings.slack_min_interval_s,
        )
    if settings.webhook_url is not None and settings.webhook_url.get_secret_value():
        out["webhook"] = WebhookNotifier(settings.webhook_url.get_secret_value(), settings.channel_timeout_s)
    smtp = smtp_config(settings)
    if smtp is not None:
        out["email"] = EmailNotifier(smtp)
    if settings.alerts_console if console is None else console:
        out["console"] = ConsoleNotifier()
    if settings.alerts_jsonl is not None:
        out["jsonl"] = JsonlNotifier(settings.alerts_jsonl)
    return out
