import itertools
from datetime import UTC, datetime, timedelta

from ingest.schedule import Bounds, cache_lifetime, error_delay, success_delay

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
B = Bounds(interval=900, minimum=300, maximum=21600, error_backoff=300)


def http_date(dt: datetime) -> str:
    return dt.strftime("%a, %d %b %Y %H:%M:%S GMT")


def test_success_uses_interval_and_honours_longer_hints() -> None:
    assert success_delay(B, None, None, None) == 900
    assert success_delay(B, 600, None, None) == 600
    assert success_delay(B, None, 3600, None) == 3600  # <ttl>60</ttl>
    assert success_delay(B, None, None, 7200) == 7200  # max-age
    assert success_delay(B, None, 60, 120) == 900  # short hints never make us poll faster than planned


def test_success_is_clamped() -> None:
    assert success_delay(B, 10, None, None) == 300
    assert success_delay(B, None, None, 10**7) == 21600


def test_cache_lifetime() -> None:
    assert cache_lifetime({"cache-control": "public, max-age=1200"}, NOW) == 1200
    assert cache_lifetime({"cache-control": 's-maxage="60", must-revalidate'}, NOW) == 60
    expires = {"expires": http_date(NOW + timedelta(hours=2)), "date": http_date(NOW)}
    assert cache_lifetime(expires, NOW) == 7200
    assert cache_lifetime({"expires": "0"}, NOW) == 0.0
    assert cache_lifetime({"cache-control": "no-cache"}, NOW) is None
    assert cache_lifetime({}, NOW) is None
    both = {"cache-control": "max-age=10", "expires": http_date(NOW + timedelta(hours=5))}
    assert cache_lifetime(both, NOW) == 10  # max-age wins over Expires


def test_errors_back_off_linearly_up_to_the_cap() -> None:
    delays = [error_delay(B, None, n, None) for n in range(1, 8)]
    assert delays[:4] == [1200, 1500, 1800, 2100]
    assert all(b - a == 300 for a, b in itertools.pairwise(delays))
    assert error_delay(B, None, 1000, None) == 21600  # slower and slower, never dropped


def test_retry_after_wins_within_bounds() -> None:
    assert error_delay(B, None, 1, 3600) == 3600
    assert error_delay(B, None, 1, 5) == 300
    assert error_delay(B, None, 1, 10**6) == 21600
