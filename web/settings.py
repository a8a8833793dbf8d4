"""Settings from the environment (and an optional .env file), checked once at start."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from fetching.policy import IPNetwork, parse_allow


class SettingError(Exception):
    """A setting has a value we cannot use; the message names the setting."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name


@dataclass(frozen=True)
class Settings:
    database_url: str | None
    data_dir: Path
    secret_key: str
    allowed_origins: tuple[str, ...]  # empty: the served origin only
    min_interval_s: int
    min_lead_s: float
    admin_email: str | None = None
    admin_password: str | None = None
    # Commands a connection may send per second (burst = 2x); a flood beyond is refused.
    ws_rate: float = 20.0
    # Where the board is reached from outside, without a trailing slash: tracked links
    # (CONTRACT §11) are this + /l/<code>. None: links are published as they are.
    public_url: str | None = None
    # Loopback, link-local and private networks feeds and media downloads may reach.
    fetch_allow: tuple[IPNetwork, ...] = ()
    # METRONOME_TRUSTED_PROXIES: the reverse proxies whose X-Forwarded-For / -Proto is
    # believed (default none: the connecting address is the client, whatever headers say).
    trusted_proxies: tuple[IPNetwork, ...] = ()
    # The nightly backup's time of day (UTC; None: off) and how many are kept.
    backup_at: time | None = None
    backup_keep: int = 7
    # Extra environment for subsystems that read their own settings (media, AI, feeds).
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def embedded(self) -> bool:
        return self.database_url is None


def read_dotenv(path: Path) -> dict[str, str]:
    """KEY=VALUE lines; '#' comments; optional quotes. The process environment wins."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :]
        key, sep, value = line.partition("=")
        if not sep:
            raise SettingError(f"{path}:{number}", f"expected KEY=VALUE, got {raw!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


# A card that an editor's change makes due waits this long (CONTRACT §1): a card dropped into an
# idle column, or passing through a due one on its way elsewhere, must not go out by surprise.
DEFAULT_MIN_LEAD_S = 30.0


def _number(env: Mapping[str, str], name: str, default: float, minimum: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingError(name, f"expected a number, got {raw!r}") from None
    if value < minimum:
        raise SettingError(name, f"expected at least {minimum:g}, got {raw!r}")
    return value


def _database_url(raw: str | None) -> str | None:
    if not raw:
        return None
    try:
        url = make_url(raw)
    except ArgumentError:
        raise SettingError("DATABASE_URL", f"not a database URL: {raw!r}") from None
    if url.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        url = url.set(drivername="postgresql+asyncpg")
    if url.drivername != "postgresql+asyncpg":
        raise SettingError(
            "DATABASE_URL", f"expected a postgresql+asyncpg:// URL, got scheme {url.drivername!r}"
        )
    return url.render_as_string(hide_password=False)


def _origins(raw: str | None) -> tuple[str, ...]:
    if not raw:
        return ()
    origins = []
    for item in raw.split(","):
        origin = item.strip().rstrip("/")
        if not origin:
            continue
        if not origin.startswith(("http://", "https://")) or origin.count("/") != 2:
            raise SettingError(
                "METRONOME_ALLOWED_ORIGINS",
                f"expected origins like https://board.example.org, got {item.strip()!r}",
            )
        origins.append(origin)
    return tuple(origins)


def _public_url(raw: str | None) -> str | None:
    if not raw or not raw.strip():
        return None
    value = raw.strip().rstrip("/")
    parts = urlsplit(value)
    bad = parts.query or parts.fragment or any(c.isspace() for c in value)
    if parts.scheme not in ("http", "https") or not parts.hostname or bad:
        raise SettingError(
            "METRONOME_PUBLIC_URL",
            f"expected the board's address like https://board.example.org, got {raw.strip()!r}",
        )
    return value


def _fetch_allow(raw: str | None) -> tuple[IPNetwork, ...]:
    try:
        return parse_allow(raw)
    except ValueError as exc:
        raise SettingError("METRONOME_FETCH_ALLOW", str(exc)) from None


def _trusted_proxies(raw: str | None) -> tuple[IPNetwork, ...]:
    try:
        return parse_allow(raw)
    except ValueError as exc:
        raise SettingError("METRONOME_TRUSTED_PROXIES", str(exc)) from None


def _backup_at(raw: str | None, embedded: bool) -> time | None:
    """HH:MM (UTC), or "off"; by default 03:00 for the embedded database, off for a server."""
    if raw is None or raw == "":
        return time(3, 0) if embedded else None
    if raw.strip().lower() == "off":
        return None
    found = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", raw.strip(), re.ASCII)
    if found is None:
        raise SettingError(
            "METRONOME_BACKUP_AT", f"expected a time of day as HH:MM (UTC) or off, got {raw!r}"
        )
    return time(int(found[1]), int(found[2]))


def _secret_key(env: Mapping[str, str], data_dir: Path) -> str:
    key = env.get("METRONOME_SECRET_KEY")
    if key:
        if len(key) < 16:
            raise SettingError("METRONOME_SECRET_KEY", "expected at least 16 characters")
        return key
    # No key given: keep a generated one beside the data so secrets stay readable across
    # restarts. Several instances on one database must share METRONOME_SECRET_KEY instead.
    path = data_dir / "secret_key"
    if path.is_file():
        return path.read_text().strip()
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(32)
        path.write_text(key)
        path.chmod(0o600)
    except OSError as exc:
        raise SettingError("METRONOME_DATA_DIR", f"cannot write {path}: {exc.strerror}") from None
    return key


def load(environ: Mapping[str, str] | None = None, *, cwd: Path | None = None) -> Settings:
    """Read settings: the process environment over ./.env over defaults."""
    base = dict(read_dotenv((cwd or Path.cwd()) / ".env"))
    base.update(environ if environ is not None else os.environ)
    env = base
    data_dir = Path(env.get("METRONOME_DATA_DIR") or "./.metronome").expanduser().resolve()
    if data_dir.exists() and not data_dir.is_dir():
        raise SettingError("METRONOME_DATA_DIR", f"{data_dir} exists and is not a directory")
    database_url = _database_url(env.get("DATABASE_URL"))
    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        secret_key=_secret_key(env, data_dir),
        allowed_origins=_origins(env.get("METRONOME_ALLOWED_ORIGINS")),
        min_interval_s=int(_number(env, "METRONOME_MIN_INTERVAL_S", 60, 1)),
        min_lead_s=_number(env, "METRONOME_MIN_LEAD_S", DEFAULT_MIN_LEAD_S, 0),
        admin_email=env.get("METRONOME_ADMIN_EMAIL") or None,
        admin_password=env.get("METRONOME_ADMIN_PASSWORD") or None,
        ws_rate=_number(env, "METRONOME_WS_RATE", 20, 1),
        public_url=_public_url(env.get("METRONOME_PUBLIC_URL")),
        fetch_allow=_fetch_allow(env.get("METRONOME_FETCH_ALLOW")),
        trusted_proxies=_trusted_proxies(env.get("METRONOME_TRUSTED_PROXIES")),
        backup_at=_backup_at(env.get("METRONOME_BACKUP_AT"), database_url is None),
        backup_keep=int(_number(env, "METRONOME_BACKUP_KEEP", 7, 1)),
        extra={k: v for k, v in env.items() if k.startswith("METRONOME_")},
    )
