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
    r"(?i)^(api[-_]?key|key|token|access[-_]?token|auth|authorization|secret|password|passwd|pwd|"
    r"sig|signature|x-api-key|client[-_]?secret)$"
)
_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>]+")
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}")
_KEY_LIKE = re.compile(r"\b(sk-[A-Za-z0-9_-]{16,}|sk-ant-[A-Za-z0-9_-]{16,}|hf_[A-Za-z0-9]{20,})\b")
_MIN_SECRET_LEN = 6

_known: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a secret value (an API key read from the environment) so it is always scrubbed."""
    if value and len(value) >= _MIN_SECRET_LEN:
        _known.add(value)


def redact_url(url: str) -> str:
    """The URL with its password and key-like query parameters replaced by ``***``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        user, sep, _password = userinfo.partition(":")
        netloc = f"{user}:{MASK}@{host}" if sep else f"{MASK}@{host}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(_KEY_PARAM.match(k) for k, _ in pairs):
            query = urlencode([(k, MASK if _KEY_PARAM.match(k) else v) for k, v in pairs], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_text(text: str) -> str:
    """``text`` with every URL's credentials, bearer tokens, key-shaped strings and registered
    secret values hidden."""
    if not text:
        return text
    for secret in sorted(_known, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    text = _URL.sub(lambda m: redact_url(m.group()), text)
    text = _BEARER.sub(lambda m: m.group(1) + MASK, text)
    return _KEY_LIKE.sub(MASK, text)
