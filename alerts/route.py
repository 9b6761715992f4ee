"""Routing: which channels get an alert, by country / topic / kind (pure).

``routes`` maps a channel name to filters ``{"countries": [...], "topics": [...], "kinds": [...]}``;
an empty or absent filter matches everything, and a channel without an entry gets every alert.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import get_args

from core.messages import Alert, AlertKind
from core.vocabulary import Vocabulary

FILTERS = {"countries": "country", "topics": "topic", "kinds": "kind"}


class RouteError(ValueError):
    """A route names an unknown channel or filter; one line for the operator."""


def validate(
    routes: Mapping[str, Mapping[str, Sequence[str]]],
    known: Sequence[str],
    vocabulary: Vocabulary | None = None,
) -> None:
    """Refuse an unknown channel or filter, and (given the vocabulary) a country, topic or kind that no
    alert can carry: such a route would silently never match."""
    values = {"kinds": get_args(AlertKind)}
    if vocabulary is not None:
        values |= {"countries": vocabulary.country_codes, "topics": vocabulary.topic_ids}
    for channel, filters in routes.items():
        if channel not in known:
            raise RouteError(
                f"STANCEWATCH_ALERT_ROUTES: unknown channel {channel!r} (known: {', '.join(known)})"
            )
        for name in filters:
            if name not in FILTERS:
                raise RouteError(
                    f"STANCEWATCH_ALERT_ROUTES: {channel}: unknown filter {name!r} (use {', '.join(FILTERS)})"
                )
            unknown = [v for v in filters[name] if name in values and v not in values[name]]
            if unknown:
                raise RouteError(
                    f"STANCEWATCH_ALERT_ROUTES: {channel}: {name}: unknown {unknown} "
                    f"(known: {', '.join(values[name])})"
                )


def matches(alert: Alert, filters: Mapping[str, Sequence[str]]) -> bool:
    for name, attr in FILTERS.items():
        allowed = filters.get(name) or ()
        if allowed and str(getattr(alert, attr)) not in allowed:
            return False
    return True


def channels_for(
    alert: Alert, enabled: Sequence[str], routes: Mapping[str, Mapping[str, Sequence[str]]]
) -> list[str]:
    """The enabled channels whose route matches ``alert`` (in ``enabled`` order)."""
    return [c for c in enabled if matches(alert, routes.get(c, {}))]
