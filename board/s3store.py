"""The S3 backend of the media store (imported only when METRONOME_S3_BUCKET is set).

boto3 is synchronous, so every call runs in a thread; its client is thread-safe and built once.
Credentials come the usual AWS way (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile, an
instance role). Path-style addressing, so S3-compatible servers (MinIO, moto, Ceph) work too.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

from board.mediastore import MediaMissing

if TYPE_CHECKING:
    from board.mediastore import MediaSettings

# A stalled S3 request fails instead of holding an upload or a publish forever.
CONNECT_TIMEOUT_S = 5
READ_TIMEOUT_S = 60


class S3Backend:
    name = "s3"

    def __init__(self, settings: MediaSettings) -> None:
        assert settings.s3_bucket
        self.bucket = settings.s3_bucket
        self.endpoint_url = settings.s3_endpoint_url
        self.region = settings.s3_region
        self._client: Any = None
        self._lock = asyncio.Lock()

    def _make_client(self) -> Any:
        import boto3
        from botocore.config import Config

        config = Config(
            s3={"addressing_style": "path"}, signature_version="s3v4",
            connect_timeout=CONNECT_TIMEOUT_S, read_timeout=READ_TIMEOUT_S,
            retries={"max_attempts": 3, "mode": "standard"},
        )
        return boto3.session.Session().client(
            "s3", endpoint_url=self.endpoint_url, region_name=self.region, config=config
        )

    async def client(self) -> Any:
        # Building a client reads botocore's JSON models (~0.1 s): once, and off the loop.
        async with self._lock:
            if self._client is None:
                self._client = await asyncio.to_thread(self._make_client)
        return self._client

    async def put(self, key: str, staged: Path, content_type: str) -> None:
        client = await self.client()

        def upload() -> None:
            client.upload_file(str(staged), self.bucket, key, ExtraArgs={"ContentType": content_type})
            staged.unlink(missing_ok=True)

        await asyncio.to_thread(upload)

    async def fetch(self, key: str, dest: Path) -> None:
        from botocore.exceptions import ClientError

        client = await self.client()
        partial = dest.with_name(f"{dest.name}.{secrets.token_hex(4)}.part")
        try:
            await asyncio.to_thread(client.download_file, self.bucket, key, str(partial))
        except ClientError as exc:
            partial.unlink(missing_ok=True)
            raise MediaMissing(f"s3://{self.bucket}/{key}: {exc.response.get('Error', {}).get('Code', exc)}") from None
        os.replace(partial, dest)

    async def presign(self, key: str, ttl: int, content_type: str) -> str | None:
        client = await self.client()
        url: str = await asyncio.to_thread(
            client.generate_presigned_url, "get_object",
            Params={"Bucket": self.bucket, "Key": key, "ResponseContentType": content_type}, ExpiresIn=ttl,
        )
        return url
