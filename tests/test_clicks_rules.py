"""Who counts as a click (web/bots.py), the in-memory counter (web/clickcount.py), tracked
link codes (board/links.py) and METRONOME_PUBLIC_URL: without a server around them."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest

from board import links, publishing
from board.clicks import Key
from poster.compose import compose
from tests import db
from web import bots
from web.clickcount import MAX_KEYS, ClickCounter
from web.settings import SettingError, load

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/124.0.0.0 Safari/537.36"
)


# CONTRACT §11's list, as those fetchers introduce themselves.
BOTS = [
    "TelegramBot (like TwitterBot)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Facebot",
    "Twitterbot/1.0",
    "Mozilla/5.0 (compatible; vkShare; +http://vk.com/dev/Share)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "WhatsApp/2.23.20.0 A",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
]


@pytest.mark.parametrize(
    "agent",
    [
        *BOTS,
        "Slackbot 1.0 (+https://api.slack.com/robots)",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1)"
        " Chrome/120.0 Safari/537.36",
        # Anything naming itself a bot, a crawler or a spider, or giving a contact URL.
        "Mozilla/5.0 (compatible; YandexBot/3.0)",
        "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
        "Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 (KHTML, like Gecko) Applebot/0.1",
        "SomeNewsBot",
        "bot",
        "my-crawler/2.0",
        "Baiduspider-render/2.0",
        "http.rb/5.1.1 (Mastodon/4.2.1; +https://mastodon.social/)",
        "Bluesky Cardyb/1.1",
        # Scripts and automation, and a request that names no agent.
        "curl/8.5.0",
        "python-httpx/0.28.1",
        "Go-http-client/1.1",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/124.0 Safari/537.36",
        "",
        None,
    ],
)
def test_fetchers_and_crawlers_are_bots(agent: str | None) -> None:
    """Each preview fetcher of CONTRACT §11, anything calling itself a bot, and scripts."""
    assert bots.is_bot(agent)
    headers = [(b"user-agent", agent.encode())] if agent is not None else []
    assert bots.click("GET", headers) is None


@pytest.mark.parametrize(
    "agent",
    [
        CHROME,
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15"
        " (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
        # In-app browsers of the networks we publish to are readers, not their preview bots.
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML,"
        " like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/460.0.0.38.109;FBBV/590000000]",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/UQ1A; wv) AppleWebKit/537.36 (KHTML,"
        " like Gecko) Version/4.0 Chrome/124.0 Mobile Safari/537.36 Telegram-Android/10.11.1",
        # A phone whose model name ends in "bot" is not one.
        "Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko)"
        " Chrome/120.0 Mobile Safari/537.36",
    ],
)
def test_browsers_are_readers(agent: str) -> None:
    """Browsers, in-app browsers included, are counted."""
    assert not bots.is_bot(agent)
    assert bots.click("GET", [(b"user-agent", agent.encode())]) == ""


def test_heads_and_prefetches_are_not_clicks() -> None:
    """A HEAD, and a browser's prefetch or prerender, fetch without a reader; a click keeps
    its referrer's domain."""
    agent = (b"user-agent", CHROME.encode())
    assert bots.click("HEAD", [agent]) is None
    for name, value in (
        (b"sec-purpose", b"prefetch"),
        (b"sec-purpose", b"prefetch;prerender"),
        (b"purpose", b"prefetch"),
        (b"x-moz", b"prefetch"),
    ):
        assert bots.click("GET", [agent, (name, value)]) is None, (name, value)
    assert bots.click("GET", [agent, (b"referer", b"https://t.me/news/7")]) == "t.me"


@pytest.mark.parametrize(
    ("referer", "domain"),
    [
        ("https://t.me/channel/12", "t.me"),
        ("https://www.facebook.com/", "facebook.com"),
        ("https://News.Example.ORG:8443/a?b=c", "news.example.org"),
        ("android-app://org.telegram.messenger/", "org.telegram.messenger"),
        ("", ""),
        (None, ""),
        ("not a url", ""),
        ("http://[::1]/", ""),
        ("https://" + "a" * 300 + ".example/", ""),
        ("http://[bad", ""),
    ],
)
def test_referrer_domain(referer: str | None, domain: str) -> None:
    """Only the referring site's domain is kept (no path, no query)."""
    assert bots.referrer_domain(referer) == domain


