"""The sign-in throttle: a guesser is slowed, everyone else signs in.

Wrong passwords are counted three ways (in memory, per instance), each with its own answer:

- **One address, one account** (``PAIR_FAILURES`` in ``PAIR_WINDOW``): that address may not
  try that account again until the oldest failure ages out (429, the password unchecked). A
  guesser gets ten tries per five minutes per account; colleagues behind the same office NAT
  signing in to their own accounts are not touched.
- **One account, any address** (``ACCOUNT_FAILURES`` in ``ACCOUNT_WINDOW``: guessing spread
  over many addresses): the account is locked to addresses it has not signed in from
  recently. An address the account signed in from in the last ``KNOWN_FOR`` keeps working,
  so the newsroom's own office is not locked out by someone guessing from elsewhere.
- **One address, many accounts** (``SPRAY_ACCOUNTS`` distinct accounts, or ``SPRAY_FAILURES``
  wrong passwords, in ``ACCOUNT_WINDOW``: password spraying): only then is the address itself
  refused, for every account. A few mistyped passwords from a shared NAT never get there.

A right password clears its (address, account) failures. The address is the connecting one,
or the client a trusted proxy names (METRONOME_TRUSTED_PROXIES, web/cli.py proxy_options).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

PAIR_FAILURES = 10
PAIR_WINDOW = 300.0
ACCOUNT_FAILURES = 30
ACCOUNT_WINDOW = 900.0
SPRAY_ACCOUNTS = 20
SPRAY_FAILURES = 100
KNOWN_FOR = 30 * 86400.0
# Keys kept per table: an attacker cycling addresses or e-mails cannot grow memory without
# bound (the oldest keys go first).
MAX_KEYS = 100_000


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str = ""


class _Window:
    """Timestamps per key within a window, bounded in keys."""

    def __init__(self, window: float) -> None:
        self.window = window
        self.stamps: dict[object, deque[float]] = {}

    def count(self, key: object, now: float) -> int:
        stamps = self.stamps.get(key)
        if stamps is None:
            return 0
        while stamps and stamps[0] <= now - self.window:
            stamps.popleft()
        if not stamps:
            del self.stamps[key]
            return 0
        return len(stamps)

    def add(self, key: object, now: float) -> None:
        stamps = self.stamps.pop(key, None) or deque()
        stamps.append(now)
        self.stamps[key] = stamps  # most recent last: the oldest keys are dropped first
        while len(self.stamps) > MAX_KEYS:
            del self.stamps[next(iter(self.stamps))]

    def clear(self, key: object) -> None:
        self.stamps.pop(key, None)


class LoginThrottle:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.pairs = _Window(PAIR_WINDOW)
        self.accounts = _Window(ACCOUNT_WINDOW)
        self.addresses = _Window(ACCOUNT_WINDOW)
        # (address, account) pairs failing within the window: distinct accounts per address.
        self.sprayed: dict[str, dict[str, float]] = {}
        # account -> address -> when it last signed in from there.
        self.known: dict[str, dict[str, float]] = {}

    @staticmethod
    def account(email: str) -> str:
        return email.strip().lower()

    def check(self, address: str, email: str) -> Verdict:
        """May this address try this account now? (Asked before the password is checked.)"""
        now = self.clock()
        account = self.account(email)
        if self._accounts_tried(address, now) >= SPRAY_ACCOUNTS or (
            self.addresses.count(address, now) >= SPRAY_FAILURES
        ):
            return Verdict(False, "too many failed sign-ins from this address")
        if self.pairs.count((address, account), now) >= PAIR_FAILURES:
            return Verdict(False, "too many failed sign-ins for this account from here")
        if self.accounts.count(account, now) >= ACCOUNT_FAILURES and not self._known(
            account, address, now
        ):
            return Verdict(False, "too many failed sign-ins for this account")
        return Verdict(True)

    def failed(self, address: str, email: str) -> None:
        now = self.clock()
        account = self.account(email)
        self.pairs.add((address, account), now)
        self.accounts.add(account, now)
        self.addresses.add(address, now)
        tried = self.sprayed.pop(address, None) or {}
        tried[account] = now
        self.sprayed[address] = tried
        while len(self.sprayed) > MAX_KEYS:
            del self.sprayed[next(iter(self.sprayed))]

    def succeeded(self, address: str, email: str) -> None:
        now = self.clock()
        account = self.account(email)
        self.pairs.clear((address, account))
        seen = self.known.pop(account, None) or {}
        seen[address] = now
        if len(seen) > 100:  # an account's own places: a handful; keep the recent ones
            for old in sorted(seen, key=seen.__getitem__)[: len(seen) - 100]:
                del seen[old]
        self.known[account] = seen
        while len(self.known) > MAX_KEYS:
            del self.known[next(iter(self.known))]

    def _accounts_tried(self, address: str, now: float) -> int:
        tried = self.sprayed.get(address)
        if not tried:
            return 0
        for account in [a for a, at in tried.items() if at <= now - ACCOUNT_WINDOW]:
            del tried[account]
        return len(tried)

    def _known(self, account: str, address: str, now: float) -> bool:
        at = self.known.get(account, {}).get(address)
        return at is not None and at > now - KNOWN_FOR
