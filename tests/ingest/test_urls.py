from ingest.urls import clean_url, host_of, is_tracking_param, normalize_url


def test_tracking_params_and_fragment_dropped() -> None:
    url = "https://news.example.com/a/b?utm_source=x&utm_MEDIUM=y&id=7&fbclid=abc&gclid=q#section"
    assert normalize_url(url) == "//news.example.com/a/b?id=7"
    assert clean_url(url) == "https://news.example.com/a/b?id=7"


def test_scheme_trailing_slash_case_port_and_param_order_merge() -> None:
    variants = [
        "http://News.Example.com/story/1/",
        "https://news.example.com/story/1",
        "https://news.example.com:443/story/1?utm_campaign=z",
        "http://news.example.com:80/story/1#top",
    ]
    assert len({normalize_url(v) for v in variants}) == 1
    assert normalize_url("https://x.test/p?b=2&a=1") == normalize_url("https://x.test/p?a=1&b=2")


def test_different_articles_stay_different() -> None:
    assert normalize_url("https://x.test/p?id=1") != normalize_url("https://x.test/p?id=2")
    assert normalize_url("https://x.test/a") != normalize_url("https://y.test/a")
    assert normalize_url("https://x.test:8443/a") != normalize_url("https://x.test/a")


def test_tracking_param_names() -> None:
    assert is_tracking_param("utm_content") and is_tracking_param("FBCLID") and is_tracking_param("mc_eid")
    assert not is_tracking_param("id") and not is_tracking_param("page")


def test_host_of() -> None:
    assert host_of("https://A.example.com/x") == "a.example.com"
    assert host_of("http://127.0.0.1:8080/x") == "127.0.0.1:8080"
    assert host_of("file:///tmp/x.xml") == ""


def test_empty() -> None:
    assert normalize_url("") == "" and clean_url("  ") == ""
