from datetime import UTC, datetime

from ingest.dedup import keys_for, normalize_title, select_new
from ingest.parse import Entry


def entry(guid: str = "", link: str = "", title: str = "", summary: str = "") -> Entry:
    return Entry(guid, link, title, summary, "", datetime(2026, 1, 1, tzinfo=UTC), "en")


def test_normalize_title() -> None:
    assert normalize_title("  Seoul, Tokyo  AGREE!  ") == normalize_title("seoul tokyo agree")
    assert normalize_title("Ｋｏｒｅａ") == "korea"  # full-width forms fold


def test_keys_and_canonical() -> None:
    k = keys_for("feed", entry("g1", "https://x.test/a?utm_source=z", "Title"))
    assert k.guid == "g:feed:g1" and k.url == "u://x.test/a" and k.title and k.title.startswith("t:feed:")
    assert k.canonical == "//x.test/a"
    assert keys_for("feed", entry("g1")).canonical == "guid:feed:g1"
    assert keys_for("feed", entry(title="Only a title")).canonical == "title:feed:only a title"
    only_text = keys_for("feed", entry(summary="text"))
    assert only_text.all() and only_text.canonical.startswith("text:feed:")


def test_guid_then_url_then_title() -> None:
    known = set(keys_for("f", entry("g1", "https://x.test/1", "One")).all())
    same_guid = entry("g1", "https://x.test/other", "Other")
    same_url = entry("g2", "http://x.test/1/#c", "Changed title")
    same_title = entry("g3", "https://x.test/3", "ONE")
    fresh = entry("g4", "https://x.test/4", "Four")
    sel = select_new([(e, keys_for("f", e)) for e in (same_guid, same_url, same_title, fresh)], known)
    assert [e.guid for e, _ in sel.new] == ["g4"] and sel.duplicates == 3


def test_title_is_per_feed_and_batch_repeats_dedup() -> None:
    known = set(keys_for("f", entry("g1", "https://x.test/1", "One")).all())
    other_feed = entry("g9", "https://y.test/9", "One")
    assert len(select_new([(other_feed, keys_for("g", other_feed))], known).new) == 1
    twice = [entry("a", "https://z.test/1", "A"), entry("b", "https://z.test/1/", "B")]
    sel = select_new([(e, keys_for("f", e)) for e in twice], set())
    assert len(sel.new) == 1 and sel.duplicates == 1
