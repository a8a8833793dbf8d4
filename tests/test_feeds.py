"""RSS and Atom sources: parsing real-world shapes, polling a local feed server, 304s, failures, drafts."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from board import feedparse, feeds
from tests.fakes.feeds import ATOM, BROKEN, NOT_A_FEED, RDF, Doc, FeedServer, rss
from tests.fakes.server import serve
from tests.support import Client


def test_rss_with_namespaces_cdata_and_entities() -> None:
    """RSS 2.0: CDATA HTML becomes text, &nbsp; is read, media:content is the image, dates are UTC."""
    feed = feedparse.parse(rss(2))
    assert feed.title == "Новости & события"
    first = feed.items[0]
    assert first.title == "Выборы: новость 1" and first.link == "https://news.example/n/1"
    assert first.guid == "news-1" and first.summary == "Лид 1 подробнее"
    assert first.image_url == "https://cdn.example/news-1.jpg" and first.categories == ("Политика",)
    assert first.published_at == datetime(2026, 11, 22, 8, 1, tzinfo=UTC)


def test_atom_and_rdf() -> None:
    """Atom: alternate link, xhtml summary, an entry without a date; RSS 1.0: items beside the channel, dc:date."""
    atom = feedparse.parse(ATOM.encode())
    assert atom.title == "Blog news"
    ohio, undated = atom.items
    assert ohio.link == "https://blog.example/ohio" and ohio.summary == "Turnout was high"
    assert ohio.published_at == datetime(2026, 11, 22, 6, 30, tzinfo=UTC)
    assert ohio.image_url == "https://blog.example/ohio.png" and ohio.categories == ("politics",)
    assert undated.published_at is None and undated.summary == "No date at all"
    (item,) = feedparse.parse(RDF.encode()).items
    assert item.link == "https://old.example/1" and item.guid == "https://old.example/1"
    assert item.published_at == datetime(2026, 11, 21, 7, tzinfo=UTC) and item.categories == (
        "history",
    )


def test_legacy_encoding_and_odd_items() -> None:
    """A windows-1251 feed decodes; a guid that is a URL stands in for a missing link; bare items are skipped."""
    doc = (
        '<?xml version="1.0" encoding="windows-1251"?><rss><channel>'
        "<item><title>Снегопад</title><guid>https://x.example/1</guid>"
        "<pubDate>not a date</pubDate></item><item><title>nothing to know it by</title></item>"
        "</channel></rss>"
    ).encode("cp1251")
    (item,) = feedparse.parse(doc).items
    assert (
        item.title == "Снегопад"
        and item.link == "https://x.example/1"
        and item.published_at is None
    )


@pytest.mark.parametrize("body", [BROKEN, NOT_A_FEED, b"", b"<rss/>"])
def test_broken_documents_raise(body: bytes) -> None:
    """Broken XML, an HTML page, an empty answer and a channel-less rss are FeedErrors, not crashes."""
    with pytest.raises(feedparse.FeedError):
        feedparse.parse(body)


def bomb(levels: int = 9) -> bytes:
    """A billion laughs: each entity ten of the one before, ``&lol9;`` a billion of "lol"."""
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, levels + 1)
    ]
    return (
        f'<?xml version="1.0"?><!DOCTYPE rss [{"".join(entities)}]>'
        f"<rss><channel><title>&lol{levels};</title><item><link>https://a.example/1</link>"
        f"<title>&lol{levels};</title></item></channel></rss>"
    ).encode()


@pytest.mark.parametrize(
    "body",
    [
        bomb(),
        # Quadratic blowup: no nesting, one large entity referenced many times.
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "' + b"a" * 100_000 + b'">]><rss>'
        b"<channel><title>" + b"&a;" * 10_000 + b"</title></channel></rss>",
    ],
    ids=["billion-laughs", "quadratic"],
)
def test_entity_expansion_is_refused(body: bytes) -> None:
    """A feed declaring entities is refused at once with a clear FeedError, nothing expanded."""
    started = time.perf_counter()
    with pytest.raises(feedparse.FeedError, match=r"declares XML entities") as caught:
        feedparse.parse(body)
    assert time.perf_counter() - started < 1.0
    assert "lollol" not in str(caught.value) and "aaaa" not in str(caught.value)


async def test_external_entities_are_not_read(tmp_path: Path) -> None:
    """External entities, general or parameter, naming a local file or a URL: refused with a
    clear FeedError; the file's text appears nowhere and the URL is never asked for."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-MARKER")
    asked: list[bytes] = []

    async def record(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        asked.append(await reader.read(1000))
        writer.close()

    server = await asyncio.start_server(record, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/entity"
    item = "<item><link>https://a.example/1</link><title>&xxe;</title></item>"
    docs = [
        f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]><rss><channel>{item}</channel></rss>',
        f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "{url}">]><rss><channel>{item}</channel></rss>',
        f'<!DOCTYPE rss [<!ENTITY % p SYSTEM "{secret.as_uri()}"> %p;]><rss><channel/></rss>',
        f'<!DOCTYPE rss [<!ENTITY % p SYSTEM "{url}"> %p;]><rss><channel/></rss>',
    ]
    try:
        for doc in docs:
            with pytest.raises(feedparse.FeedError) as caught:
                feedparse.parse(f'<?xml version="1.0"?>{doc}'.encode())
            assert "declares XML entities" in str(caught.value), doc
            assert "TOP-SECRET-MARKER" not in str(caught.value)
        await asyncio.sleep(0.1)
        assert asked == [], "the parser fetched an external entity"
    finally:
        server.close()
        await server.wait_closed()