class Store:
    """A fake database behind the counter: stores batches by id, can be told to fail."""

    def __init__(self) -> None:
        self.totals: dict[Key, int] = {}
        self.ids: list[str] = []
        self.fail: list[BaseException | None] = []  # per call; "after" = fail once stored

    async def write(self, flush_id: str, counts: Mapping[Key, int]) -> bool:
        failure = self.fail.pop(0) if self.fail else None
        if isinstance(failure, ConnectionResetError):  # the commit went through, unheard
            self._store(flush_id, counts)
            raise failure
        if failure is not None:
            raise failure
        return self._store(flush_id, counts)

    def _store(self, flush_id: str, counts: Mapping[Key, int]) -> bool:
        if flush_id in self.ids:
            return False
        self.ids.append(flush_id)
        for key, n in counts.items():
            self.totals[key] = self.totals.get(key, 0) + n
        return True


NOW = datetime(2026, 11, 22, 10, 17, 5, tzinfo=UTC)
HOUR = NOW.replace(minute=0, second=0)


async def test_counts_are_kept_per_card_hour_and_referrer() -> None:
    """add() only counts; flush() stores every count once."""
    store = Store()
    counter = ClickCounter(store.write)
    for _ in range(3):
        counter.add(7, NOW, "t.me")
    counter.add(7, NOW.replace(hour=11), "")
    counter.add(8, NOW, "")
    assert store.ids == [] and counter.pending == 5
    assert await counter.flush()
    assert store.totals == {
        (7, HOUR, "t.me"): 3,
        (7, HOUR.replace(hour=11), ""): 1,
        (8, HOUR, ""): 1,
    }
    assert counter.pending == 0
    assert await counter.flush() and len(store.ids) == 1  # nothing new: no write


async def test_a_failed_flush_is_sent_again_under_its_id() -> None:
    """A flush that failed keeps its clicks; one whose commit went through unheard is sent
    again under the same id and counted once; clicks meanwhile are kept beside it."""
    store = Store()
    counter = ClickCounter(store.write)
    counter.add(1, NOW)
    store.fail = [OSError("database down")]
    assert not await counter.flush()
    assert store.totals == {} and counter.pending == 1
    counter.add(1, NOW)
    store.fail = [ConnectionResetError("lost during commit")]
    assert not await counter.flush()  # the first batch retried: stored, but unheard
    assert counter.pending == 2
    assert await counter.flush()  # the same id again (repeated), then the second click
    assert store.totals == {(1, HOUR, ""): 2}
    assert counter.pending == 0 and len(store.ids) == 2


async def test_too_many_referrers_are_counted_without_them() -> None:
    """Past MAX_KEYS distinct counts, a click with a new referrer keeps its card and hour."""
    store = Store()
    counter = ClickCounter(store.write)
    for n in range(MAX_KEYS):
        counter.add(n, NOW, "")
    counter.add(1, NOW, "spam.example")
    counter.add(1, NOW, "spam.example")
    assert counter.pending == MAX_KEYS + 2
    assert await counter.flush()
    assert store.totals[(1, HOUR, "")] == 3
    assert (1, HOUR, "spam.example") not in store.totals


async def test_run_flushes_on_its_interval_and_once_more_on_stop() -> None:
    """run() stores every interval; after stop() it stores what is left, then returns."""
    store = Store()
    counter = ClickCounter(store.write, interval=0.05)
    task = asyncio.create_task(counter.run())
    counter.add(1, NOW)
    for _ in range(100):
        await asyncio.sleep(0.01)
        if store.ids:
            break
    assert store.totals == {(1, HOUR, ""): 1}
    counter.add(2, NOW)
    counter.stop()
    await asyncio.wait_for(task, 5)
    assert store.totals[(2, HOUR, "")] == 1


