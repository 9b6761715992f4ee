"""The one settings object of stancewatch.

Environment variables (prefix ``STANCEWATCH_``) and an optional ``.env`` file are read here and nowhere
else. ``load_settings()`` validates everything once at start-up; a bad value raises ``SettingsError``
whose message is one line naming the variable and the fix. The object is frozen and passed down
explicitly. Secrets are ``SecretStr`` and never printed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "STANCEWATCH_"
REPO_ROOT = Path(__file__).resolve().parent.parent


def _default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "stancewatch"


def _default_cache_dir() -> Path:
    return Path.home() / ".cache" / "stancewatch"


class SettingsError(ValueError):
    """A configuration value is missing or invalid; the message is one line for the operator."""


class Settings(BaseSettings):
    """Every setting of stancewatch. The README's settings reference documents each field."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", extra="ignore", frozen=True, case_sensitive=False
    )

    # --- general ---------------------------------------------------------------------------------
    data_dir: Path = Field(default_factory=_default_data_dir)
    cache_dir: Path = Field(default_factory=_default_cache_dir)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # True (or `stancewatch --verbose`): libraries (APScheduler, kafka-python) log at LOG_LEVEL too.
    verbose: bool = False
    metrics_host: str = "127.0.0.1"
    metrics_port: int = Field(default=9308, ge=0, le=65535)

    # --- Kafka -----------------------------------------------------------------------------------
    # Empty: use (and start when needed) the project's local broker.
    kafka_bootstrap: str = ""
    topic_prefix: str = ""
    topic_partitions: int = Field(default=3, ge=1)
    topic_replication: int = Field(default=1, ge=1)
    kafka_client_id: str = "stancewatch"
    kafka_request_timeout_ms: int = Field(default=30_000, ge=1_000)
    # The longest wait between reconnection attempts (kafka-python's default, 30 s, adds up to 30 s of
    # nothing after a broker comes back).
    kafka_reconnect_backoff_max_ms: int = Field(default=2_000, ge=50)
    # While a stage sits idle, how often it checks that the broker still answers (an outage shows in
    # stancewatch_broker_up within about this long).
    broker_probe_s: float = Field(default=10.0, gt=0)
    # A consumer-group member silent this long is considered gone and its partitions move (kafka-python's
    # default is 45 s; the broker's group.min.session.timeout.ms, 6 s by default, is the floor).
    kafka_session_timeout_ms: int = Field(default=10_000, ge=6_000)
    broker_host: str = "127.0.0.1"
    broker_port: int = Field(default=19092, ge=1, le=65535)
    broker_controller_port: int = Field(default=19093, ge=1, le=65535)
    broker_heap: str = "512m"
    kafka_version: str = "4.1.1"

    # --- ingest ----------------------------------------------------------------------------------
    # Empty: the list shipped with the ingest package (ingest/feeds.yaml).
    feeds_file: Path | None = None
    user_agent: str = "stancewatch/0.1 (+https://example.invalid/stancewatch; news stance monitor)"
    http_connect_timeout: float = Field(default=10.0, gt=0)
    http_read_timeout: float = Field(default=30.0, gt=0)
    max_body_bytes: int = Field(default=15 * 1024 * 1024, ge=1024)
    max_redirects: int = Field(default=5, ge=0)
    poll_interval: float = Field(default=900.0, gt=0)
    poll_min_interval: float = Field(default=300.0, gt=0)
    poll_max_interval: float = Field(default=6 * 3600.0, gt=0)
    poll_jitter: float = Field(default=30.0, ge=0)
    host_min_gap: float = Field(default=1.0, ge=0)
    host_concurrency: int = Field(default=2, ge=1)
    fetch_concurrency: int = Field(default=32, ge=1)
    failure_report_after: int = Field(default=3, ge=1)
    dedup_title_days: int = Field(default=7, ge=1)
    http_total_timeout: float = Field(default=60.0, gt=0)
    poll_error_backoff: float = Field(default=300.0, ge=0)
    poll_misfire_grace: float = Field(default=600.0, gt=0)
    # An article encoded larger than this is trimmed before publishing (content, then summary, then
    # title); the broker's default limit per message is 1 MiB.
    article_max_bytes: int = Field(default=512 * 1024, ge=4096)

    # --- processors (classifier) -----------------------------------------------------------------
    # Empty: the model committed in processors/models (LoRA adapter over the packaged base).
    model_path: str = ""
    classify_batch_articles: int = Field(default=16, ge=1)
    classify_batch_ms: int = Field(default=500, ge=1)
    # Chosen on the news-style dev items with mpnet-nli-v2.1 (syntok): the highest dev F1 whose dev
    # precision reaches 0.75 (0.692 at 0.65, P 0.793; 0.685 at 0.6; 0.689 at 0.7; 0.673 at 0.75).
    classify_min_confidence: float = Field(default=0.65, ge=0, le=1)
    # The operator's vocabulary files (core/vocabulary.py): extra aliases and countries merged into
    # core/countries.yaml; a topic file used instead of core/topics.yaml. Every stage reads them.
    countries_file: Path | None = None
    topics_file: Path | None = None
    classify_group: str = "stancewatch-processors"
    # Static group membership (Kafka's group.instance.id): a restarted classify-stream takes its partitions
    # back at once instead of waiting out the old member's session. "auto": derived from the group, the
    # topic prefix, the host name and METRICS_PORT; empty: off. Instances of one group need distinct ids
    # (two with one id fence each other).
    classify_instance_id: str = "auto"
    classify_model_batch: int = Field(default=64, ge=1)  # sentence-pair queries per forward pass
    # auto | fp32 | bf16: how the stance model is served on CPU (auto: bf16 where the CPU has it natively)
    classify_precision: Literal["auto", "fp32", "bf16"] = "auto"
    # The most of an article's text the classifier reads; the rest is cut (counted, and noted on the
    # article's observations as text_cut_at). A 5 MB article read whole stalls the stream for minutes.
    classify_max_chars: int = Field(default=20_000, ge=1_000)
    # Time budget of one classify-stream batch: past it, the batch's remaining articles are left for the
    # next poll (what is done is committed). Keep it well under kafka's max poll interval (300 s).
    classify_batch_max_s: float = Field(default=30.0, gt=0)
    # builtin | pysbd | syntok: how article text is cut into sentences (processors/text.py); pysbd comes
    # with the "splitters" extra. syntok (maintained) holds the pipeline's F1 with mpnet-nli-v2: news-style
    # dev 0.690 (builtin and pysbd 0.683); test, korea-news-dev and the baseline article unchanged.
    sentence_splitter: Literal["builtin", "pysbd", "syntok"] = "syntok"

    # --- alerts ----------------------------------------------------------------------------------
    # Default: DATA_DIR/baseline.yaml (it follows STANCEWATCH_DATA_DIR).
    baseline_path: Path = Field(default_factory=lambda: _default_data_dir() / "baseline.yaml")
    # The article a missing baseline is built from. No default: a command that needs it says so.
    baseline_article: Path | None = None
    slack_webhook_url: SecretStr | None = None
    webhook_url: SecretStr | None = None
    smtp_host: str = ""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str = ""
    smtp_password: SecretStr | None = None
    smtp_security: Literal["starttls", "ssl", "none"] = "starttls"
    email_from: str = ""
    email_to: str = ""
    email_subject: str = "[stancewatch] {kind}: {country} on {topic} now {new_stance}"
    alerts_jsonl: Path | None = None
    alerts_console: bool = True
    smtp_ca_file: Path | None = None  # extra CA bundle to trust (a private relay's self-signed cert)
    smtp_timeout: float = Field(default=15.0, gt=0)
    alert_group: str = "stancewatch-alerts"
    alert_state_db: Path | None = None  # default: DATA_DIR/alerts.sqlite3
    alert_min_confidence: float = Field(default=0.5, ge=0, le=1)
    alert_min_sources: int = Field(default=2, ge=1)
    alert_window_hours: float = Field(default=72.0, gt=0)
    # One observation this sure fires alone. Confidences are calibrated (held-out ECE ~0.05), so this is
    # roughly the precision a single uncorroborated source must promise: the 0.8 precision goal.
    alert_high_confidence: float = Field(default=0.8, ge=0, le=1)
    alert_evidence_max: int = Field(default=5, ge=1, le=20)
    # JSON: {"slack": {"countries": ["KP"], "topics": [], "kinds": ["reversal"]}, ...}; absent channel = all
    alert_routes: dict[str, dict[str, list[str]]] = Field(default_factory=dict)
    digest_threshold: int = Field(default=5, ge=1)
    digest_window_s: float = Field(default=60.0, gt=0)
    slack_min_interval_s: float = Field(default=1.0, ge=0)
    channel_timeout_s: float = Field(default=10.0, gt=0)
    delivery_attempts: int = Field(default=8, ge=1)
    delivery_backoff_s: float = Field(default=1.0, gt=0)
    delivery_backoff_cap_s: float = Field(default=300.0, gt=0)

    # --- board (the stance board web page) -------------------------------------------------------
    # Loopback by default; any other address needs STANCEWATCH_BOARD_TOKEN (the board refuses otherwise).
    board_host: str = "127.0.0.1"
    board_port: int = Field(default=8350, ge=1, le=65535)
    board_token: SecretStr | None = None  # HTTP basic password (any user name) or "Bearer" token
    board_db: Path | None = None  # default: DATA_DIR/board.sqlite3
    board_group: str = "stancewatch-board"
    board_refresh_s: float = Field(default=5.0, ge=1.0)  # how often an open page asks for new data
    grafana_url: str = ""  # e.g. http://127.0.0.1:3000; the board links to its dashboards when set

    @field_validator("kafka_bootstrap")
    @classmethod
    def _bootstrap_shape(cls, value: str) -> str:
        for part in filter(None, (p.strip() for p in value.split(","))):
            host, sep, port = part.rpartition(":")
            if not sep or not host or not port.isdigit():
                raise ValueError(f"expected host:port[,host:port...], got {part!r}")
        return value.strip()

    @field_validator("feeds_file", "baseline_article", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="before")
    @classmethod
    def _baseline_in_data_dir(cls, data: Any) -> Any:
        """An unset (or empty) BASELINE_PATH is DATA_DIR/baseline.yaml, whatever DATA_DIR is."""
        if isinstance(data, dict) and not data.get("baseline_path"):
            data = {
                **data,
                "baseline_path": Path(data.get("data_dir") or _default_data_dir()) / "baseline.yaml",
            }
        return data

    @property
    def uses_local_broker(self) -> bool:
        """True when no external cluster is configured and the project's own broker is used."""
        return not self.kafka_bootstrap


def load_settings(**overrides: object) -> Settings:
    """Read and validate the settings once; raise SettingsError with one line per first problem.

    The dotenv file is STANCEWATCH_ENV_FILE (default ``.env`` in the working directory; empty: none, as
    the test suite sets it so that a developer's channels and cluster never reach a test).
    """
    env_file = os.environ.get(f"{ENV_PREFIX}ENV_FILE", ".env")
    try:
        return Settings(_env_file=env_file or None, **overrides)  # type: ignore[arg-type, call-arg]
    except ValidationError as exc:
        err = exc.errors()[0]
        name = ".".join(str(p) for p in err["loc"]) or "settings"
        raise SettingsError(
            f"{ENV_PREFIX}{name.upper()}: {err['msg']} (fix the environment variable or .env entry)"
        ) from None


def from_context(ctx: object) -> Settings:
    """The settings loaded by the CLI's root callback (``ctx`` is a click/typer context)."""
    obj = ctx.find_root().obj  # type: ignore[attr-defined]
    if not isinstance(obj, Settings):
        raise RuntimeError("settings were not loaded by the stancewatch root command")
    return obj
