"""Command errors: each carries the protocol's error code; the message says what was wrong.

Beside the code and the message (CONTRACT §3), an error may say what it is about in a form the
page translates: `reason` (a short name such as "too_small", "stale_version") and `params`
(the numbers and names its words need), and `field` (the argument it refuses). The message
stays the server's own words for tools and logs; the page shows its words for the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class CommandError(Exception):
    """The command could not be carried out."""

    code = "internal"

    def __init__(
        self,
        message: str | None = None,
        *,
        reason: str | None = None,
        params: Mapping[str, Any] | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message or self.__doc__ or self.code)
        self.reason = reason
        self.params = dict(params or {})
        # The argument at fault, when one is (the reply's ``error.field``).
        self.field = field

    @property
    def message(self) -> str:
        return str(self.args[0])

    def extra(self) -> dict[str, Any]:
        """The error object's keys beyond code and message: field, reason, params (when set)."""
        out: dict[str, Any] = {}
        if self.field:
            out["field"] = self.field
        if self.reason:
            out["reason"] = self.reason
        if self.params:
            out["params"] = self.params
        return out


class BadRequest(CommandError):
    """The command's arguments are not what the op expects."""

    code = "bad_request"


class Unauthorized(CommandError):
    """Not signed in."""

    code = "unauthorized"


class Forbidden(CommandError):
    """Your role does not allow this."""

    code = "forbidden"


class NotFound(CommandError):
    """No such object."""

    code = "not_found"


class Conflict(CommandError):
    """The object changed since you last saw it."""

    code = "conflict"

    def __init__(
        self,
        message: str | None = None,
        *,
        reason: str | None = None,
        params: Mapping[str, Any] | None = None,
        **details: object,
    ) -> None:
        super().__init__(message, reason=reason, params=params)
        self.details = details


class RateLimited(CommandError):
    """Too many commands; slow down."""

    code = "rate_limited"


class Internal(CommandError):
    """Something went wrong on the server; nothing was changed."""

    code = "internal"


class Unavailable(CommandError):
    """The database is unreachable; nothing was changed, try again."""

    code = "unavailable"
