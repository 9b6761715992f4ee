"""Retry-After, read one way for feed polls (ingest) and notifier deliveries (alerts)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.retry import http_date, parse_retry_after

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def header_date(dt: datetime) -> str:
    return dt.strftime("%a, %d %b %Y %H:%M:%S GMT")


def test_delay_seconds() -> None:
    assert parse_retry_after("120", NOW.timestamp()) == 120
    assert parse_retry_after(" 3 ") == 3.0
    assert parse_retry_after("-5") == 0.0
    assert parse_retry_after("inf") is None and parse_retry_after("nan") is None


def test_http_dates_are_relative_to_now_and_never_negative() -> None:
    now = NOW.timestamp()
    assert parse_retry_after(header_date(NOW + timedelta(minutes=30)), now) == 1800
    assert parse_retry_after(header_date(NOW - timedelta(minutes=30)), now) == 0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == pytest.approx(10.0)
    # a date without a zone ("-0000") is read as UTC, not as the machine's local time
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:10 -0000", now) == pytest.approx(10.0)


def test_absent_or_malformed_is_none() -> None:
    for value in (None, "", "   ", "soon", "Thu, 99 Foo 2026"):
        assert parse_retry_after(value, NOW.timestamp()) is None, value


def test_http_date() -> None:
    assert http_date(header_date(NOW)) == NOW
    assert http_date("yesterday") is None
