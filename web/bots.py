"""Counted honestly: which requests for a tracked link are a person clicking it.

Every link a network shows is fetched by its preview bot the moment it is posted (Telegram,
Facebook, X, VK, Slack, Discord, WhatsApp…) and later by crawlers; browsers may prefetch it.
None of those is a reader. What is left is counted as a click; nothing about the person is
kept but the referring site's domain (CONTRACT §11).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
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
_NAMED_RE = re.compile("|".join(re.escape(name) for name in _NAMED), re.IGNORECASE)
# Anything naming itself a bot (a word ending in "bot": Applebot, LinkedInBot, "bot/1.0"), a
# crawler or spider, or giving a contact URL ("+https://…"), which only crawlers do.
_SELF_NAMED = re.compile(r"bot\b|crawl|spider|\+https?://", re.IGNORECASE)
# Phones whose model name ends in "bot" (Android puts the model in the User-Agent).
_NOT_BOTS = re.compile(r"\bcubot\b", re.IGNORECASE)
_DOMAIN = re.compile(r"[a-z0-9][a-z0-9.-]*")
MAX_DOMAIN = 253


def is_bot(user_agent: str | None) -> bool:
    """Whether a User-Agent is a link-preview fetcher, a crawler or a script; a request that
    names no agent at all is one too (every browser sends one)."""
    if not user_agent or not user_agent.strip():
        return True
    if _NAMED_RE.search(user_agent):
        return True
    if _NOT_BOTS.search(user_agent):
        user_agent = _NOT_BOTS.sub("", user_agent)
    return _SELF_NAMED.search(user_agent) is not None


def is_prefetch(headers: Mapping[str, str]) -> bool:
    """A browser fetching ahead of a click that may never come (Sec-Purpose / Purpose)."""
    purpose = headers.get("sec-purpose") or headers.get("purpose") or headers.get("x-moz") or ""
    return "prefetch" in purpose.lower() or "preview" in purpose.lower()


def counts(method: str, headers: Mapping[str, str]) -> bool:
    """Whether this request for a tracked link is a click to count."""
    return method == "GET" and not is_bot(headers.get("user-agent")) and not is_prefetch(headers)


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
