"""Personal data and secrets out of traffic before it is stored.

Production requests carry e-mail addresses, phone numbers, card numbers and pasted keys; none of
them may reach the store. Each is replaced by a typed placeholder (``[EMAIL]``) so a reader still
sees what was there, and counted per kind so an import can say how much it hid. Keys and tokens
are found by ``evalwheel.redaction`` (one definition of what a secret looks like); card numbers
must pass the Luhn check, so order and tracking numbers of the same length survive.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from evalwheel.errors import InputError
from evalwheel.redaction import redact_text

PLACEHOLDERS = {
    "api_key": "[API_KEY]",
    "email": "[EMAIL]",
    "card": "[CARD]",
    "phone": "[PHONE]",
}

_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])"
)
# 13-19 digits, optionally grouped by spaces or dashes, not part of a longer run of digits.
_CARD = re.compile(r"(?<!\w)(?<!\d[ -])\d(?:[ -]?\d){12,18}(?!\w)(?![ -]\d)")
# Written like a phone number: a leading + (E.164), or an area code in parentheses or followed by
# a separator. Bare digit runs (order numbers, amounts) are left alone.
_PHONE = re.compile(
    r"(?<![\w+])"
    r"(?:\+\d{1,3}[\s.-]?(?:\(\d{1,4}\)[\s.-]?)?\d{1,4}(?:[\s.-]?\d{2,4}){1,4}"
    r"|(?<!\d[\s.-])(?:\(\d{2,4}\)[\s.-]?|\d{2,4}[\s.-])\d{3,4}[\s.-]?\d{3,4})"
    r"(?!\w)(?![\s.-]\d)"
)

Hook = Callable[[str], str]


def luhn_valid(digits: str) -> bool:
    """The check every payment card number satisfies (ISO/IEC 7812)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


class Redactor:
    """Applies the built-in patterns (unless ``builtins`` is off) and then the user's ``hook`` to
    every string of a JSON-like value, counting replacements per kind in ``counts``."""

    def __init__(self, *, builtins: bool = True, hook: Hook | None = None) -> None:
        self.builtins = builtins
        self.hook = hook
        self.counts: Counter[str] = Counter()

    def text(self, text: str) -> str:
        if self.builtins and text:
            text = self._builtin(text)
        if self.hook is not None:
            try:
                changed = self.hook(text)
            except Exception as exc:  # the user's code: its failure is a bad input, not a crash
                raise InputError(
                    f"the hook raised {type(exc).__name__}: {exc}", field="redact_hook"
                ) from None
            if not isinstance(changed, str):
                raise InputError(
                    f"the hook returned {type(changed).__name__}, not str", field="redact_hook"
                )
            if changed != text:
                self.counts["hook"] += 1
            text = changed
        return text

    def _builtin(self, text: str) -> str:
        mask = PLACEHOLDERS["api_key"]
        before = text.count(mask)
        text = redact_text(text, mask)
        self._count("api_key", text.count(mask) - before)
        text = self._sub(_EMAIL, "email", text)
        text = self._sub(_CARD, "card", text, lambda m: luhn_valid(re.sub(r"\D", "", m)))
        return self._sub(_PHONE, "phone", text, lambda m: 7 <= len(re.sub(r"\D", "", m)) <= 15)

    def _sub(
        self,
        pattern: re.Pattern[str],
        kind: str,
        text: str,
        accept: Callable[[str], bool] | None = None,
    ) -> str:
        def replace(match: re.Match[str]) -> str:
            if accept is not None and not accept(match.group()):
                return match.group()
            self.counts[kind] += 1
            return PLACEHOLDERS[kind]

        return pattern.sub(replace, text)

    def _count(self, kind: str, n: int) -> None:
        if n > 0:
            self.counts[kind] += n

    def value(self, value: Any) -> Any:
        """``value`` with every string (keys of objects kept) redacted."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.value(v) for v in value]
        return value


def redact_traffic_value(value: Any, *, builtins: bool = True, hook: Hook | None = None) -> Any:
    """A JSON-like value as traffic import would store it: e-mails, phone numbers, Luhn-valid card
    numbers and keys replaced by ``[EMAIL]``, ``[PHONE]``, ``[CARD]``, ``[API_KEY]``, then ``hook``
    applied to every string. For callers that record traffic one request at a time (the shadow
    proxy); use ``Redactor`` to also get the counts."""
    return Redactor(builtins=builtins, hook=hook).value(value)
