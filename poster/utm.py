"""UTM tags on published links (CONTRACT §5)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

DEFAULT_CAMPAIGN = "metronome"


def tag(url: str, source: str, setting: bool | Mapping[str, Any] | None = True) -> str:
    """``url`` with utm_source/utm_medium/utm_campaign, unless the column's ``utm`` is false.

    ``setting`` is the column's ``utm`` setting: absent or true (tags with the defaults),
    false (no tags), or an object overriding ``campaign``, ``medium`` or ``source``.
    Existing utm_* parameters of the link are replaced; every other parameter and the
    fragment stay as they were.
    """
    if setting is False:
        return url
    options: Mapping[str, Any] = setting if isinstance(setting, Mapping) else {}
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return url
    tags = {
        "utm_source": str(options.get("source") or source),
        "utm_medium": str(options.get("medium") or "social"),
        "utm_campaign": str(options.get("campaign") or DEFAULT_CAMPAIGN),
    }
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in tags]
    query.extend(tags.items())
    return urlunsplit(parts._replace(query=urlencode(query)))
