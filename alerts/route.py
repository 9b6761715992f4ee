"""Routing: which channels get an alert, by country / topic / kind (pure).

``routes`` maps a channel name to filters ``{"countries": [...], "topics": [...], "kinds": [...]}``;
an empty or absent filter matches everything, and a channel without an entry gets every alert.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from core.messages import Alert

FILTERS = {"countries": "country", "topics": "topic", "kinds": "kind"}


class RouteError(ValueError):
    """A route names an unknown channel or filter; one line for the operator."""


def validate(routes: Mapping[str, Mapping[str, Sequence[str]]], known: Sequence[str]) -> None:
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
