"""Escaping third-party text (article sentences, titles, URLs) for each channel.

Article text is hostile by assumption: in Slack mrkdwn ``<!channel>`` pings everyone and ``<url|label>``
shows a misleading link; in HTML ``<script>`` or markup could run or mislead. Every channel renders
article text only through these functions.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(text: str) -> str:
    """Drop control characters (keeping newlines and tabs)."""
    return _CONTROL.sub("", text)


def slack(text: str) -> str:
    """Escape for Slack mrkdwn: only ``&``, ``<`` and ``>`` are control characters there."""
    return clean(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def html_text(text: str) -> str:
    """Escape for HTML element content and attribute values."""
    return html.escape(clean(text), quote=True)


def one_line(text: str, limit: int = 200) -> str:
    """Collapse whitespace (no CR/LF survives, so header values cannot be injected) and shorten."""
    flat = " ".join(clean(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def safe_url(url: str) -> str | None:
    """The URL when it is a plain http(s) URL a link may point to; None otherwise."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    if any(ch in url for ch in "<>|\"' \n\r\t") or _CONTROL.search(url):
        return None
    return url


def slack_link(url: str, label: str) -> str:
    """A Slack mrkdwn link to a safe URL with an escaped label, or the escaped label alone."""
    target = safe_url(url)
    label = slack(one_line(label, 150)) or "link"
    if target is None:
        return label
    return f"<{slack(target)}|{label}>"


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"