def test_a_doctype_alone_is_fine() -> None:
    """An RSS 0.91 feed with Netscape's DOCTYPE (no entities declared) parses as before."""
    doc = (
        b'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE rss PUBLIC "-//Netscape Communications//'
        b'DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">\n'
        b'<rss version="0.91"><channel><title>Old &amp; gold</title><item><title>One</title>'
        b"<link>https://old.example/1</link></item></channel></rss>"
    )
    feed = feedparse.parse(doc)
    assert feed.title == "Old & gold"
    assert [(i.title, i.link) for i in feed.items] == [("One", "https://old.example/1")]


@pytest.mark.parametrize(
    ("interval", "failures", "retry_after", "expected"),
    [
        (300, 0, None, 300),
        (300, 1, None, 60),
        (300, 2, None, 120),
        (300, 3, None, 240),
        (300, 40, None, feeds.MAX_BACKOFF_S),
        (10, 1, None, 10),
        (10, 3, None, 40),
        (86400, 40, None, 86400),
        (300, 1, 600, 600),
    ],
)
def test_backoff(interval: int, failures: int, retry_after: float | None, expected: float) -> None:
    """Healthy: the interval; failing: from min(interval, 60 s), doubling, capped; Retry-After wins."""
    assert feeds.next_delay(interval, failures, retry_after) == expected


def feed(client: Client, feed_id: int) -> dict[str, Any] | None:
    item: dict[str, Any] | None = client.state.get("feeds", {}).get(str(feed_id))
    return item


def materials_from(client: Client, feed_id: int) -> list[dict[str, Any]]:
    return [m for m in client.state.get("materials", {}).values() if m.get("feed_id") == feed_id]


async def test_poll_store_and_conditional_requests(admin: Client) -> None:
    """Items become materials once; the next poll sends If-None-Match and a 304 adds nothing."""
    fake = FeedServer({"rss.xml": Doc(rss(3))})
    async with serve(fake.app()) as base:
        fid = (
            await admin.ok(
                "feed.create", {"url": f"{base}/rss.xml", "interval_s": 1, "section": "news"}
            )
        )["id"]
        await admin.wait_for(lambda s: len(materials_from(admin, fid)) == 3)
        await admin.wait_for(lambda s: (feed(admin, fid) or {}).get("status") == "ok")
        assert feed(admin, fid)["title"] == "Новости & события"
        assert {m["section"] for m in materials_from(admin, fid)} == {"news"}
        await admin.wait_for(lambda s: any(r[3] == 304 for r in fake.hits("rss.xml")), timeout=6)
        conditional = next(r for r in fake.hits("rss.xml") if r[3] == 304)
        assert conditional[1] and conditional[2] == "Sun, 22 Nov 2026 09:00:00 GMT"
        fake.docs["rss.xml"] = Doc(rss(4))  # one new item, the others again
        await admin.wait_for(lambda s: len(materials_from(admin, fid)) == 4, timeout=6)
        found = await admin.ok("materials.search", {"q": "новость"})
        assert len(found["items"]) == 4


