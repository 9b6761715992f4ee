from pathlib import Path

import pytest

from ingest.feeds import FeedListError, feed_url, load_feeds, parse_feed_list
from tests.ingest.server import items, rss


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_list_with_local_paths(tmp_path: Path) -> None:
    (tmp_path / "local.xml").write_bytes(rss(items(1)))
    path = write(
        tmp_path,
        "feeds:\n"
        "  - {name: a, url: 'https://a.example.com/rss', interval: 600, tags: [korea, wire]}\n"
        "  - {name: b, url: local.xml}\n"
        f"  - {{name: c, url: 'file://{tmp_path / 'local.xml'}?v=2'}}\n",
    )
    with pytest.raises(FeedListError) as err:  # c and b are the same local file
        load_feeds(path)
    assert any("duplicate url" in p for p in err.value.problems)
    path = write(
        tmp_path,
        "feeds:\n  - {name: a, url: 'https://a.example.com/rss', interval: 600, tags: [k]}\n"
        "  - {name: b, url: local.xml}\n",
    )
    feeds = load_feeds(path)
    assert feeds[0].interval == 600.0 and feeds[0].tags == ("k",)
    assert feeds[1].url == (tmp_path / "local.xml").as_uri() and feeds[1].is_local


def test_each_bad_entry_gives_one_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "feeds:\n"
        "  - {name: ok, url: 'https://ok.example.com/rss'}\n"
        "  - {name: typo, url: 'https://t.example.com/rss', intervall: 60}\n"
        "  - {name: badscheme, url: 'ftp://x.example.com/rss'}\n"
        "  - {name: nohost, url: 'https:///rss'}\n"
        "  - {name: ok, url: 'https://other.example.com/rss'}\n"
        "  - {name: dupurl, url: 'http://OK.example.com/rss/'}\n"
        "  - {name: missing, url: 'no/such/file.xml'}\n"
        "  - {name: neg, url: 'https://n.example.com/rss', interval: -5}\n"
        "  - {name: tags, url: 'https://g.example.com/rss', tags: oops}\n"
        "  - {url: 'https://noname.example.com/rss'}\n"
        "  - just a string\n",
    )
    with pytest.raises(FeedListError) as err:
        load_feeds(path)
    problems = err.value.problems
    assert len(problems) == 10, problems
    assert all("\n" not in p for p in problems)
    text = "\n".join(problems)
    for needle in ("intervall", "'ftp'", "no host", "duplicate name", "duplicate url", "does not exist",
                   "positive number", "tags must", "'name' must", "expected a mapping"):  # fmt: skip
        assert needle in text, needle
    assert str(path) in str(err.value)


def test_document_shape_errors(tmp_path: Path) -> None:
    for text, needle in [
        ("- a\n", "'feeds' list"),
        ("feeds: []\n", "non-empty list"),
        ("feeds: [{name: a, url: 'https://a.test/x'}]\nextra: 1\n", "unknown top-level key 'extra'"),
        ("feeds: [unclosed\n", "not valid YAML"),
    ]:
        with pytest.raises(FeedListError) as err:
            load_feeds(write(tmp_path, text))
        assert needle in str(err.value)
    with pytest.raises(FeedListError, match="cannot read"):
        load_feeds(tmp_path / "absent.yaml")


def test_feed_url_forms(tmp_path: Path) -> None:
    (tmp_path / "f.xml").write_text("<rss/>")
    assert feed_url("f.xml", tmp_path) == (tmp_path / "f.xml").as_uri()
    assert feed_url(str(tmp_path / "f.xml")) == (tmp_path / "f.xml").as_uri()
    assert feed_url("http://127.0.0.1:8080/x") == "http://127.0.0.1:8080/x"
    for bad in ("", "mailto:x@y.z", "https://x.test:99999/", "http://a b.test/"):
        with pytest.raises(ValueError):
            feed_url(bad, tmp_path)


def test_shipped_feed_list_is_valid() -> None:
    from ingest.feeds import shipped_feeds

    feeds = load_feeds(shipped_feeds())
    assert len(feeds) >= 15
    assert all(f.url.startswith(("https://", "http://")) for f in feeds)
    assert parse_feed_list({"feeds": [{"name": "x", "url": "https://x.test/"}]})[0].name == "x"


def test_a_directory_and_a_scheme_without_colon_each_get_their_own_reason(tmp_path: Path) -> None:
    (tmp_path / "feeds").mkdir()
    reasons = {}
    for raw in ("feeds", "https//news.example.test/rss", "HTTP//x.test/", "absent.xml"):
        with pytest.raises(ValueError) as err:
            feed_url(raw, tmp_path)
        reasons[raw] = str(err.value)
    assert (
        reasons["feeds"]
        == f"local feed file {str(tmp_path / 'feeds')!r} is a directory; name a feed file in it"
    )
    assert reasons["https//news.example.test/rss"] == (
        "url 'https//news.example.test/rss' lacks the ':' after 'https' (write https://...)"
    )
    assert "lacks the ':' after 'HTTP'" in reasons["HTTP//x.test/"]
    assert reasons["absent.xml"].endswith("does not exist")
    assert all("\n" not in r for r in reasons.values())
