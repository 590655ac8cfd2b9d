"""Attachments without the platform: content types from the bytes, signed links, and both
storages (a directory, and S3 through boto3 against moto's S3 server)."""

from __future__ import annotations

import asyncio
import io
import zipfile
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto.server import ThreadedMotoServer

from messaging.attachments import links, sniff
from messaging.attachments.service import clean_name, scan
from messaging.attachments.storage import LocalStorage, S3Storage
from settle_kit.errors import PayloadTooLarge, Unprocessable
from settle_testing.platform import free_port

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)
PDF = b"%PDF-1.7\n" + bytes(64)


def zipped() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", "a")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("declared", "head", "stored"),
    [
        ("image/png", PNG, "image/png"),
        ("application/octet-stream", PNG, "image/png"),  # the bytes say what it is
        (None, PDF, "application/pdf"),
        ("application/zip", zipped(), "application/zip"),
        ("text/plain; charset=utf-8", "héllo".encode(), "text/plain"),
        ("application/json", b'{"a": 1}', "application/json"),
        ("application/octet-stream", b"\x01\x02\x03", "application/octet-stream"),
    ],
)
def test_the_type_kept_is_what_the_bytes_are(declared, head, stored):
    assert sniff.checked_type(declared, head) == stored


@pytest.mark.parametrize(("declared", "head"), [("image/png", PDF), ("application/pdf", PNG), ("image/png", b"not an image"),
                                                ("text/html", PNG)])
def test_a_declared_type_the_bytes_contradict_is_refused(declared, head):
    with pytest.raises(sniff.ContentTypeMismatch):
        sniff.checked_type(declared, head)


def test_scan_measures_digests_and_checks_text_as_utf8():
    import hashlib

    data = "é".encode() * 100_000
    scanned = scan(io.BytesIO(data), "text/plain", 10**7)
    assert (scanned.size, scanned.sha256, scanned.content_type) == (len(data), hashlib.sha256(data).hexdigest(), "text/plain")
    with pytest.raises(Unprocessable) as refused:
        scan(io.BytesIO(b"ok" * 10_000 + b"\xff"), "text/plain", 10**7)
    assert refused.value.field == "file" and refused.value.code == "content_type_mismatch"
    with pytest.raises(PayloadTooLarge):
        scan(io.BytesIO(bytes(2048)), "application/octet-stream", 1024)
    with pytest.raises(Unprocessable):
        scan(io.BytesIO(b""), "text/plain", 1024)


def test_names_lose_paths_and_control_characters():
    assert clean_name("../../etc/passwd") == "passwd"
    assert clean_name("C:\\Users\\me\\logo.png") == "logo.png"
    assert clean_name("a\x00b\nc.txt") == "abc.txt"
    assert clean_name("") == "file" and clean_name(None) == "file"


def test_a_link_works_until_it_expires_and_not_once_altered():
    now = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
    url, expires_at = links.sign("k" * 32, "http://gw", "att_1", now, 300)
    assert expires_at == now + timedelta(seconds=300) and url.startswith("http://gw/files/att_1?expires=")
    query = dict(part.split("=", 1) for part in url.split("?", 1)[1].split("&"))
    assert links.verify("k" * 32, "att_1", query["expires"], query["signature"], now) is None
    assert links.verify("k" * 32, "att_1", query["expires"], query["signature"], expires_at) == "link_expired"
    assert links.verify("k" * 32, "att_2", query["expires"], query["signature"], now) == "link_invalid"
    assert links.verify("k" * 32, "att_1", str(int(query["expires"]) + 60), query["signature"], now) == "link_invalid"
    assert links.verify("other-key", "att_1", query["expires"], query["signature"], now) == "link_invalid"
    assert links.verify("k" * 32, "att_1", "soon", query["signature"], now) == "link_invalid"


async def _round_trip(storage) -> bytes:
    await storage.put("att_roundtrip", io.BytesIO(PNG * 5000), "image/png")
    return b"".join([chunk async for chunk in storage.read("att_roundtrip")])


def test_a_directory_keeps_the_bytes(tmp_path):
    assert asyncio.run(_round_trip(LocalStorage(str(tmp_path)))) == PNG * 5000
    assert not list(tmp_path.rglob("*.partial"))


@pytest.fixture(scope="module")
def s3_endpoint():
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def test_an_s3_bucket_keeps_the_bytes(s3_endpoint, monkeypatch):
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").create_bucket(Bucket="unit")
    storage = S3Storage("unit", endpoint_url=s3_endpoint, region="us-east-1")
    assert asyncio.run(_round_trip(storage)) == PNG * 5000
    head = storage.client.head_object(Bucket="unit", Key="att_roundtrip")
    assert head["ContentType"] == "image/png"
