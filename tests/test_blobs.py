import io
import os
import time
from pathlib import Path

import pytest

from evalwheel.store.blobs import BlobNotFound, BlobStore


def test_put_get_is_content_addressed(tmp_path: Path):
    blobs = BlobStore(tmp_path)
    digest = blobs.put(b"hello")
    assert digest == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    assert blobs.get(digest) == b"hello"
    assert blobs.put(b"hello") == digest
    assert blobs.put_stream(io.BytesIO(b"hello")) == digest
    assert blobs.verify(digest)


def test_missing_and_corrupted_blobs_are_detected(tmp_path: Path):
    blobs = BlobStore(tmp_path)
    with pytest.raises(BlobNotFound):
        blobs.get("0" * 64)
    digest = blobs.put(b"data")
    blobs.path(digest).write_bytes(b"tampered")
    assert not blobs.verify(digest)


def test_rejects_paths_that_are_not_digests(tmp_path: Path):
    with pytest.raises(ValueError):
        BlobStore(tmp_path).path("../../etc/passwd")


def test_large_stream_is_not_read_whole(tmp_path: Path):
    blobs = BlobStore(tmp_path)
    data = os.urandom(3 << 20)
    src = tmp_path / "big.bin"
    src.write_bytes(data)
    digest = blobs.put_file(src)
    assert blobs.get(digest) == data


def test_gc_removes_only_stale_temporary_files(tmp_path: Path):
    blobs = BlobStore(tmp_path)
    blobs.put(b"x")
    stale = tmp_path / ".tmp-stale"
    fresh = tmp_path / ".tmp-fresh"
    stale.write_bytes(b"partial")
    fresh.write_bytes(b"partial")
    old = time.time() - 7200
    os.utime(stale, (old, old))
    assert blobs.gc_temporary() == 1
    assert not stale.exists() and fresh.exists()


def test_non_durable_put_stores_the_same_content(tmp_path: Path):
    blobs = BlobStore(tmp_path)
    digest = blobs.put(b"trace", durable=False)
    assert blobs.get(digest) == b"trace" and blobs.verify(digest)
    assert blobs.put(b"trace") == digest
