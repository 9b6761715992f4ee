"""URL normalisation for deduplication: pure functions, no I/O.

``normalize_url`` yields a comparison key: scheme-less (http and https merge), lower-case host without
default port, fragment and tracking parameters (utm_*, fbclid, gclid, ...) dropped, remaining query
parameters sorted, trailing slash removed. ``clean_url`` keeps the scheme and is what articles carry.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "rb_clickid",
        "s_cid",
        "cmpid",
        "ocid",
        "at_medium",
        "at_campaign",
        "ito",
        "ns_mchannel",
        "ns_source",
        "ns_campaign",
        "ns_linkname",
        "ns_fee",
    }
)
DEFAULT_PORTS = {"http": 80, "https": 443}


def is_tracking_param(name: str) -> bool:
    lowered = name.lower()
    return lowered.startswith("utm_") or lowered in TRACKING_PARAMS


def _parts(url: str) -> tuple[str, str, str, str]:
    """(scheme, netloc, path, query) with tracking params and fragment gone, host lower-cased."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host
    if port is not None and DEFAULT_PORTS.get(scheme) != port:
        netloc = f"{host}:{port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    path = quote(unquote(parts.path), safe="/:@!$&'()*+,;=-._~%")
    pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking_param(k)]
    query = urlencode(pairs, doseq=True)
    return scheme, netloc, path, query


def clean_url(url: str) -> str:
    """The URL as given, minus fragment and tracking parameters (parameter order kept)."""
    if not url.strip():
        return ""
    scheme, netloc, path, query = _parts(url)
    if not netloc:
        return url.strip()
    return urlunsplit((scheme, netloc, path or "/", query, ""))


def normalize_url(url: str) -> str:
    """A comparison key: http/https, trailing-slash, tracking and parameter-order variants merge."""
    if not url.strip():
        return ""
    scheme, netloc, path, query = _parts(url)
    if scheme == "file" or not netloc:
        return urlunsplit((scheme, netloc, path, query, ""))
    path = path.rstrip("/")
    query = urlencode(sorted(parse_qsl(query, keep_blank_values=True)))
    return f"//{netloc}{path}" + (f"?{query}" if query else "")


def host_of(url: str) -> str:
    """The host a request goes to (lower-case, with a non-default port); '' for local files."""
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS:
        return ""
    return _parts(url)[1].rpartition("@")[2]
