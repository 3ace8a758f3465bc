"""Objects in an S3 bucket (AWS, MinIO, Aliyun OSS, Tencent COS ...), uploaded in parts, all or nothing."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterable, Iterator

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from vault.storage.base import ObjectMissing, StorageError

PART_SIZE = 8 * 1024 * 1024  # S3's minimum is 5 MiB for every part but the last
READ_CHUNK = 1024 * 1024
_MISSING = {"NoSuchKey", "404", "NotFound"}


# botocore waits 60 s to connect and 60 s per read, 5 times over: a store that stops answering would
# hold a web request for minutes. A dead store is told in seconds; a slow but live one still has time.
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0
RETRIES = 5  # after the first try (botocore's `max_attempts` counts retries)


def make_client(*, endpoint_url=None, region=None, access_key_id=None, secret_access_key=None,
                addressing_style="auto", connect_timeout=None, read_timeout=None, retries=None):
    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": addressing_style or "auto"},
        connect_timeout=float(connect_timeout or CONNECT_TIMEOUT),
        read_timeout=float(read_timeout or READ_TIMEOUT),
        retries={"max_attempts": RETRIES if retries is None else int(retries), "mode": "standard"},
        # botocore >= 1.36 sends CRC checksums by default; several S3-compatible stores reject them.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    return boto3.client("s3", endpoint_url=endpoint_url or None, region_name=region or "us-east-1",
                        aws_access_key_id=access_key_id or None,
                        aws_secret_access_key=secret_access_key or None, config=config)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class S3Store:
    name = "s3"

    def __init__(self, client, bucket: str, prefix: str = "", part_size: int = PART_SIZE) -> None:
        if not bucket:
            raise StorageError("S3 storage needs a bucket (VAULT_S3_BUCKET)")
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.part_size = part_size

    def _name(self, key: str) -> str:
        return self.prefix + key

    def put(self, key: str, chunks: Iterable[bytes]) -> int:
        name = self._name(key)
        buf = bytearray()
        it = iter(chunks)
        for chunk in it:  # small objects: one PUT, no multipart bookkeeping
            buf += chunk
            if len(buf) >= self.part_size:
                return self._put_multipart(name, buf, it)
        try:
            self.client.put_object(Bucket=self.bucket, Key=name, Body=bytes(buf))
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f"S3 upload failed: {exc}") from exc
        return len(buf)

    def _put_multipart(self, name: str, buf: bytearray, rest: Iterator[bytes]) -> int:
        try:
            upload_id = self.client.create_multipart_upload(Bucket=self.bucket, Key=name)["UploadId"]
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f"S3 upload failed: {exc}") from exc
        parts: list[dict] = []
        total = 0

        def send(data: bytes) -> None:
            nonlocal total
            n = len(parts) + 1
            resp = self.client.upload_part(Bucket=self.bucket, Key=name, UploadId=upload_id, PartNumber=n, Body=data)
            parts.append({"PartNumber": n, "ETag": resp["ETag"]})
            total += len(data)

        try:
            while True:
                while len(buf) >= self.part_size:
                    send(bytes(buf[:self.part_size]))
                    del buf[:self.part_size]
                chunk = next(rest, None)
                if chunk is None:
                    break
                buf += chunk
            if buf or not parts:
                send(bytes(buf))
            self.client.complete_multipart_upload(Bucket=self.bucket, Key=name, UploadId=upload_id,
                                                  MultipartUpload={"Parts": parts})
        except BaseException as exc:
            # Abort so no partial object appears and the parts stop costing storage.
            try:
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=name, UploadId=upload_id)
            except (ClientError, BotoCoreError):
                pass
            if isinstance(exc, (ClientError, BotoCoreError)):
                raise StorageError(f"S3 upload failed: {exc}") from exc
            raise
        return total

    def get(self, key: str) -> Iterator[bytes]:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self._name(key))["Body"]
        except ClientError as exc:
            if _code(exc) in _MISSING:
                raise ObjectMissing(f"object {key} is missing from bucket {self.bucket}") from None
            raise StorageError(f"S3 download failed: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"S3 download failed: {exc}") from exc
        return _stream(body)

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as exc:
            if _code(exc) not in _MISSING:
                raise StorageError(f"S3 delete failed: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"S3 delete failed: {exc}") from exc

    def _head(self, key: str) -> dict | None:
        try:
            return self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as exc:
            if _code(exc) in _MISSING:
                return None
            raise StorageError(f"S3 request failed: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"S3 request failed: {exc}") from exc

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def check(self) -> None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f"bucket {self.bucket} does not answer: {exc}") from exc

    def modified(self, key: str) -> datetime:
        head = self._head(key)
        if head is None:
            raise ObjectMissing(f"object {key} is missing from bucket {self.bucket}")
        return head["LastModified"].astimezone(timezone.utc)

    def keys(self) -> Iterator[str]:
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
            for page in pages:
                for obj in page.get("Contents", []):
                    yield obj["Key"][len(self.prefix):]
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f"cannot list bucket {self.bucket}: {exc}") from exc


def _stream(body) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(READ_CHUNK)
    except BotoCoreError as exc:
        raise StorageError(f"S3 download interrupted: {exc}") from exc
    finally:
        body.close()
