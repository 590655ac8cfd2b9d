"""Where attachments' bytes are kept: a local directory by default, an S3-compatible bucket when
`MESSAGING_S3_BUCKET` is set. Both are called outside any database transaction (an upload is
stored before its row is written; a download reads after its row was read). boto3 is synchronous,
so its calls run in a worker thread."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import BinaryIO, Protocol

import boto3
from botocore.config import Config

from messaging.config import Settings

CHUNK = 256 * 1024


class Storage(Protocol):
    async def put(self, key: str, source: BinaryIO, content_type: str) -> None: ...

    def read(self, key: str) -> AsyncIterator[bytes]: ...


class LocalStorage:
    def __init__(self, root: str) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / key

    async def put(self, key: str, source: BinaryIO, content_type: str) -> None:
        await asyncio.to_thread(self._put, key, source)

    def _put(self, key: str, source: BinaryIO) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        with partial.open("wb") as target:
            shutil.copyfileobj(source, target, CHUNK)
        partial.replace(path)  # whole or not at all

    async def read(self, key: str) -> AsyncIterator[bytes]:
        handle = await asyncio.to_thread(self._path(key).open, "rb")
        try:
            while chunk := await asyncio.to_thread(handle.read, CHUNK):
                yield chunk
        finally:
            handle.close()


class S3Storage:
    def __init__(
        self, bucket: str, *, endpoint_url: str | None, region: str, access_key_id: str | None = None, secret_access_key: str | None = None
    ) -> None:
        self.bucket = bucket
        self.client = boto3.client(
            "s3", endpoint_url=endpoint_url, region_name=region, aws_access_key_id=access_key_id, aws_secret_access_key=secret_access_key,
            config=Config(connect_timeout=2, read_timeout=10, retries={"max_attempts": 3, "mode": "standard"}),
        )

    async def put(self, key: str, source: BinaryIO, content_type: str) -> None:
        await asyncio.to_thread(self.client.upload_fileobj, source, self.bucket, key, ExtraArgs={"ContentType": content_type})

    async def read(self, key: str) -> AsyncIterator[bytes]:
        answer = await asyncio.to_thread(self.client.get_object, Bucket=self.bucket, Key=key)
        body = answer["Body"]
        try:
            while chunk := await asyncio.to_thread(body.read, CHUNK):
                yield chunk
        finally:
            body.close()


def storage_from(settings: Settings) -> Storage:
    if settings.s3_bucket:
        secret = settings.s3_secret_access_key.get_secret_value() if settings.s3_secret_access_key else None
        return S3Storage(
            settings.s3_bucket, endpoint_url=settings.s3_endpoint_url, region=settings.s3_region,
            access_key_id=settings.s3_access_key_id, secret_access_key=secret,
        )
    return LocalStorage(settings.attachments_dir)
