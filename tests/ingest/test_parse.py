from pathlib import Path

import pytest

from ingest.parse import html_to_text, parse_feed
from tests.ingest.server import items, rss


def test_html_to_text() -> None:
    html = (
        "<p>Seoul  and\n<b>Tokyo</b></p><p>agree&nbsp;&amp; sign</p><script>var x = 1;</script>"
        "<style>p{}</style>"
    )
    assert html_to_text(html) == "Seoul and Tokyo agree & sign"
    assert html_to_text("a<br/>b") == "a b"
    assert html_to_text("  plain\t text  ") == "plain text"
    assert html_to_text("&amp;amp;") == "&amp;"  # decoded exactly once


def test_titles_unescaped_once_and_summaries_cleaned() -> None:
    # XML decodes one level, the title's HTML one more: an escaped entity in the HTML survives as text.
    body = rss([{"title": "AT&amp;amp;T &lt;b&gt;deal&lt;/b&gt;", "guid": "1",
                 "description": "&lt;p&gt;Hello   &lt;i&gt;world&lt;/i&gt;&lt;/p&gt;"},
                {"title": "Q&amp;amp;amp;A", "guid": "2"}])  # fmt: skip
    parsed = parse_feed(body, {"Content-Type": "application/rss+xml"})
    assert parsed.entries[0].title == "AT&T deal"
    assert parsed.entries[1].title == "Q&amp;A"  # not decoded a second time
    assert parsed.entries[0].summary == "Hello world"
    assert not parsed.bozo


def test_atom_text_title_and_content() -> None:
    body = (
        b"<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom' xml:lang='ko'>"
        b"<title>t</title><id>urn:x</id><updated>2025-01-02T03:04:05Z</updated>"
        b"<entry><id>urn:e1</id><title type='text'>Fish &amp;amp; chips</title>"
        b"<link href='https://x.test/e1'/><updated>2025-01-02T03:04:05Z</updated>"
        b"<content type='html'>&lt;div&gt;Long  &lt;b&gt;body&lt;/b&gt;&lt;/div&gt;</content></entry></feed>"
    )
    e = parse_feed(body, {"content-type": "application/atom+xml"}).entries[0]
    assert e.title == "Fish &amp; chips"  # the XML decoded &amp;amp; once; plain text is not decoded again
    assert e.content == "Long body" and e.link == "https://x.test/e1" and e.language == "ko"
    assert e.published is not None and e.published.year == 2025 and e.published.tzinfo is not None


def test_ttl_language_and_headers_lowercased() -> None:
    parsed = parse_feed(
        rss(items(2), ttl=60), {"Content-Type": "application/rss+xml", "Content-Language": "fr"}
    )
    assert parsed.ttl_seconds == 3600 and parsed.language == "fr" and len(parsed.entries) == 2


def test_bozo_recorded_and_partial_entries_kept() -> None:
    broken = b"<rss version='2.0'><channel><title>x</title><item><title>First &amp; only</title>" \
             b"<link>https://x.test/1</link></item><item><title>Second</title><description>cut"  # fmt: skip
    parsed = parse_feed(broken, {"content-type": "application/rss+xml"})
    assert parsed.bozo and parsed.bozo_reason
    assert [e.title for e in parsed.entries][:1] == ["First & only"]
    assert len(parsed.entries) >= 1


def test_non_feed_inputs_do_not_raise() -> None:
    for body in (b"", b"\x00\xff\xfe garbage", b"<html><body><p>Not a feed</p></body></html>", b"{}"):
        parsed = parse_feed(body, {"content-type": "text/html"})
        assert parsed.entries == () or all(e.title or e.link or e.guid or e.summary for e in parsed.entries)


def test_entries_without_anything_are_dropped() -> None:
    body = rss([{"title": ""}, {"guid": "only-guid"}])
    parsed = parse_feed(body, {"content-type": "application/rss+xml"})
    assert [e.guid for e in parsed.entries] == ["only-guid"] and parsed.dropped == 1


def test_every_shared_feed_document_parses(shared_dir: Path) -> None:
    files = [p for p in sorted((shared_dir / "data" / "feeds").rglob("*")) if p.is_file()]
    if not files:
        pytest.skip("no feed documents under ../shared/data/feeds")
    entries = 0
    for path in files:
        parsed = parse_feed(path.read_bytes(), {"content-type": "application/xml"}, path.as_uri())
        entries += len(parsed.entries)
        for e in parsed.entries:
            assert "\n" not in e.title + e.summary + e.content and "  " not in e.title + e.summary
    real = [p for p in files if "real-news" in p.parts and p.suffix in (".xml", ".rss", ".rdf")]
    for path in real:
        assert parse_feed(path.read_bytes()).entries, path.name
    assert len(files) > 100 and entries > 500


def test_guid_does_not_depend_on_the_feed_url_and_relative_links_resolve() -> None:
    body = rss([{"title": "x", "guid": "item-1", "link": "/news/1"}])
    a = parse_feed(body, {"content-type": "application/rss+xml"}, "https://a.test/feed").entries[0]
    b = parse_feed(body, {"content-type": "application/rss+xml"}, "https://b.test/rss").entries[0]
    assert a.guid == b.guid == "item-1"
    assert a.link == "https://a.test/news/1"
