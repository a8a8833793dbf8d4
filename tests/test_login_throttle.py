"""The sign-in throttle (web/throttle.py), issue 17 defect 9: a guesser is slowed while the
right password from the same office NAT still signs in, and X-Forwarded-For is believed
only from the proxies METRONOME_TRUSTED_PROXIES names."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.support import PASSWORD, make_user, running_app
from web import throttle
from web.cli import proxy_options
from web.settings import SettingError, load
from web.throttle import LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_guesser_on_one_account_is_slowed_others_on_the_same_address_are_not() -> None:
    clock = Clock()
    gate = LoginThrottle(clock)
    for _ in range(throttle.PAIR_FAILURES):
        assert gate.check("10.0.0.1", "boss@example.org").allowed
        gate.failed("10.0.0.1", "boss@example.org")
    assert not gate.check("10.0.0.1", "boss@example.org").allowed
    assert not gate.check("10.0.0.1", "BOSS@example.org ").allowed  # one account, any case
    assert gate.check("10.0.0.1", "colleague@example.org").allowed  # the same NAT
    assert gate.check("10.0.0.2", "boss@example.org").allowed  # the boss from elsewhere
    clock.now += throttle.PAIR_WINDOW + 1
    assert gate.check("10.0.0.1", "boss@example.org").allowed


def test_guessing_from_many_addresses_locks_the_account_to_strangers_only() -> None:
    clock = Clock()
    gate = LoginThrottle(clock)
    gate.succeeded("192.0.2.10", "boss@example.org")  # the office, last week
    for i in range(throttle.ACCOUNT_FAILURES):
        gate.failed(f"198.51.100.{i}", "boss@example.org")
    assert not gate.check("203.0.113.9", "boss@example.org").allowed
    assert gate.check("192.0.2.10", "boss@example.org").allowed
    assert gate.check("203.0.113.9", "someone@example.org").allowed


def test_only_spraying_many_accounts_refuses_an_address() -> None:
    clock = Clock()
    gate = LoginThrottle(clock)
    for i in range(throttle.SPRAY_ACCOUNTS - 1):
        gate.failed("10.0.0.1", f"user{i}@example.org")
    assert gate.check("10.0.0.1", "fresh@example.org").allowed  # a busy NAT, not abuse
    gate.failed("10.0.0.1", "one-more@example.org")
    assert not gate.check("10.0.0.1", "fresh@example.org").allowed
    clock.now += throttle.ACCOUNT_WINDOW + 1
    assert gate.check("10.0.0.1", "fresh@example.org").allowed


def test_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(throttle, "MAX_KEYS", 50)
    gate = LoginThrottle(Clock())
    for i in range(500):
        gate.failed(f"10.0.{i // 256}.{i % 256}", f"u{i}@example.org")
    assert max(len(gate.pairs.stamps), len(gate.accounts.stamps), len(gate.sprayed)) <= 50


async def _post(http: httpx.AsyncClient, email: str, password: str, **headers: str) -> int:
    response = await http.post(
        "/api/login", json={"email": email, "password": password}, headers=headers
    )
    return response.status_code


async def test_the_right_password_still_signs_in_from_the_same_address(database_url: str) -> None:
    """Ten wrong guesses on one account from an address: that pair gets 429; a colleague on
    the same address signs in, and so does everyone after the guesser's account is hit."""
    async with running_app(database_url) as server:
        boss = await make_user(database_url, "editor")
        colleague = await make_user(database_url, "editor")
        async with httpx.AsyncClient(base_url=server.url) as http:
            codes = [await _post(http, boss, "wrong") for _ in range(throttle.PAIR_FAILURES + 2)]
            assert codes[: throttle.PAIR_FAILURES] == [401] * throttle.PAIR_FAILURES
            assert codes[-1] == 429
            assert await _post(http, boss, PASSWORD) == 429  # that pair waits
            assert await _post(http, colleague, PASSWORD) == 200
            assert await _post(http, colleague, "wrong") == 401


async def test_forwarded_for_is_ignored_without_trusted_proxies(database_url: str) -> None:
    """A rotating X-Forwarded-For from 127.0.0.1 does not get around the throttle (uvicorn
    believes it from 127.0.0.1 by default)."""
    async with running_app(database_url) as server:
        boss = await make_user(database_url, "editor")
        async with httpx.AsyncClient(base_url=server.url) as http:
            codes = [
                await _post(http, boss, "wrong", **{"X-Forwarded-For": f"203.0.113.{i}"})
                for i in range(throttle.PAIR_FAILURES + 2)
            ]
    assert codes[-1] == 429, codes


async def test_forwarded_for_is_believed_from_a_trusted_proxy(database_url: str) -> None:
    """With METRONOME_TRUSTED_PROXIES naming the proxy, each forwarded client is its own
    address: one client's guesses do not throttle another's."""
    async with running_app(database_url, METRONOME_TRUSTED_PROXIES="127.0.0.0/8") as server:
        boss = await make_user(database_url, "editor")
        async with httpx.AsyncClient(base_url=server.url) as http:
            guesser = {"X-Forwarded-For": "203.0.113.7"}
            for _ in range(throttle.PAIR_FAILURES):
                assert await _post(http, boss, "wrong", **guesser) == 401
            assert await _post(http, boss, "wrong", **guesser) == 429
            # The header's rightmost untrusted hop is the client: a forged left part is not.
            forged = {"X-Forwarded-For": "198.51.100.1, 203.0.113.7"}
            assert await _post(http, boss, PASSWORD, **forged) == 429
            assert await _post(http, boss, PASSWORD, **{"X-Forwarded-For": "192.0.2.5"}) == 200


def test_the_setting(tmp_path: Path) -> None:
    base = {"METRONOME_DATA_DIR": str(tmp_path), "METRONOME_SECRET_KEY": "k" * 32}
    assert proxy_options(load(base)) == {"proxy_headers": False}
    options = proxy_options(load({**base, "METRONOME_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.1"}))
    assert options == {"proxy_headers": True, "forwarded_allow_ips": ["10.0.0.0/8", "192.0.2.1/32"]}
    with pytest.raises(SettingError) as refused:
        load({**base, "METRONOME_TRUSTED_PROXIES": "10.0.0.0/33"})
    assert refused.value.name == "METRONOME_TRUSTED_PROXIES"


def test_the_setting_is_documented() -> None:
    root = Path(__file__).resolve().parent.parent
    assert "METRONOME_TRUSTED_PROXIES" in (root / "README.md").read_text()
    assert "METRONOME_TRUSTED_PROXIES" in (root / "docs" / "architecture.md").read_text()