async def test_failing_feed_backs_off_without_stopping_others(admin: Client) -> None:
    """A 500 and a broken document show as failing with their error; a good feed beside them keeps working."""
    fake = FeedServer(
        {"bad": Doc(b"", status=500), "broken": Doc(BROKEN), "atom": Doc(ATOM.encode())}
    )
    async with serve(fake.app()) as base:
        bad = (await admin.ok("feed.create", {"url": f"{base}/bad", "interval_s": 1}))["id"]
        broken = (await admin.ok("feed.create", {"url": f"{base}/broken", "interval_s": 1}))["id"]
        good = (await admin.ok("feed.create", {"url": f"{base}/atom", "interval_s": 1}))["id"]
        await admin.wait_for(lambda s: len(materials_from(admin, good)) == 2)
        failing = await admin.wait_for(
            lambda s: (feed(admin, bad) or {}).get("failures", 0) >= 2 and feed(admin, bad),
            timeout=8,
        )
        assert failing["status"] == "failing" and "HTTP 500" in failing["error"]
        broken_state = await admin.wait_for(
            lambda s: (feed(admin, broken) or {}).get("status") == "failing" and feed(admin, broken)
        )
        assert "not well-formed" in broken_state["error"]
        assert feed(admin, good)["status"] == "ok"
        polled = datetime.fromisoformat(failing["last_polled_at"].replace("Z", "+00:00"))
        due = datetime.fromisoformat(failing["next_poll_at"].replace("Z", "+00:00"))
        assert (due - polled).total_seconds() == pytest.approx(
            feeds.next_delay(1, failing["failures"]), abs=0.01
        )
        fake.docs["bad"] = Doc(rss(1))  # it recovers
        await admin.wait_for(lambda s: (feed(admin, bad) or {}).get("status") == "ok", timeout=10)
        assert "error" not in feed(admin, bad) and feed(admin, bad).get("failures") == 0


async def test_new_items_drop_into_drafts(admin: Client) -> None:
    """A feed set to a drafts inbox puts a card per new item there, the newest on top; the same link elsewhere is not repeated."""
    inbox = (
        await admin.ok("platform.create", {"kind": "drafts", "name": "Inbox", "settings": {}})
    )["id"]
    fake = FeedServer(
        {"a": Doc(rss(2)), "b": Doc(rss(2, guid="syndicated"))}
    )  # b: same links, own guids
    async with serve(fake.app()) as base:
        fid = (
            await admin.ok(
                "feed.create", {"url": f"{base}/a", "interval_s": 1, "drafts_platform_id": inbox}
            )
        )["id"]
        await admin.wait_for(lambda s: len(admin.queue(inbox)) == 2)
        cards = [admin.card(i) for i in admin.queue(inbox)]
        assert [c["body"] for c in cards] == ["Выборы: новость 2", "Выборы: новость 1"]
        assert all(
            c["material_id"] and c["url"].startswith("https://news.example/n/") for c in cards
        )
        other = (
            await admin.ok(
                "feed.create", {"url": f"{base}/b", "interval_s": 1, "drafts_platform_id": inbox}
            )
        )["id"]
        await admin.wait_for(lambda s: (feed(admin, other) or {}).get("status") == "ok")
        assert len(admin.queue(inbox)) == 2 and not materials_from(admin, other)
        assert len(materials_from(admin, fid)) == 2


async def test_feed_ops_check_their_args(admin: Client, editor: Client) -> None:
    """Feeds are the admin's; a duplicate URL is a conflict, a non-inbox column a bad request; delete leaves the state."""
    network = (
        await admin.ok(
            "platform.create", {"kind": "log", "name": "Log", "interval_s": 60, "settings": {}}
        )
    )["id"]
    url = "http://127.0.0.1:9/feed.xml"
    assert await editor.fails("feed.create", {"url": url, "interval_s": 60}) == "forbidden"
    assert (
        await admin.fails("feed.create", {"url": "ftp://x/feed", "interval_s": 60}) == "bad_request"
    )
    assert (
        await admin.fails(
            "feed.create", {"url": url, "interval_s": 60, "drafts_platform_id": network}
        )
        == "bad_request"
    )
    fid = (await admin.ok("feed.create", {"url": url, "interval_s": 60}))["id"]
    assert await admin.fails("feed.create", {"url": url, "interval_s": 60}) == "conflict"
    await admin.ok("feed.update", {"id": fid, "interval_s": 120, "section": "world"})
    await admin.wait_for(lambda s: (feed(admin, fid) or {}).get("interval_s") == 120)
    assert feed(admin, fid)["section"] == "world"
    await editor.ok("feed.poll", {"id": fid})
    await admin.ok("feed.delete", {"id": fid})
    await admin.wait_for(lambda s: str(fid) not in s.get("feeds", {}))
    assert await admin.fails("feed.delete", {"id": fid}) == "not_found"
