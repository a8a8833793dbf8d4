"""The one check of a URL that reaches the page as a link: http and https only.

A network's answer is not ours: a webhook may answer ``{"url": "javascript:…"}``, a Mastodon
or Graph permalink is whatever that server says. Such a value becomes ``meta.remote_url`` and
the page's "View the post" link, which an editor clicks signed in on the board's origin; so a
link is kept only when it is an absolute http(s) URL with a host, and nothing the page could
read otherwise (control characters, spaces, a user name hiding the real host).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

MAX_URL = 4096
SCHEMES = ("http", "https")


def safe_url(value: Any) -> str | None:
    """``value`` if it is a link the page may show, else None."""
    if not isinstance(value, str) or not value or len(value) > MAX_URL:
        return None
    # No trimming: what is stored is what was checked. Browsers drop tabs and newlines inside a
    # scheme ("java\tscript:"), and a space or control character has no business in a link.
    if any(ord(c) <= 0x20 or 0x7F <= ord(c) <= 0x9F for c in value):
        return None
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:  # an unbalanced [ in the host, a bad port
        return None
    if parts.scheme.lower() not in SCHEMES or not host or "@" in parts.netloc:
        return None
    return value


def safe_meta(meta: dict[str, Any]) -> dict[str, Any]:
    """A publish outcome's meta with a ``remote_url`` the page may not show left out."""
    if "remote_url" in meta and safe_url(meta["remote_url"]) is None:
        return {k: v for k, v in meta.items() if k != "remote_url"}
    return meta