def test_codes_are_short_and_hard_to_guess() -> None:
    """Eight letters or digits, drawn from the system's secure random source."""
    codes = {links.new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(c) == 8 and c.isascii() and c.isalnum() for c in codes)
    assert links.well_formed("Ab3dE6") and not links.well_formed("ab-cd-ef")
    assert not links.well_formed("abc") and not links.well_formed("a" * 17)


async def test_a_code_keeps_its_target(database_url: str) -> None:
    """A card keeps its code for one target; another target gets another code, and the first
    still leads where it led."""
    async with db.connect(database_url) as conn:
        pid = await conn.fetchval(
            "INSERT INTO platforms (kind, name, interval_s) VALUES ('log', 'x', 60) RETURNING id"
        )
        sid = await conn.fetchval(
            "INSERT INTO snippets (platform_id, ord, body) VALUES ($1, 1, 'b') RETURNING id", pid
        )
        first = await links.attach(conn, sid, "https://a.example/1")
        assert await links.attach(conn, sid, "https://a.example/1") == first
        second = await links.attach(conn, sid, "https://a.example/2")
        assert second != first
        old = await links.resolve(conn, first)
        assert old is not None and (old.snippet_id, old.target) == (sid, "https://a.example/1")
        assert await links.resolve(conn, "Nope1234") is None
        assert await conn.fetchval("SELECT clicks FROM snippets WHERE id = $1", sid) == 0


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://board.example.org/", "https://board.example.org"),
        ("http://127.0.0.1:8000/metronome", "http://127.0.0.1:8000/metronome"),
        ("", None),
    ],
)
def test_public_url(tmp_path: Path, raw: str, expected: str | None) -> None:
    env = {"METRONOME_DATA_DIR": str(tmp_path), "METRONOME_PUBLIC_URL": raw}
    assert load(env, cwd=tmp_path).public_url == expected


@pytest.mark.parametrize(
    "raw", ["board.example.org", "ftp://x.example", "https://x.example/?a=1", "https://x y"]
)
def test_a_bad_public_url_names_the_setting(tmp_path: Path, raw: str) -> None:
    env = {"METRONOME_DATA_DIR": str(tmp_path), "METRONOME_PUBLIC_URL": raw}
    with pytest.raises(SettingError, match="METRONOME_PUBLIC_URL"):
        load(env, cwd=tmp_path)


def test_a_tracked_link_replaces_the_tagged_url() -> None:
    """compose() puts the tracked link in the post's text and url, untagged (the redirect's
    target carries the tags)."""
    card = {
        "id": 3,
        "platform_id": 1,
        "body": "Storm",
        "url": "https://n.example/a",
        "meta": {},
        "material_title": None,
        "material_lead": None,
    }
    plain = compose(card, "telegram", {"utm": True})
    assert plain.url and plain.url.startswith("https://n.example/a?utm_source=telegram")
    tracked = compose(card, "telegram", {"track": True}, link="https://go.example/l/Abc12345")
    assert tracked.url == "https://go.example/l/Abc12345"
    assert tracked.text == "Storm\n\nhttps://go.example/l/Abc12345"


async def test_a_crashed_publish_keeps_its_tracked_link(database_url: str) -> None:
    """A card left `sending` by a crash is reconciled with the link it went out with."""
    async with db.connect(database_url) as conn:
        pid = await conn.fetchval(
            "INSERT INTO platforms (kind, name, interval_s) VALUES ('log', 'x', 60) RETURNING id"
        )
        sid = await conn.fetchval(
            "INSERT INTO snippets (platform_id, ord, body, url, status)"
            " VALUES ($1, 1, 'b', 'https://a.example/', 'sending') RETURNING id",
            pid,
        )
        code = await links.attach(conn, sid, "https://a.example/?utm_source=log")
        (stuck,) = await publishing.stuck_sending(conn, pid)
        assert stuck["link_code"] == code
