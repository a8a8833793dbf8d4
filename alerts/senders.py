"""Delivering one alert to one target, through each kind's client library.

- telegram: the Bot API's sendMessage through aiogram, at the target's ``api_base`` (the
  telegram column's session and scrubbing: the token is in every URL);
- webhook: a JSON POST through fetching/'s guarded client (every hop checked against
  METRONOME_FETCH_ALLOW, as feeds are fetched), a 2xx is delivered;
- email: SMTP through aiosmtplib; each of host, port, user, from and tls comes from the
  target's settings, else from METRONOME_SMTP_* (the password: the target's secret, else
  METRONOME_SMTP_PASSWORD), so an operator sets the server once and admins add addresses.

A failure raises ``DeliveryFailed`` with a message fit for an admin's screen (no secret).
The caller bounds each attempt in time (alerter.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

import httpx

from alerts.words import Alert
from fetching.policy import AddressPolicy
from fetching.transport import describe, guarded_client

# One attempt's time: a webhook alert must land within 10 s of its event (CONTRACT §10).
ATTEMPT_S = 8.0
USER_AGENT = "Metronome alerts"
SUBJECT_LIMIT = 120


class DeliveryFailed(Exception):
    """The target did not take the alert; the message says why."""


class Senders:
    def __init__(self, policy: AddressPolicy, env: Mapping[str, str]) -> None:
        self.policy = policy
        self.env = env
        self._http: httpx.AsyncClient | None = None

    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = guarded_client(
                self.policy,
                timeout=httpx.Timeout(ATTEMPT_S),
                max_redirects=3,
                headers={"User-Agent": USER_AGENT},
            )
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()

    async def send(
        self, kind: str, settings: Mapping[str, Any], secrets: Mapping[str, str], alert: Alert
    ) -> None:
        if kind == "telegram":
            await telegram(settings, secrets, alert)
        elif kind == "webhook":
            await self.webhook(settings, alert)
        elif kind == "email":
            await self.email(settings, secrets, alert)
        else:
            raise DeliveryFailed(f"unknown kind of alert target {kind!r}")

    async def webhook(self, settings: Mapping[str, Any], alert: Alert) -> None:
        try:
            response = await self.http().post(str(settings["url"]), json=alert.payload())
        except Exception as exc:
            raise DeliveryFailed(describe(exc)) from None
        if not response.is_success:
            raise DeliveryFailed(f"the webhook answered HTTP {response.status_code}")

    def smtp(self, settings: Mapping[str, Any], secrets: Mapping[str, str]) -> dict[str, Any]:
        """Where and how an e-mail target's messages are sent: its settings over the env's."""

        def setting(key: str, env: str, default: Any = None) -> Any:
            value = settings.get(key)
            return value if value not in (None, "") else (self.env.get(env) or default)

        tls = setting("tls", "METRONOME_SMTP_TLS", "starttls")
        default_port = {"ssl": 465, "none": 25}.get(tls, 587)
        return {
            "hostname": setting("host", "METRONOME_SMTP_HOST"),
            "port": int(setting("port", "METRONOME_SMTP_PORT", default_port)),
            "username": setting("user", "METRONOME_SMTP_USER"),
            "password": secrets.get("password") or self.env.get("METRONOME_SMTP_PASSWORD"),
            "use_tls": tls == "ssl",
            # starttls: upgrade whenever the server offers it (aiosmtplib's own default).
            "start_tls": False if tls in ("ssl", "none") else None,
            "sender": setting("from", "METRONOME_SMTP_FROM", "metronome@localhost"),
        }

    async def email(
        self, settings: Mapping[str, Any], secrets: Mapping[str, str], alert: Alert
    ) -> None:
        import aiosmtplib

        smtp = self.smtp(settings, secrets)
        if not smtp["hostname"]:
            raise DeliveryFailed("no SMTP server: set the target's host or METRONOME_SMTP_HOST")
        message = EmailMessage()
        message["From"] = smtp["sender"]
        message["To"] = ", ".join(settings["to"])
        subject = alert.text if len(alert.text) <= SUBJECT_LIMIT else alert.text[:119] + "…"
        message["Subject"] = f"Metronome: {subject}"
        message.set_content(alert.message() + "\n")
        if not smtp["username"]:
            smtp["password"] = None  # no login without a user
        try:
            await aiosmtplib.send(
                message, recipients=list(settings["to"]), timeout=ATTEMPT_S, **smtp
            )
        except aiosmtplib.SMTPException as exc:
            raise DeliveryFailed(f"the SMTP server refused: {_scrub(str(exc), secrets)}") from None
        except (OSError, TimeoutError) as exc:
            raise DeliveryFailed(
                f"no SMTP answer from {smtp['hostname']}: {type(exc).__name__}"
            ) from None


async def telegram(settings: Mapping[str, Any], secrets: Mapping[str, str], alert: Alert) -> None:
    # Imported when a telegram target sends, off the loop (aiogram takes seconds to import):
    # the column's session and scrubbing.
    from platforms import load_class

    await load_class("telegram")
    from aiogram import Bot
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.exceptions import ClientDecodeError, TelegramAPIError
    from aiogram.types import LinkPreviewOptions
    from aiogram.utils.token import TokenValidationError

    from platforms.telegram import DEFAULT_API_BASE, ColumnSession, parse_chat_id, scrub

    token = secrets.get("bot_token", "")
    api_base = str(settings.get("api_base") or DEFAULT_API_BASE).rstrip("/")
    session = ColumnSession(api=TelegramAPIServer.from_base(api_base), timeout=ATTEMPT_S)
    try:
        bot = Bot(token, session=session)
        await bot.send_message(
            parse_chat_id(settings.get("chat_id", "")),
            alert.message(),
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )
    except TokenValidationError:
        raise DeliveryFailed("the bot token is malformed") from None
    except (TelegramAPIError, ClientDecodeError) as exc:
        raise DeliveryFailed(f"Telegram: {scrub(str(exc), token)}") from None
    finally:
        await session.close()


def _scrub(text: str, secrets: Mapping[str, str]) -> str:
    for value in secrets.values():
        if value:
            text = text.replace(value, "***")
    return text
