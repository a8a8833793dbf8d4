"""The S3 backend (imported only when METRONOME_S3_BUCKET is set, and boto3 with it).

boto3 is synchronous, so every call runs in a thread; its client is thread-safe and built once.
Credentials come the usual AWS way (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile, an
instance role). Path-style addressing, so S3-compatible servers (MinIO, moto, Ceph) work too.
An object is read back as a seekable file (``ObjectReader``) that streams from the bucket, so
an upload to a network never holds the object nor waits for a copy on disk.
"""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any, BinaryIO

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from media.errors import MediaMissing

# A stalled S3 request fails instead of holding an upload or a publish forever.
CONNECT_TIMEOUT_S = 5
READ_TIMEOUT_S = 60
# Storing an upload: 4 parts of 8 MB in flight at most, so a gigabyte never takes more memory
# than that (boto3's default is 10 parts).
TRANSFER = TransferConfig(multipart_chunksize=8 * 1024 * 1024, max_concurrency=4)
# What a reader asks the bucket for at least at a time; callers read larger pieces anyway.
READ_BUFFER = 1024 * 1024


def _reason(exc: ClientError | BotoCoreError) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", exc))
    return str(exc)


class ObjectReader(io.RawIOBase):
    """An object as a seekable file. Reads from one position on stream one GET (from there to
    the end); a seek elsewhere starts another. Errors from S3 are OSErrors, as from a disk."""

    def __init__(self, client: Any, bucket: str, key: str, size: int) -> None:
        self.client, self.bucket, self.key, self.size = client, bucket, key, size
        self.gets = 0  # GET requests made: one per stretch of sequential reads
        self._pos = 0
        self._body: Any = None
        self._body_at = -1

    def __repr__(self) -> str:
        return f"<ObjectReader s3://{self.bucket}/{self.key}>"

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}[whence]
        if base + offset < 0:
            raise ValueError(f"negative seek position {base + offset}")
        self._pos = base + offset
        return self._pos

    def readinto(self, buffer: Any) -> int:
        want = min(len(buffer), self.size - self._pos)
        if want <= 0:
            return 0
        try:
            if self._body is None or self._body_at != self._pos:
                self._drop_body()
                answer = self.client.get_object(
                    Bucket=self.bucket, Key=self.key, Range=f"bytes={self._pos}-"
                )
                self.gets += 1
                self._body, self._body_at = answer["Body"], self._pos
            data = self._body.read(want)
        except (ClientError, BotoCoreError) as exc:
            self._drop_body()
            raise OSError(f"s3://{self.bucket}/{self.key}: {_reason(exc)}") from None
        if not data:
            raise OSError(
                f"s3://{self.bucket}/{self.key} ended at byte {self._pos}, expected {self.size}"
            )
        buffer[: len(data)] = data
        self._pos += len(data)
        self._body_at += len(data)
        return len(data)

    def _drop_body(self) -> None:
        if self._body is not None:
            self._body.close()
            self._body = None

    def close(self) -> None:
        self._drop_body()
        super().close()


class ObjectSource:
    def __init__(self, client: Any, bucket: str, key: str, size: int) -> None:
        self.client, self.bucket, self.key, self.size = client, bucket, key, size

    def open(self) -> BinaryIO:
        return io.BufferedReader(
            ObjectReader(self.client, self.bucket, self.key, self.size), READ_BUFFER
        )


class S3Backend:
    name = "s3"

    def __init__(
        self, bucket: str, endpoint_url: str | None = None, region: str | None = None
    ) -> None:
        self.bucket = bucket
        self.endpoint_url = endpoint_url
        self.region = region
        self._client: Any = None
        self._lock = asyncio.Lock()

    def _make_client(self) -> Any:
        config = Config(
            s3={"addressing_style": "path"},
            signature_version="s3v4",
            connect_timeout=CONNECT_TIMEOUT_S,
            read_timeout=READ_TIMEOUT_S,
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
            client.upload_file(
                str(staged),
                self.bucket,
                key,
                ExtraArgs={"ContentType": content_type},
                Config=TRANSFER,
            )
            staged.unlink(missing_ok=True)

        await asyncio.to_thread(upload)

    async def source(self, key: str, size: int) -> ObjectSource:
        client = await self.client()
        try:
            await asyncio.to_thread(client.head_object, Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _reason(exc) in ("404", "NoSuchKey", "NotFound"):
                raise MediaMissing(f"s3://{self.bucket}/{key} does not exist") from None
            raise OSError(f"s3://{self.bucket}/{key}: {_reason(exc)}") from None
        except BotoCoreError as exc:  # the bucket cannot be reached: try again later
            raise OSError(f"s3://{self.bucket}/{key}: {_reason(exc)}") from None
        return ObjectSource(client, self.bucket, key, size)

    async def presign(self, key: str, ttl: int, content_type: str) -> str | None:
        client = await self.client()
        url: str = await asyncio.to_thread(
            client.generate_presigned_url,
            "get_object",
            Params={"Bucket": self.bucket, "Key": key, "ResponseContentType": content_type},
            ExpiresIn=ttl,
        )
        return url
