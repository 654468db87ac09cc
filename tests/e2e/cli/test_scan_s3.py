"""``reclaim scan s3://bucket/prefix`` against a local S3-compatible server (moto, on 127.0.0.1): the same
results as the same files in a folder, rescans that skip unchanged objects, and clear errors."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from reclaim.media import Limits
from reclaim.sources import S3Source, source_for
from reclaim.sources import s3 as s3_source

boto3 = pytest.importorskip("boto3", reason="needs reclaim[s3]")
moto_server = pytest.importorskip("moto.server", reason="needs moto[server]")

BUCKET = "reports"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A client of the local server, with the variables every worker's boto3 reads set to it."""
    for name, value in {"AWS_ENDPOINT_URL": s3_endpoint, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET)
    yield client
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for entry in page.get("Contents", []):
            client.delete_object(Bucket=BUCKET, Key=entry["Key"])
    client.delete_bucket(Bucket=BUCKET)


def upload(s3, paths: list[Path], prefix: str) -> None:  # type: ignore[no-untyped-def]
    for path in paths:
        s3.put_object(Bucket=BUCKET, Key=f"{prefix}/{path.name}", Body=path.read_bytes())


def hashes_by_name(cli, case: str) -> dict[str, tuple]:  # type: ignore[no-untyped-def]
    result = cli("case", "show", case, "--all", "--json")
    items = [json.loads(line) for line in result.out.splitlines()]
    return {Path(i["path"]).name: (i["status"], i["sha256"], i["pdq"], len(i["matches"])) for i in items}


@pytest.mark.slow
def test_a_bucket_scans_to_what_the_same_files_in_a_folder_give(cli, s3, tmp_path: Path, make_images,  # type: ignore[no-untyped-def]
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(s3_source, "PAGE_KEYS", 64)  # the listing takes three pages
    paths = make_images(tmp_path / "folder", 150, seed=3)
    upload(s3, paths, "2026/11")
    s3.put_object(Bucket=BUCKET, Key="elsewhere/not-this.jpg", Body=paths[0].read_bytes())
    assert cli("bank", "create", "known").code == 0
    assert cli("bank", "add", "known", *paths[::15]).code == 0

    from_bucket = cli("scan", f"s3://{BUCKET}/2026/11", "--case", "bucket", "--workers", "2", "--json")
    assert from_bucket.code == 0, from_bucket.err
    report = json.loads(from_bucket.out)
    assert (report["source"], report["items"], report["hashed"]) == ("s3", 150, 150)
    assert all(m["path"].startswith(f"s3://{BUCKET}/2026/11/") for m in report["matches"])
    assert cli("scan", tmp_path / "folder", "--case", "folder", "--workers", "2").code == 0
    bucket, folder = hashes_by_name(cli, "bucket"), hashes_by_name(cli, "folder")
    assert len(bucket) == 150 and sum(n for *_, n in bucket.values()) == 10
    assert bucket == folder

    again = json.loads(cli("scan", f"s3://{BUCKET}/2026/11", "--case", "bucket", "--json").out)
    assert (again["reused"], again["hashed"]) == (150, 0)  # unchanged objects (size, last-modified) are skipped


def test_listing_resumes_after_a_key_and_skips_folder_markers(s3, tmp_path: Path, make_images) -> None:  # type: ignore[no-untyped-def]
    upload(s3, make_images(tmp_path / "f", 5), "p")
    s3.put_object(Bucket=BUCKET, Key="p/sub/", Body=b"")
    source = S3Source(f"s3://{BUCKET}/p")
    every = [i.locator for i in source.iter_items()]
    assert every == sorted(every) and len(every) == 6
    rest = list(source.iter_items(resume_after=every[2]))
    assert [i.locator for i in rest] == every[3:]
    marker = next(i for i in rest if i.locator.endswith("/sub/"))
    assert "a folder marker, not a file" in marker.reason  # type: ignore[union-attr]


def test_an_object_over_the_limit_is_reported_and_the_scan_goes_on(cli, s3, tmp_path: Path, make_images) -> None:  # type: ignore[no-untyped-def]
    upload(s3, make_images(tmp_path / "f", 3), "p")
    s3.put_object(Bucket=BUCKET, Key="p/huge.bin", Body=b"\0" * (Limits().max_file_bytes + 1))
    result = cli("scan", f"s3://{BUCKET}/p", "--case", "c", "--json")
    assert result.code == 1
    report = json.loads(result.out)
    assert report["hashed"] == 4
    assert [f["error"] for f in report["failed"]] == [
        f"s3://{BUCKET}/p/huge.bin: object is {Limits().max_file_bytes + 1:,} bytes, over the limit of "
        f"{Limits().max_file_bytes:,}"
    ]


def test_a_missing_bucket_is_one_clear_error(cli, s3) -> None:  # type: ignore[no-untyped-def]
    result = cli("scan", "s3://no-such-bucket/x", "--case", "c")
    assert result.code != 0
    assert "s3://no-such-bucket/x: cannot list the bucket" in result.err
    assert "Traceback" not in result.err


def test_s3_addresses_are_routed_to_the_s3_source() -> None:
    assert isinstance(source_for("s3://bucket/prefix"), S3Source)
