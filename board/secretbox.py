"""Column secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256) under a key from the app's secret."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping

import orjson
from cryptography.fernet import Fernet, InvalidToken


class SecretBox:
    def __init__(self, secret_key: str) -> None:
        # Derive a separate key so the app secret is never used directly as a cipher key.
        digest = hashlib.sha256(b"metronome/secrets/v1\0" + secret_key.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    def seal(self, values: Mapping[str, str]) -> bytes:
        return self._fernet.encrypt(orjson.dumps(dict(values)))

    def open(self, token: bytes | None) -> dict[str, str]:
        if not token:
            return {}
        try:
            values: dict[str, str] = orjson.loads(self._fernet.decrypt(bytes(token)))
        except InvalidToken:
            raise ValueError(
                "column secrets cannot be decrypted: METRONOME_SECRET_KEY differs from the one "
                "they were saved with"
            ) from None
        return values
