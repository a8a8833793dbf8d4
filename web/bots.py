"""Counted honestly: which requests for a tracked link are a person clicking it.

Every link a network shows is fetched by its preview bot the moment it is posted (Telegram,
Facebook, X, VK, Slack, Discord, WhatsApp…) and later by crawlers; browsers may prefetch it.
None of those is a reader. What is left is counted as a click; nothing about the person is
kept but the referring site's domain (CONTRACT §11).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

# Named in CONTRACT §11, then other fetchers of shared links that do not call themselves
# bots, and HTTP libraries (scripts and app back-ends, not readers).
_NAMED = (
    "telegrambot",
    "facebookexternalhit",
    "facebot",
    "twitterbot",
    "vkshare",
    "slackbot",
    "discordbot",
    "whatsapp",
    "googlebot",
    "bingbot",
    # Mastodon servers fetch every link a status carries; Bluesky's card service ("Cardyb").
    "mastodon",
    "cardyb",
    "embedly",
    "iframely",
    "preview",  # "Skype uri preview", "Google Web Preview", "Snap URL Preview Service"
    "yahoo! slurp",
    "headless",  # HeadlessChrome, PhantomJS's kin: automation, not a reader
    "lighthouse",
    "curl/",
    "wget/",
    "python-",
    "python/",
    "aiohttp",
    "httpx",
    "go-http-client",
    "java/",
    "okhttp",
    "libwww",
    "httpclient",
    "node-fetch",
    "axios/",
)
# Anything naming itself a bot (a word ending in "bot": Applebot, LinkedInBot, "bot/1.0"), a
# crawler or spider, or giving a contact URL ("+https://…"), which only crawlers do.
_SELF_NAMED = re.compile(r"bot\b|crawl|spider|\+https?://")
# Phones whose model name ends in "bot" (Android puts the model in the User-Agent).
_NOT_BOTS = re.compile(r"\bcubot\b")
_DOMAIN = re.compile(r"[a-z0-9][a-z0-9.-]*")
MAX_DOMAIN = 253


def is_bot(user_agent: str | None) -> bool:
    """Whether a User-Agent is a link-preview fetcher, a crawler or a script; a request that
    names no agent at all is one too (every browser sends one)."""
    return not user_agent or _judge(user_agent)


# Verdicts kept per User-Agent: readers come with a few hundred distinct ones, and a verdict
# looked up costs a dictionary read instead of ~40 substring searches (a fifth of a
# redirect's CPU). The least recently used go first (a client may send any string).
@functools.lru_cache(maxsize=4096)
def _judge(user_agent: str) -> bool:
    agent = user_agent.lower()
    if not agent.strip() or any(name in agent for name in _NAMED):
        return True
    return _SELF_NAMED.search(_NOT_BOTS.sub("", agent)) is not None


# Headers by which a browser says it fetches ahead of a click that may never come.
_PURPOSE = (b"sec-purpose", b"purpose", b"x-moz")


def click(method: str, headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """Whether a request for a tracked link is a click to count: None when it is not (a HEAD,
    a bot, a prefetch), else the referring site's domain ('' for none).

    ``headers`` are the request's raw ASGI headers (lower-case names), read in one pass: a
    redirect is ~150 µs of CPU, and each ``Headers.get`` is a scan of its own."""
    if method != "GET":
        return None
    agent = referer = b""
    for name, value in headers:
        if name == b"user-agent":
            agent = value
        elif name == b"referer":
            referer = value
        elif name in _PURPOSE:
            purpose = value.lower()
            if b"prefetch" in purpose or b"preview" in purpose:
                return None
    if is_bot(agent.decode("latin-1")):
        return None
    return referrer_domain(referer.decode("latin-1"))


# Kept per Referer as verdicts are per agent: most clicks come from a few pages.
@functools.lru_cache(maxsize=4096)
def referrer_domain(referer: str | None) -> str:
    """The referring site's domain (``www.`` dropped), or '' when there is none to trust."""
    if not referer:
        return ""
    try:
        host = urlsplit(referer.strip()).hostname
    except ValueError:
        return ""
    if not host:
        return ""
    host = host.rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    if len(host) > MAX_DOMAIN or not _DOMAIN.fullmatch(host):
        return ""
    return host
