"""Plain-text and HTML renderings of alerts and digests (pure; third-party text escaped for HTML)."""

from __future__ import annotations

from collections.abc import Sequence

from alerts import escape
from core.messages import Alert, Evidence

KIND_LABEL = {
    "reversal": "Reversal",
    "shift": "Shift",
    "new_position": "New position",
    "reverted": "Reverted to baseline",
}


def headline(alert: Alert) -> str:
    """One line: kind, country, topic, stances and confidence (no third-party text)."""
    base = alert.baseline_stance or "none"
    return (
        f"{KIND_LABEL.get(alert.kind, alert.kind)}: {alert.country} on {alert.topic} is now "
        f"{alert.new_stance} (baseline: {base}, confidence {alert.confidence:.2f})"
    )


def subject_fields(alert: Alert) -> dict[str, str]:
    """Fields a subject template may use; all single-line."""
    return {
        "kind": alert.kind,
        "country": escape.one_line(alert.country, 20),
        "topic": escape.one_line(alert.topic, 60),
        "new_stance": alert.new_stance,
        "baseline_stance": alert.baseline_stance or "none",
        "confidence": f"{alert.confidence:.2f}",
        "id": alert.id,
    }


def _when(ev: Evidence) -> str:
    return ev.published.date().isoformat() if ev.published else "undated"


def text(alert: Alert) -> str:
    lines = [headline(alert), "", "Evidence:"]
    for ev in alert.evidence:
        src = f" ({escape.one_line(ev.url, 300)})" if ev.url else ""
        lines.append(f'- "{escape.one_line(ev.sentence, 1000)}"')
        lines.append(f"  {escape.one_line(ev.title, 200) or 'untitled'}{src}, {_when(ev)}")
    if alert.baseline_evidence:
        lines += ["", f'Baseline: "{escape.one_line(alert.baseline_evidence, 1000)}"']
    lines += ["", f"Alert {alert.id}, detected {alert.detected_at.isoformat()}"]
    return "\n".join(lines)


def html(alert: Alert) -> str:
    e = escape.html_text
    items = []
    for ev in alert.evidence:
        title = e(escape.one_line(ev.title, 200) or "untitled")
        url = escape.safe_url(ev.url)
        link = f'<a href="{e(url)}">{title}</a>' if url else title
        items.append(f"<li><q>{e(escape.one_line(ev.sentence, 1000))}</q><br>{link}, {_when(ev)}</li>")
    base = (
        f"<p>Baseline: <q>{e(escape.one_line(alert.baseline_evidence, 1000))}</q></p>"
        if alert.baseline_evidence
        else ""
    )
    return (
        f"<h2>{e(headline(alert))}</h2><p>Evidence:</p><ul>{''.join(items)}</ul>{base}"
        f"<p><small>Alert {e(alert.id)}, detected {alert.detected_at.isoformat()}</small></p>"
    )


def digest_headline(alerts: Sequence[Alert]) -> str:
    return f"{len(alerts)} stance changes detected"


def digest_text(alerts: Sequence[Alert]) -> str:
    """One line per alert, each with its stable id (a receiver tells a redelivery from a new alert)."""
    lines = [digest_headline(alerts), ""]
    for a in alerts:
        first = a.evidence[0] if a.evidence else None
        src = f" - {escape.one_line(first.title or first.url, 150)}" if first else ""
        lines.append(f"- {headline(a)} [alert {a.id}]{src}")
    return "\n".join(lines)


def digest_html(alerts: Sequence[Alert]) -> str:
    e = escape.html_text
    rows = "".join(f"<li>{e(headline(a))} <small>alert {e(a.id)}</small></li>" for a in alerts)
    return f"<h2>{e(digest_headline(alerts))}</h2><ul>{rows}</ul>"
