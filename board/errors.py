"""Command errors: each carries the protocol's error code; the message says what was wrong."""

from __future__ import annotations


class CommandError(Exception):
    """The command could not be carried out."""

    code = "internal"

    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        super().__init__(message or self.__doc__ or self.code)
        # The argument at fault, when one is (the reply's ``error.field``).
        self.field = field

    @property
    def message(self) -> str:
        return str(self.args[0])


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

    def __init__(self, message: str | None = None, **details: object) -> None:
        super().__init__(message)
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
