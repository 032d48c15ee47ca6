"""Content-addressed blob store on the filesystem.

Blobs are written to a temporary file in the same directory and renamed into place, so a reader
never sees a partial blob and a process killed mid-write leaves at most a stray temporary file
(removed by ``gc``). Writing the same content twice is a no-op.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import time
from pathlib import Path
from typing import BinaryIO

_CHUNK = 1 << 20


class BlobNotFound(KeyError):
    pass


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, digest: str) -> Path:
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ValueError(f"not a sha256 hex digest: {digest!r}")
        return self.root / digest[:2] / digest[2:]

    def put(self, data: bytes, *, durable: bool = True) -> str:
        """Store bytes; ``durable=False`` skips the fsync: the blob survives a crash of the process
        (the rename is atomic and the page cache persists) but not a power loss, the same guarantee
        as the SQLite store in WAL mode with synchronous=NORMAL. Runs use it for trace blobs."""
        digest = hashlib.sha256(data).hexdigest()
        if not self.path(digest).exists():
            self._write(digest, data, durable)
        return digest

    def put_stream(self, stream: BinaryIO) -> str:
        """Store a file-like object without reading it into memory."""
        self.root.mkdir(parents=True, exist_ok=True)
        hasher = hashlib.sha256()
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(_CHUNK):
                    hasher.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            digest = hasher.hexdigest()
            target = self.path(digest)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, target)
            return digest
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)

    def put_file(self, path: Path) -> str:
        with open(path, "rb") as f:
            return self.put_stream(f)

    def _write(self, digest: str, data: bytes, durable: bool = True) -> None:
        target = self.path(digest)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                if durable:
                    os.fsync(out.fileno())
            os.replace(tmp, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)

    def get(self, digest: str) -> bytes:
        try:
            return self.path(digest).read_bytes()
        except FileNotFoundError:
            raise BlobNotFound(digest) from None

    def open(self, digest: str) -> BinaryIO:
        try:
            return open(self.path(digest), "rb")
        except FileNotFoundError:
            raise BlobNotFound(digest) from None

    def exists(self, digest: str) -> bool:
        return self.path(digest).exists()

    def verify(self, digest: str) -> bool:
        """Re-hash a blob; False if it is missing or its content no longer matches its name."""
        hasher = hashlib.sha256()
        try:
            with self.open(digest) as f:
                while chunk := f.read(_CHUNK):
                    hasher.update(chunk)
        except BlobNotFound:
            return False
        return hasher.hexdigest() == digest

    def gc_temporary(self, older_than_s: float = 3600.0) -> int:
        """Remove temporary files left by killed writers; returns how many were removed.

        Only files older than ``older_than_s`` go, so a writer still at work keeps its file.
        """
        removed = 0
        if not self.root.exists():
            return 0
        cutoff = time.time() - older_than_s
        for tmp in self.root.rglob(".tmp-*"):
            with contextlib.suppress(FileNotFoundError):
                if tmp.stat().st_mtime < cutoff:
                    tmp.unlink()
                    removed += 1
        return removed
