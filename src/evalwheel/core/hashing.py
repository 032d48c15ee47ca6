"""Canonical JSON and content hashes.

Every content-addressed id in evalwheel is the SHA-256 of one canonical serialisation, so that two
machines (or two Python versions) agree on it: keys sorted, no insignificant whitespace, UTF-8, and
floats written by Python's shortest round-trip repr. NaN and infinities are rejected because JSON has
no spelling for them and a silent `null` would make different content hash the same.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

HASH_PREFIX_LEN = 12


def canonical_json(value: Any) -> str:
    """Serialise a JSON-compatible value in the one form that content hashes are taken over."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def content_hash(value: Any) -> str:
    """SHA-256 hex digest of the canonical JSON of ``value``."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def short(digest: str) -> str:
    """The display form of a digest (like git's abbreviated ids)."""
    return digest[:HASH_PREFIX_LEN]
