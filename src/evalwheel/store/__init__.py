"""The store: records in SQL (SQLite by default, PostgreSQL by URL), large payloads as blobs."""

from evalwheel.store.blobs import BlobStore
from evalwheel.store.db import Store, StoreError

__all__ = ["BlobStore", "Store", "StoreError"]
