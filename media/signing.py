"""The app's own media links for networks that fetch media themselves (Instagram, Facebook
photos): ``<METRONOME_PUBLIC_URL>/media/{id}?exp=…&sig=…``, an HMAC under a key derived from
METRONOME_SECRET_KEY, valid until ``exp``."""

from __future__ import annotations

import hashlib
import hmac

# Long enough for an Instagram container that waits in a busy queue, short enough that a
# leaked link soon dies.
PUBLIC_URL_TTL = 6 * 3600


class UrlSigner:
    def __init__(self, key: bytes, public_url: str | None) -> None:
        self.key = key
        self.public_url = public_url

    def sign(self, media_id: int, expires: int) -> str:
        message = f"{media_id}.{expires}".encode()
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()[:32]

    def verify(self, media_id: int, expires: str, signature: str, now: float) -> bool:
        """Whether ``?exp=expires&sig=signature`` is ours for this media and not expired at ``now``."""
        if not expires.isdigit() or int(expires) < now:
            return False
        return hmac.compare_digest(self.sign(media_id, int(expires)), signature)

    def signed_url(self, media_id: int, now: float, ttl: int = PUBLIC_URL_TTL) -> str | None:
        """A link that works without signing in until it expires; None without a public URL."""
        if not self.public_url:
            return None
        expires = int(now) + ttl
        return (
            f"{self.public_url}/media/{media_id}?exp={expires}&sig={self.sign(media_id, expires)}"
        )
