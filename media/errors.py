"""The media store's exceptions: a small hierarchy, each message saying what was expected."""

from __future__ import annotations


class MediaError(Exception):
    """The media store could not do what was asked."""


class MediaSettingError(MediaError, ValueError):
    """A media setting has a value we cannot use; the message names the setting."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.reason = message


class MediaRefused(MediaError, ValueError):
    """The file is not one we store: the message says why; ``status`` is the HTTP answer."""

    def __init__(self, message: str, status: int = 415) -> None:
        super().__init__(message)
        self.status = status


class MediaMissing(MediaError, LookupError):
    """A media row whose bytes cannot be read back (its file or its backend is gone)."""
