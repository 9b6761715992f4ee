"""The board's web app (Starlette + Jinja2, server-rendered): the only module that imports them.

Pages: ``/`` (health line, filters, the country x topic matrix, search results, recent alerts),
``/pair/{country}/{topic}`` (timeline, alert history with each channel's delivery state, evidence newest
first, the baseline's sentence),
``/api/version`` (what the page polls), ``/metrics`` (Prometheus; counts only, never article text, so
it is served without the token like the other stages' endpoints) and ``/static``.

Every text from articles goes through Jinja2 autoescaping; links to articles are emitted only for
http(s) URLs. Every response carries a strict Content-Security-Policy (no inline script or style) and
``Referrer-Policy: no-referrer`` (opening an article does not tell its site about the board). With a
token configured, every page needs it: HTTP basic auth (any user name, the token as password) or
``Authorization: Bearer TOKEN``.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import jinja2
from markupsafe import Markup
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from board import timeline, view
from board.health import ConsumerStatus, health
from board.metrics import BoardMetrics
from board.store import Query, ReadModel
from core.baseline import Baseline
from core.vocabulary import shipped_vocabulary

HERE = Path(__file__).resolve().parent
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]
OPEN_PATHS = ("/metrics",)
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class BoardConfig:
    """What the app needs besides the read model (built from Settings by the runtime)."""

    baseline: Baseline
    topics: tuple[str, ...]
    token: str | None = None
    refresh_s: float = 5.0
    grafana_url: str = ""
    # The vocabulary's country codes and their labels (``core.vocabulary``); the runtime passes the
    # operator's, so an added country gets its row.
    countries: tuple[str, ...] = field(default_factory=lambda: shipped_vocabulary().country_codes)
    country_names: Mapping[str, str] = field(
        default_factory=lambda: {c.code: c.label for c in shipped_vocabulary().countries}
    )
    # When set, asked on every page for the baseline (the live board follows a file that the alert
    # stage may write after the board started, or a reviewer edits); else ``baseline`` is used.
    baseline_source: Callable[[], Baseline] | None = None
    # Host header names served; None: any. Without a token on loopback the runtime sets LOOPBACK_NAMES,
    # so a web page elsewhere cannot read the board through a DNS name rebound to 127.0.0.1.
    allowed_hosts: frozenset[str] | None = None

    def current_baseline(self) -> Baseline:
        return self.baseline_source() if self.baseline_source is not None else self.baseline


def safe_url(url: str) -> str:
    """The URL when it is http(s) (a javascript: or data: link would run in the board's origin)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return ""
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else ""


def when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else "\u2014"


def day(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d") if value else ""


def domain(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").removeprefix("www.")
    except ValueError:
        return ""


def host_name(header: str) -> str:
    """The name in a Host header, without the port ("[::1]:8350" -> "::1")."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].partition("]")[0]
    name, sep, port = header.rpartition(":")
    return name if sep and port.isdigit() else header


def authorized(header: str, token: str) -> bool:
    """Basic (any user, the token as password) or Bearer; compared in constant time."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return hmac.compare_digest(value.strip().encode(), token.encode())
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return hmac.compare_digest(decoded.partition(":")[2].encode(), token.encode())
    return False


class Guard:
    """ASGI middleware: security headers on every response; the Host check; the token on every path but
    /metrics."""

    def __init__(self, app: ASGIApp, token: str | None, allowed_hosts: frozenset[str] | None) -> None:
        self.app = app
        self.token = token
        self.allowed_hosts = allowed_hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        headers = dict(scope["headers"])
        if self.allowed_hosts is not None:
            host = host_name(headers.get(b"host", b"").decode("latin-1"))
            if host not in self.allowed_hosts:
                refuse = Response("unknown host\n", status_code=400, media_type="text/plain")
                await refuse(scope, receive, send_secured)
                return
        if self.token and scope["path"] not in OPEN_PATHS:
            header = headers.get(b"authorization", b"").decode("latin-1")
            if not authorized(header, self.token):
                refuse = Response(
                    "token required\n",
                    status_code=401,
                    headers={"WWW-Authenticate": 'Basic realm="stancewatch board", charset="UTF-8"'},
                )
                await refuse(scope, receive, send_secured)
                return
        await self.app(scope, receive, send_secured)


def _date(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None


@dataclass(frozen=True)
class Filters:
    """The page's query string, validated (unknown countries/topics and bad dates are dropped)."""

    countries: tuple[str, ...]
    topics: tuple[str, ...]
    since: datetime | None
    until: datetime | None  # the first day after the chosen "to" date
    changes_only: bool
    text: str

    @classmethod
    def parse(cls, request: Request, countries: Sequence[str], topics: Sequence[str]) -> Filters:
        p = request.query_params
        until = _date(p.get("to"))
        return cls(
            countries=tuple(c for c in p.getlist("country") if c in countries),
            topics=tuple(t for t in p.getlist("topic") if t in topics),
            since=_date(p.get("from")),
            until=until + timedelta(days=1) if until else None,
            changes_only=p.get("changes") == "1",
            text=(p.get("q") or "").strip()[:200],
        )

    def query(self, text: bool = True) -> Query:
        return Query(self.countries, self.topics, self.since, self.until, self.text if text else "")

    def qs(self, **drop: bool) -> str:
        """The filters as a query string (``country=False`` and the like leave one out)."""
        items: list[tuple[str, str]] = []
        if not drop.get("country"):
            items += [("country", c) for c in self.countries]
        if not drop.get("topic"):
            items += [("topic", t) for t in self.topics]
        if self.since:
            items.append(("from", day(self.since)))
        if self.until:
            items.append(("to", day(self.until - timedelta(days=1))))
        if self.changes_only:
            items.append(("changes", "1"))
        if self.text and not drop.get("q"):
            items.append(("q", self.text))
        return urlencode(items)


def templates(country_names: Mapping[str, str]) -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=True,  # every template, whatever its name
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(when=when, day=day, safe_url=safe_url, domain=domain)
    env.globals.update(
        country_names=country_names,
        moved_label=view.MOVED_LABEL,
        sign=view.STANCE_SIGN,
        one_day=timedelta(days=1),
    )
    return Jinja2Templates(env=env)


def create_app(
    model: ReadModel,
    config: BoardConfig,
    status: ConsumerStatus,
    registry: CollectorRegistry,
    metrics: BoardMetrics,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Starlette:
    """The ASGI app over ``model``; ``clock`` gives "now" for freshness and "today"."""
    pages = templates(config.country_names)
    topics = list(config.topics)

    def common(request: Request, filters: Filters) -> dict[str, Any]:
        now = clock()
        today = now.replace(hour=0, minute=0, second=0, microsecond=0)
        stats = model.stats(since=today)
        return {
            "health": health(stats, status.snapshot(), now, model.feed_rounds()),
            "stats": stats,
            "filters": filters,
            "countries": config.countries,
            "topics": topics,
            "refresh_s": config.refresh_s,
            "grafana_url": config.grafana_url.rstrip("/"),
            "now": now,
        }

    async def board_page(request: Request) -> Response:
        f = Filters.parse(request, config.countries, topics)
        # the current side as of the end of the range: alerts up to "to", whatever "from" says
        as_of = model.alerts(Query(until=f.until), limit=100_000)
        rows = view.matrix(
            f.countries or config.countries,
            f.topics or topics,
            config.current_baseline(),
            as_of,
            model.counts(f.query()),
        )
        recent = model.alerts(f.query(text=False), limit=20)
        found = model.observations(f.query(), limit=100) if f.text else []
        ctx = {
            **common(request, f),
            "rows": rows,
            "recent": recent,
            "found": found,
            "deliveries": model.deliveries([a.id for a in recent]),
        }
        metrics.requests.labels("board", "2xx").inc()
        return pages.TemplateResponse(request, "board.html", ctx)

    async def pair_page(request: Request) -> Response:
        country, topic = request.path_params["country"], request.path_params["topic"]
        if country not in config.countries or topic not in topics:
            metrics.requests.labels("pair", "4xx").inc()
            return Response("no such country or topic\n", status_code=404, media_type="text/plain")
        f = Filters.parse(request, config.countries, topics)
        pair = Query((country,), (topic,), f.since, f.until, f.text)
        observations = model.observations(pair, limit=500)
        history = model.alerts(pair, limit=200)
        everything = model.alerts(Query((country,), (topic,), until=f.until), limit=100_000)
        position = config.current_baseline().by_key().get(f"{country}:{topic}")
        latest = view.latest_alerts(everything).get((country, topic))
        cell = view.cell(country, topic, position, latest, len(observations))
        chart = timeline.svg(
            observations,
            history,
            position.stance if position else None,
            f"{config.country_names.get(country, country)} on {topic}: side over time",
        )
        ctx = {
            **common(request, f),
            "cell": cell,
            "position": position,
            "observations": observations,
            "history": history,
            "deliveries": model.deliveries([a.id for a in history]),
            "chart": Markup(chart),  # built by ElementTree: values escaped
        }
        metrics.requests.labels("pair", "2xx").inc()
        return pages.TemplateResponse(request, "pair.html", ctx)

    async def version(request: Request) -> Response:
        stats = model.stats(since=clock())
        return JSONResponse({"version": stats.version})

    async def metrics_page(request: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    app = Starlette(
        routes=[
            Route("/", board_page, name="board"),
            Route("/pair/{country}/{topic}", pair_page, name="pair"),
            Route("/api/version", version, name="version"),
            Route("/metrics", metrics_page, name="metrics"),
            Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
        ]
    )
    # paths, not absolute URLs: the page keeps working behind a proxy that rewrites the host
    pages.env.globals["url"] = app.url_path_for
    app.add_middleware(Guard, token=config.token, allowed_hosts=config.allowed_hosts)
    return app
