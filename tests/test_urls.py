"""One check for every outgoing link that reaches the page (board/urls.py): http(s) only.
Issue 17 defect 7: a webhook answering {"url": "javascript:…"} planted a link on the board."""

from __future__ import annotations

import pytest

from board.urls import safe_meta, safe_url
from tests.support import Client
from tests.test_poster_webhook import hook


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.cookie)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.example/x",
        "/relative",
        "https://",
        "https://user:pass@evil.example/",
        "https://ok.example/\x00",
        "https://ok.example/a b",
        "http://[::1",
        "",
        None,
        42,
        "https://x.example/" + "a" * 5000,
    ],
)
def test_links_the_page_may_not_show(url: object) -> None:
    assert safe_url(url) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://t.me/channel/12",
        "http://mastodon.example/@news/1",
        "HTTPS://Example.org/a?b=c#d",
        "https://[2001:db8::1]:8443/p",
    ],
)
def test_links_the_page_shows(url: str) -> None:
    assert safe_url(url) == url


def test_a_refused_remote_url_leaves_the_rest_of_the_outcome() -> None:
    meta = {"remote_id": "7", "remote_url": "javascript:alert(1)"}
    assert safe_meta(meta) == {"remote_id": "7"}
    assert safe_meta({"remote_id": "7", "remote_url": "https://a.example/7"})["remote_url"]


async def test_a_webhook_answering_a_javascript_link_plants_nothing(admin: Client) -> None:
    """The network's answer `{"url": "javascript:…"}`: the card is sent (the network took
    it), with its remote id and no remote_url; an https answer is kept."""
    async with hook(admin) as (receiver, pid):
        receiver.script.append(
            (200, {}, {"id": "hook-1", "url": "javascript:alert(document.domain)"})
        )
        receiver.script.append((200, {}, {"id": "hook-2", "url": "https://hooks.example/2"}))
        # The column's interval is 1 s: each card goes out by itself.
        first = (await admin.ok("snippet.create", {"platform_id": pid, "body": "one"}))["id"]
        await admin.wait_for(lambda s: s["snippets"][str(first)]["status"] == "sent", timeout=15)
        second = (await admin.ok("snippet.create", {"platform_id": pid, "body": "two"}))["id"]
        await admin.wait_for(lambda s: s["snippets"][str(second)]["status"] == "sent", timeout=15)
    sent = admin.state["snippets"][str(first)]
    assert "remote_url" not in sent.get("meta", {}), sent
    assert admin.state["snippets"][str(second)]["meta"]["remote_url"] == "https://hooks.example/2"


def test_a_connection_checks_link_is_checked_too() -> None:
    """ "Check connection" shows the account's page as a link: a network's javascript: is
    left out of the answer."""
    from platforms.base import Identity
    from web.column_check import answer

    assert "url" not in answer(Identity(account="@bot", url="javascript:alert(1)"))
    assert answer(Identity(account="@bot", url="https://t.me/bot"))["url"] == "https://t.me/bot"
