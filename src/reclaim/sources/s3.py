"""An S3-compatible bucket or prefix (``s3://bucket/prefix``) as a source: listed lazily, fetched by workers.

The listing is paged (1,000 keys a request) and resumes with ``StartAfter``, so a bucket of millions of
objects starts at once and a rerun skips ahead without listing what it finished. Items carry a
``RemoteObject``, not bytes: each hashing worker fetches its own objects (``fetch``), so on a cluster the
media never flows through the driver. Connection settings come from the standard AWS variables
(``AWS_ENDPOINT_URL`` for MinIO, Ceph, R2 or a local test server; credentials; ``AWS_DEFAULT_REGION``),
which boto3 reads on every worker alike. Needs ``pip install 'reclaim[s3]'``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from reclaim.errors import SourceError, TooLarge, UnreadableFile, UserError
from reclaim.media import Limits
from reclaim.models import MediaItem, RemoteObject, Skipped
from reclaim.sources.base import Source

SCHEME = "s3://"
PAGE_KEYS = 1000
READ_CHUNK = 1 << 20


def _client() -> Any:
    return _client_of_process(os.getpid())


@cache
def _client_of_process(pid: int) -> Any:
    """One client per process (thread-safe, costly to make); keyed by pid so a forked worker never reuses its
    parent's connections."""
    try:
        import boto3
    except ImportError:
        raise UserError("s3:// sources need boto3: pip install 'reclaim[s3]'") from None
    return boto3.client("s3")


def split(url: str) -> tuple[str, str]:
    """``s3://bucket/key`` → (bucket, key)."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise SourceError(f"{url}: not an s3://bucket[/prefix] address")
    return parts.netloc, parts.path.lstrip("/")


class S3Source(Source):
    name = "s3"

    @classmethod
    def claims(cls, target: str) -> bool:
        return target.startswith(SCHEME)

    def iter_items(self, resume_after: str | None = None) -> Iterator[MediaItem | Skipped]:
        """Every object under the prefix, in key order (S3 lists in UTF-8 byte order)."""
        from botocore.exceptions import BotoCoreError, ClientError

        bucket, prefix = split(self.target)
        request: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "MaxKeys": PAGE_KEYS}
        if resume_after:
            request["StartAfter"] = split(resume_after)[1]
        try:
            for page in _client().get_paginator("list_objects_v2").paginate(**request):
                for entry in page.get("Contents", []):
                    yield self._item(bucket, entry)
        except (BotoCoreError, ClientError) as exc:
            raise SourceError(f"{self.target}: cannot list the bucket ({exc})") from exc

    def _item(self, bucket: str, entry: dict[str, Any]) -> MediaItem | Skipped:
        url = f"{SCHEME}{bucket}/{entry['Key']}"
        if entry["Key"].endswith("/"):
            return Skipped(url, f"{url}: a folder marker, not a file", "not_a_file")
        modified = entry["LastModified"]
        remote = RemoteObject(url, int(entry["Size"]), int(modified.timestamp() * 1e9), entry.get("ETag", ""))
        where = {"bucket": bucket, "key": entry["Key"], "etag": remote.etag, "size": remote.size,
                 "last_modified": modified.isoformat()}
        context = {"source": "s3", "s3": where}
        return MediaItem(url, remote=remote, context=context)


def fetch(remote: RemoteObject, limits: Limits = Limits()) -> bytes:
    """The object's bytes, read in chunks and cut off at the limit (a listing's size can be stale). Objects are
    held in memory, so the cap is the in-memory one (``max_file_bytes``), videos included."""
    from botocore.exceptions import BotoCoreError, ClientError

    cap = limits.max_file_bytes
    if remote.size > cap:
        raise TooLarge(f"{remote.url}: object is {remote.size:,} bytes, over the limit of {cap:,}")
    bucket, key = split(remote.url)
    try:
        body = _client().get_object(Bucket=bucket, Key=key)["Body"]
        chunks, total = [], 0
        while chunk := body.read(READ_CHUNK):
            total += len(chunk)
            if total > cap:
                raise TooLarge(f"{remote.url}: object grew past the limit of {cap:,} bytes while being read")
            chunks.append(chunk)
        return b"".join(chunks)
    except (BotoCoreError, ClientError) as exc:
        raise UnreadableFile(f"{remote.url}: cannot fetch ({exc})") from exc
