"""Secret hygiene: one place that hides passwords, keys and tokens before anything is printed or
stored.

Two kinds of secret are handled. Credentials inside URLs (``user:password@``, key-like query
parameters such as ``?api-key=``) are found by shape, so any printer can pass a URL or a whole
message through ``redact_text``. Key values that evalwheel itself read from the environment are
registered with ``register_secret`` and scrubbed wherever they appear verbatim, e.g. in an upstream
error body that echoes the key back.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "***"

_KEY_PARAM = re.compile(
    r"(?i)(token|secret|passw|pwd|signature|credential|api[-_]?key|access[-_]?key|session|"
    r"^key$|^sig$|^auth|^code$)"
)
_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>]+")
_SCHEME_TOKEN = re.compile(r"(?i)\b((?:bearer|basic|token)\s+)[A-Za-z0-9._~+/=-]{8,}")
_ASSIGNED = re.compile(
    r"(?i)\b((?:password|passwd|pwd|secret|api[-_]?key|access[-_]?token|auth[-_]?token|"
    r"client[-_]?secret)\s*[=:]\s*)(?!\*\*\*)[^\s&;,'\"]+"
)
_KEY_LIKE = re.compile(
    r"\b(?:sk-(?:ant-|proj-)?(?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]{20,}"
    r"|(?:ghp|gho|ghs|ghu|ghr)_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}"
    r"|glpat-[A-Za-z0-9_-]{20,}|AKIA[0-9A-Z]{16}|xox[abprs]-[A-Za-z0-9-]{10,}"
    r"|hf_[A-Za-z0-9]{20,})"
)
_MIN_SECRET_LEN = 6

_known: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a secret value (an API key read from the environment) so it is always scrubbed."""
    if value and len(value) >= _MIN_SECRET_LEN:
        _known.add(value)


def redact_url(url: str, mask: str = MASK) -> str:
    """The URL with its password and key-like query parameters replaced by ``mask``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return mask
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        user, sep, _password = userinfo.partition(":")
        netloc = f"{user}:{mask}@{host}" if sep else f"{mask}@{host}"
    return urlunsplit(
        (
            parts.scheme,
            netloc,
            parts.path,
            _masked_query(parts.query, mask),
            _masked_query(parts.fragment, mask),
        )
    )


def _masked_query(query: str, mask: str) -> str:
    """A query string (or a fragment shaped like one) with key-like parameters' values hidden."""
    if "=" not in query:
        return query
    pairs = parse_qsl(query, keep_blank_values=True)
    if not any(_KEY_PARAM.search(k) for k, _ in pairs):
        return query
    return urlencode([(k, mask if _KEY_PARAM.search(k) else v) for k, v in pairs], safe="*/:[]")


def redact_text(text: str, mask: str = MASK) -> str:
    """``text`` with every URL's credentials, bearer tokens, key-shaped strings and registered
    secret values hidden (replaced by ``mask``; traffic import uses a typed placeholder)."""
    if not text:
        return text
    for secret in sorted(_known, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, mask)
    text = _URL.sub(lambda m: redact_url(m.group(), mask), text)
    text = _SCHEME_TOKEN.sub(lambda m: m.group(1) + mask, text)
    text = _ASSIGNED.sub(lambda m: m.group(1) + mask, text)
    return _KEY_LIKE.sub(mask, text)


def redact_value(value: object) -> object:
    """A JSON-like value with ``redact_text`` applied to every string in it (keys kept)."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(v) for v in value]
    return value


def is_redacted(value: object) -> bool:
    """Does a JSON-like value hold a hidden secret anywhere?"""
    if isinstance(value, str):
        return MASK in value
    if isinstance(value, dict):
        return any(is_redacted(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(is_redacted(v) for v in value)
    return False
