"""Wire messages: JSON round trips, frozen values, versioning, deterministic keys, one-line decode errors."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from core.messages import (
    Alert,
    Article,
    DeliveryReceipt,
    Evidence,
    IngestRound,
    Message,
    MessageError,
    StanceObservation,
    article_id,
    decode,
    source_of,
)

WHEN = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def an_article(**changes: object) -> Article:
    base: dict[str, object] = {
        "id": article_id("https://news.example.test/a/1"),
        "feed": "example",
        "url": "https://news.example.test/a/1",
        "title": "Talks resume — “quietly”",
        "summary": "A short summary.",
        "content": "Longer body text. Second sentence.",
        "published": WHEN,
        "fetched_at": WHEN + timedelta(minutes=5),
        "language": "en",
        "guid": "urn:example:1",
        "tags": ("korea", "politics"),
    }
    base.update(changes)
    return Article.model_validate(base)


def a_stance(**changes: object) -> StanceObservation:
    base: dict[str, object] = {
        "article_id": "abc",
        "published": WHEN,
        "country": "KR",
        "topic": "sanctions",
        "stance": "support",
        "confidence": 0.8,
        "evidence": "Seoul backs the measures.",
        "model_version": "m1",
        "source": "news.example.test",
    }
    base.update(changes)
    return StanceObservation.model_validate(base)


def an_alert() -> Alert:
    return Alert(
        id="al-1",
        kind="reversal",
        country="RU",
        topic="sanctions",
        baseline_stance="oppose",
        new_stance="support",
        confidence=0.9,
        evidence=(Evidence(sentence="Moscow now backs them.", url="https://x.test/1", published=WHEN),),
        baseline_evidence="Moscow opposed them.",
        detected_at=WHEN,
    )


@pytest.mark.parametrize(
    "message", [an_article(), a_stance(), an_alert()], ids=["article", "stance", "alert"]
)
def test_round_trip_is_exact(message: Message) -> None:
    raw = message.encode()
    assert isinstance(raw, bytes)
    assert json.loads(raw)["schema_version"] == 1
    assert decode(type(message), raw) == message


def test_non_ascii_survives_utf8_json() -> None:
    article = an_article(title="북한 — “talks”")
    assert decode(Article, article.encode()).title == "북한 — “talks”"


def test_messages_are_frozen() -> None:
    article = an_article()
    with pytest.raises(ValidationError):
        article.title = "changed"
    with pytest.raises(ValidationError):
        an_alert().evidence[0].sentence = "changed"


def test_keys_are_deterministic() -> None:
    assert an_article().key() == article_id("https://news.example.test/a/1") == an_article().key()
    assert article_id("a") != article_id("b")
    assert len(article_id("x")) == 32
    assert a_stance().key() == "KR:sanctions"
    assert a_stance(article_id="other", stance="oppose").key() == "KR:sanctions"
    assert an_alert().key() == "RU:sanctions"


def test_datetimes_are_utc() -> None:
    naive = an_article(published=datetime(2026, 1, 1, 9, 0))
    assert naive.published == datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    seoul = an_article(published=datetime(2026, 1, 1, 9, 0, tzinfo=timezone(timedelta(hours=9))))
    assert seoul.published == datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    assert seoul.published.utcoffset() == timedelta(0)


def _with(raw: bytes, **changes: object) -> bytes:
    data = json.loads(raw)
    data.update(changes)
    return json.dumps(data).encode()


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (None, "empty message value"),
        (b"\xff\xfe not utf-8", "not UTF-8 JSON"),
        (b"{not json", "not UTF-8 JSON"),
        (b"[1, 2]", "expected a JSON object"),
        (_with(an_article().encode(), schema_version=2), "unknown schema_version 2"),
        (_with(an_article().encode(), schema_version=None), "unknown schema_version None"),
        (_with(an_article().encode(), surprise=1), "invalid Article: surprise"),
        (_with(an_article().encode(), published="yesterday"), "invalid Article: published"),
        (_with(a_stance().encode(), stance="maybe"), "invalid StanceObservation: stance"),
        (_with(a_stance().encode(), confidence=1.5), "invalid StanceObservation: confidence"),
    ],
)
def test_undecodable_messages_raise_one_line_message_error(raw: bytes | None, reason: str) -> None:
    model = StanceObservation if raw and b"model_version" in raw else Article
    with pytest.raises(MessageError) as err:
        decode(model, raw)
    assert reason in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_schema_version_is_unknown() -> None:
    data = json.loads(an_article().encode())
    del data["schema_version"]
    with pytest.raises(MessageError, match="unknown schema_version None"):
        decode(Article, json.dumps(data).encode())


def test_article_text_prefers_content() -> None:
    assert an_article().text == "Longer body text. Second sentence."
    assert an_article(content="").text == "A short summary."


def test_source_of_is_the_domain_the_article_declares_or_comes_from() -> None:
    # one key for the classifier (which sets StanceObservation.source) and the alert stage (which counts
    # independent sources): lower case, no leading www
    assert source_of("https://www.Reuters.com/world/x") == "reuters.com"
    assert source_of("https://apnews.com/a", declared="WWW.AP.org") == "ap.org"
    assert source_of("not a url") == ""
    assert source_of("", declared=" ") == ""


def a_receipt(**changes: object) -> DeliveryReceipt:
    base: dict[str, object] = {"alert_id": "a1", "channel": "slack", "state": "queued", "at": WHEN}
    base.update(changes)
    return DeliveryReceipt.model_validate(base)


def a_round(**changes: object) -> IngestRound:
    base: dict[str, object] = {
        "source": "host:feeds.yaml",
        "scheduled": 27,
        "polled": 27,
        "ok": 24,
        "failed": 3,
        "new_items": 11,
        "failed_kinds": ("http_error",),
        "ended_at": WHEN,
        "poll_interval_s": 900.0,
    }
    base.update(changes)
    return IngestRound.model_validate(base)


@pytest.mark.parametrize("message", [a_receipt(state="retrying", attempts=2, error="http_503"), a_round()])
def test_receipts_and_rounds_round_trip_with_their_keys(message: Message) -> None:
    assert decode(type(message), message.encode()) == message
    assert json.loads(message.encode())["schema_version"] == 1
    assert message.key() == ("a1" if isinstance(message, DeliveryReceipt) else "host:feeds.yaml")


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"schema_version": 1, "state": "lost", "at": "2026-01-01"}, "state"),
        ({"schema_version": 1, "state": "queued"}, "at"),
        ({"schema_version": 2, "state": "queued", "at": "2026-01-01"}, "schema_version"),
        ({"schema_version": 1, "state": "retrying", "attempts": -1, "at": "2026-01-01"}, "attempts"),
    ],
)
def test_a_bad_receipt_does_not_decode(fields: dict[str, object], reason: str) -> None:
    raw = json.dumps({"alert_id": "a1", "channel": "slack", **fields}).encode()
    with pytest.raises(MessageError) as info:
        decode(DeliveryReceipt, raw)
    assert reason in str(info.value) and "\n" not in str(info.value)


def test_a_receipt_reason_carries_no_url_and_stays_short() -> None:
    secret = "https://hooks.slack.example/services/T000/B000/XXXXSECRET"
    r = a_receipt(state="failed", attempts=8, error=f"ConnectError: {secret} refused\n" + "x" * 300)
    assert "://" not in r.error and "SECRET" not in r.error and "\n" not in r.error
    assert r.error.startswith("ConnectError: <url> refused") and len(r.error) <= 80
    assert decode(DeliveryReceipt, r.encode()).error == r.error


def test_a_later_receipt_supersedes_an_earlier_one_never_the_reverse() -> None:
    queued = a_receipt()
    retry1 = a_receipt(state="retrying", attempts=1, at=WHEN + timedelta(seconds=1))
    retry2 = a_receipt(state="retrying", attempts=2, at=WHEN + timedelta(seconds=3))
    done = a_receipt(state="delivered", attempts=3, at=WHEN + timedelta(seconds=9))
    # a second instance re-sends after a partition moved: its "queued" is newer in time, still not later
    requeued = a_receipt(at=WHEN + timedelta(minutes=5))
    chain = [queued, retry1, retry2, done]
    for earlier, later in itertools.pairwise(chain):
        assert later.supersedes(earlier) and not earlier.supersedes(later)
    assert not requeued.supersedes(done) and not done.supersedes(done)
