"""Token health: what an adapter says of its column's credentials (poster/tokens.py asks).

Adapters whose tokens expire or rotate implement ``token_health``; the column's keeper calls
it at start and then as often as the answer asks (a day by default), stores ``expires_at``
for admins to see (``token_expires_at``) and writes ``renewed`` secrets back, encrypted.
An adapter that renews a token by itself while publishing (X, after a 401) hands the new
secrets to ``renewed`` so they are stored the same way before anything else uses them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

# The kinds whose adapters keep tokens (checked against the adapters by
# tests/test_token_health.py): the registry starts keepers for these alone, without importing
# every network's client library to ask.
KINDS = frozenset({"facebook", "instagram", "x", "youtube"})

# Stores renewed secrets: (the new secrets, the refresh token they were obtained with). The
# refresh token lets the store refuse a renewal that raced another one (or an admin's edit).
Renewed = Callable[[Mapping[str, str], str], Awaitable[None]]

# False while a column's watcher looks (poster/watcher.py): the column's token keeper alone
# renews its tokens, so a watcher never spends a rotating refresh token; an access token the
# network refuses there is an error for the watcher (the keeper is asked to check instead).
RENEW_ON_REFUSAL: ContextVar[bool] = ContextVar("renew_on_refusal", default=True)


@dataclass(frozen=True)
class TokenHealth:
    """One check of a column's credentials."""

    # When they stop working unless a person renews them; None: never, or the network won't say.
    expires_at: datetime | None = None
    # Secrets the network replaced (rotated tokens), to be stored encrypted with the column.
    renewed: Mapping[str, str] = field(default_factory=dict)
    # The refresh token ``renewed`` was obtained with ("" when nothing was renewed).
    renewed_from: str = ""
    # Seconds until the next check; None: the keeper's default (a day).
    check_again_s: float | None = None


@runtime_checkable
class KeepsTokens(Protocol):
    """An adapter whose credentials expire or rotate."""

    async def token_health(self) -> TokenHealth:
        """Check (and where the network allows, renew) the credentials; raise the typed
        errors: AuthRejected when they no longer work, so the column stops and says why."""
        ...
