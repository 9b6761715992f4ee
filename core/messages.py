"""Typed, frozen, versioned messages that travel between the stages, and their JSON wire format.

Every message carries ``schema_version``. ``decode(kind, raw)`` raises ``MessageError`` for bytes that are
not UTF-8 JSON, do not validate, or carry a schema version this build does not read; consumers route
such messages to their dead-letter topic with the error in headers (see ``core.kafka``).
Keys are deterministic: an article by its id, a stance observation and an alert by ``COUNTRY:topic``, a
delivery receipt by its alert id, an ingest round by the ingest instance that polled it.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

Stance = Literal["support", "oppose", "neutral"]
BaselineStance = Literal["support", "oppose", "neutral", "mixed"]
AlertKind = Literal["reversal", "shift", "new_position", "reverted"]
DeliveryState = Literal["queued", "delivered", "retrying", "failed"]


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_utc)]

REASON_MAX = 80
_URL = re.compile(r"\S*://\S*")


def short_reason(text: str) -> str:
    """One short line safe to put on a topic: URLs (which may carry a webhook token or a password)
    become ``<url>``, whitespace runs one space, at most ``REASON_MAX`` characters."""
    return " ".join(_URL.sub("<url>", text).split())[:REASON_MAX]


ShortReason = Annotated[str, AfterValidator(short_reason)]


class MessageError(ValueError):
    """A message could not be decoded: bad bytes, bad JSON, failed validation or unknown version."""


class Message(BaseModel):
    """Base of all wire messages: frozen, strict about unknown fields, versioned."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    SCHEMA_VERSION: ClassVar[int] = 1
    schema_version: int = 1

    def key(self) -> str:
        raise NotImplementedError

    def encode(self) -> bytes:
        return self.model_dump_json().encode("utf-8")


def article_id(canonical: str) -> str:
    """Stable id of an article: a short SHA-256 of its canonical URL or GUID."""
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def source_of(url: str, declared: str = "") -> str:
    """The independent-source key of an article (``StanceObservation.source``): the ``declared`` domain,
    else the URL's host; lower case, without a leading ``www.``; "" when there is neither."""
    host = declared.strip() or urlsplit(url).hostname or ""
    return host.lower().removeprefix("www.")


class Article(Message):
    """One news item as published to the ``articles`` topic by the ingest stage."""

    id: str
    feed: str
    url: str
    title: str = ""
    summary: str = ""
    content: str = ""
    published: UtcDatetime
    fetched_at: UtcDatetime
    language: str = ""
    guid: str = ""
    tags: tuple[str, ...] = ()

    def key(self) -> str:
        return self.id

    @property
    def text(self) -> str:
        """The article body for classification: content when present, else the summary."""
        return self.content or self.summary


class StanceObservation(Message):
    """One (country, topic, stance) read from one article, published to ``stances``."""

    article_id: str
    url: str = ""
    title: str = ""
    published: UtcDatetime
    country: str
    topic: str
    stance: Stance
    confidence: float = Field(ge=0.0, le=1.0)
    evidence: str
    model_version: str
    source: str = ""  # the article's domain, for corroboration across independent sources
    # Set only when the article's text was cut before classification: how many characters were read.
    # Left off the wire when unset, so an uncut observation encodes exactly as before.
    text_cut_at: int | None = Field(default=None, ge=0, exclude_if=lambda v: v is None)

    def key(self) -> str:
        return f"{self.country}:{self.topic}"


class Evidence(BaseModel):
    """A sentence that shows a stance, with where it came from."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    sentence: str
    title: str = ""
    url: str = ""
    published: UtcDatetime | None = None
    confidence: float | None = None


class Alert(Message):
    """A change of a country's position against the baseline, published to ``alerts``."""

    id: str
    kind: AlertKind
    country: str
    topic: str
    baseline_stance: BaselineStance | None
    new_stance: Stance
    confidence: float = Field(ge=0.0, le=1.0)
    evidence: tuple[Evidence, ...]
    baseline_evidence: str = ""
    detected_at: UtcDatetime

    def key(self) -> str:
        return f"{self.country}:{self.topic}"


class DeliveryReceipt(Message):
    """One channel's delivery state of one alert changed; the alert stage publishes it to ``deliveries``.

    ``attempts``: sends made so far (0 while queued). ``error``: why the last send failed (``retrying``,
    ``failed``), a short reason such as ``http_503``, never a URL or a secret. ``at``: wall time of the
    change. A reader keeps per (alert id, channel) the receipt that ``supersedes`` the others, so a
    receipt read twice or late never moves a state back.
    """

    alert_id: str
    channel: str
    state: DeliveryState
    attempts: int = Field(default=0, ge=0)
    error: ShortReason = ""
    at: UtcDatetime

    def key(self) -> str:
        return self.alert_id

    @property
    def final(self) -> bool:
        """Delivered or failed for good: no later change follows."""
        return self.state in ("delivered", "failed")

    def order(self) -> tuple[bool, int, datetime]:
        """Later states sort higher: final over not final, then more attempts, then the later time."""
        return (self.final, self.attempts, self.at)

    def supersedes(self, other: DeliveryReceipt) -> bool:
        return self.order() > other.order()


class IngestRound(Message):
    """What one closed poll round of an ingest instance did, published to ``ingest-health``.

    ``source`` names the instance (its host and feed list), so shards of one feed list each keep their
    own latest round. ``ok`` + ``failed`` = ``polled`` <= ``scheduled``. ``poll_interval_s`` is the
    instance's ``POLL_INTERVAL``: a reader calls the report late after three of them. No error text and
    no feed URL travel here (a feed URL may carry credentials); ``failed_kinds`` are result names.
    """

    source: str
    scheduled: int = Field(ge=0)
    polled: int = Field(ge=0)
    ok: int = Field(ge=0)
    failed: int = Field(ge=0)
    new_items: int = Field(ge=0)
    failed_kinds: tuple[str, ...] = ()
    ended_at: UtcDatetime
    poll_interval_s: float = Field(gt=0)

    def key(self) -> str:
        return self.source


M = TypeVar("M", bound=Message)

KINDS: dict[str, type[Message]] = {
    "article": Article,
    "stance": StanceObservation,
    "alert": Alert,
    "delivery": DeliveryReceipt,
    "ingest_round": IngestRound,
}


def decode(model: type[M], raw: bytes | None) -> M:
    """Decode wire bytes into ``model``; raise MessageError with a one-line reason."""
    if raw is None:
        raise MessageError("empty message value")
    try:
        data: Any = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MessageError(f"not UTF-8 JSON: {exc}") from None
    if not isinstance(data, dict):
        raise MessageError(f"expected a JSON object, got {type(data).__name__}")
    version = data.get("schema_version")
    if version != model.SCHEMA_VERSION:
        raise MessageError(
            f"unknown schema_version {version!r} for {model.__name__} "
            f"(this build reads {model.SCHEMA_VERSION})"
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise MessageError(f"invalid {model.__name__}: {where}: {first['msg']}") from None


def utcnow() -> datetime:
    return datetime.now(UTC)
