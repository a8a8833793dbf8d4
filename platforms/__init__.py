"""Network adapters, one module per kind, imported only when a column of that kind is used."""

from __future__ import annotations

import asyncio
import importlib
from typing import Any

from platforms.base import Adapter, InvalidSettings

# kind -> the module under platforms/ whose ``PLATFORM`` is its Adapter subclass.
KINDS: dict[str, str] = {
    "log": "platforms.log",
    "drafts": "platforms.drafts",
    "webhook": "platforms.webhook",
    "telegram": "platforms.telegram",
    "vk": "platforms.vk",
    "facebook": "platforms.facebook",
    "instagram": "platforms.instagram",
    "x": "platforms.x",
    "youtube": "platforms.youtube",
    "mastodon": "platforms.mastodon",
    "bluesky": "platforms.bluesky",
}


# Characters a post may hold, per kind, for the board's counter. Kept here so showing a
# column never imports its network's client library (aiogram alone takes seconds);
# tests/test_platforms_registry.py checks it matches each adapter's own text_limit.
TEXT_LIMITS: dict[str, int | None] = {
    "log": None,
    "drafts": None,
    "webhook": None,
    "telegram": 4096,
    "vk": 16384,
    "facebook": 63206,
    "instagram": 2200,
    "x": 280,
    "youtube": 5000,
    "mastodon": 500,
    "bluesky": 300,
}


class UnknownKind(ValueError):
    """No adapter for this platform kind."""


def adapter_class(kind: str) -> type[Adapter]:
    """The adapter class for ``kind``; its module is imported on first use."""
    module_name = KINDS.get(kind)
    if module_name is None:
        raise UnknownKind(f"unknown platform kind {kind!r}; expected one of {', '.join(KINDS)}")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            raise UnknownKind(f"platform kind {kind!r} is not available in this build") from exc
        raise
    cls: type[Adapter] = module.PLATFORM
    return cls


async def load_class(kind: str) -> type[Adapter]:
    """adapter_class for async code: a first import (seconds, for some client libraries)
    runs in a thread, so the event loop keeps serving every other column and client."""
    return await asyncio.to_thread(adapter_class, kind)


async def check_settings(kind: str, settings: dict[str, Any], secrets: dict[str, Any]) -> None:
    """A column's settings and secrets checked by its kind's adapter (the board's injected
    check: board/context.py BoardConfig); raises ValueError (UnknownKind, InvalidSettings)."""
    cls = await load_class(kind)
    if settings.get("watch") is True and not cls.watchable:
        # CONTRACT §9: only networks that let the account list its own posts are watched.
        raise InvalidSettings(
            "watch",
            f"a {kind} column cannot be watched: its network does not list the account's posts",
        )
    cls.validate(settings, secrets)


def text_limits() -> dict[str, int]:
    """The kinds whose networks limit a post's length, and their limits."""
    return {kind: limit for kind, limit in TEXT_LIMITS.items() if limit is not None}
