"""Reading the files people hand us so that every problem is a message, never a crash.

Every reader of user files (datasets, labels, batch requests, JSON documents, ``evalwheel.toml``)
goes through these helpers, so they all agree on:

- **Encodings**: UTF-8, with or without a byte-order mark, and UTF-16/UTF-32 *with* a BOM (what
  Excel and PowerShell write) are decoded; anything else is refused with the line it fails on.
- **Size**: no line longer than ``EVALWHEEL_MAX_LINE_BYTES`` (16 MiB by default) is held in memory;
  it is skipped and reported, so a file without newlines cannot exhaust memory.
- **JSON values**: nesting deeper than ``MAX_DEPTH`` levels, numbers Python cannot convert or JSON
  cannot spell (more than 4,300 digits, NaN, infinity), NUL characters (which PostgreSQL cannot
  store in text) and types JSON does not have are refused by field, before anything reaches
  pydantic, the hasher or the store, each of which would otherwise fail with an internal error.
"""

from __future__ import annotations

import codecs
import io
import json
import math
import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from evalwheel.errors import InputError

#: Deepest nesting of objects and arrays accepted in any JSON value we read. Real requests,
#: references and traces are a few levels deep; the limit keeps every recursive consumer (pydantic,
#: ``json.dumps``, templates) far from Python's recursion limit.
MAX_DEPTH = 64
DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024
ENV_MAX_LINE_BYTES = "EVALWHEEL_MAX_LINE_BYTES"

# UTF-32-LE's BOM begins with UTF-16-LE's, so it is tested first.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_DIGITS = re.compile(r"value has (\d+) digits")


class JsonProblem(ValueError):
    """A JSON text or value we refuse: ``field`` names where (``(line)`` when nowhere in particular)."""

    def __init__(self, field: str, message: str) -> None:
        self.field, self.message = field, message
        super().__init__(f"{field}: {message}")


def sniff_encoding(head: bytes) -> str:
    """The codec for a file that starts with ``head``: from its byte-order mark, else UTF-8.

    Without a BOM, UTF-16 cannot be told from UTF-8 reliably, and guessing would turn a typo into
    silently wrong text; such a file is then reported as not valid UTF-8 on its first line.
    """
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return codec
    return "utf-8"


def _encoding_name(codec: str) -> str:
    return "UTF-8" if codec.startswith("utf-8") else codec.upper()


def max_line_bytes() -> int:
    """The per-line size limit: ``EVALWHEEL_MAX_LINE_BYTES`` or 16 MiB."""
    raw = os.environ.get(ENV_MAX_LINE_BYTES, "").strip()
    if not raw:
        return DEFAULT_MAX_LINE_BYTES
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise InputError(
            f"must be a positive number of bytes, not {raw!r}", field=ENV_MAX_LINE_BYTES
        )
    return value


def _too_long(limit: int) -> str:
    return f"line longer than {limit:,} bytes (set {ENV_MAX_LINE_BYTES} to allow longer lines)"


def iter_lines(
    path: Path,
    *,
    limit: int | None = None,
    on_bytes: Callable[[int], None] | None = None,
) -> Iterator[tuple[int, str | None, str | None]]:
    """``(line number, text, problem)`` for each physical line; ``text`` is None when ``problem``.

    Lines keep their ``\\n``; only ``\\n`` ends a line (as in binary mode), so a JSON string holding
    U+2028 or a lone ``\\r`` stays on its line. ``on_bytes`` is told roughly how many bytes each
    line took, for progress bars.
    """
    limit = limit or max_line_bytes()
    with open(path, "rb") as f:
        codec = sniff_encoding(f.read(4))
        f.seek(0)
        if codec in ("utf-8", "utf-8-sig"):
            yield from _utf8_lines(f, limit, on_bytes)
        else:
            yield from _wide_lines(f, codec, limit, on_bytes)


def _skip_rest(f: io.BufferedReader, on_bytes: Callable[[int], None] | None) -> None:
    while chunk := f.readline(1 << 20):
        if on_bytes:
            on_bytes(len(chunk))
        if chunk.endswith(b"\n"):
            return


def _utf8_lines(
    f: io.BufferedReader, limit: int, on_bytes: Callable[[int], None] | None
) -> Iterator[tuple[int, str | None, str | None]]:
    number = 0
    while raw := f.readline(limit + 1):
        number += 1
        if on_bytes:
            on_bytes(len(raw))
        if len(raw) > limit and not raw.endswith(b"\n"):
            _skip_rest(f, on_bytes)
            yield number, None, _too_long(limit)
            continue
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[3:]
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield number, None, f"not valid UTF-8 (byte {exc.start + 1} of the line)"
            continue
        yield number, line, None


def _wide_lines(
    f: io.BufferedReader, codec: str, limit: int, on_bytes: Callable[[int], None] | None
) -> Iterator[tuple[int, str | None, str | None]]:
    """UTF-16/32 lines. A decoding error stops the file: the decoder cannot find its way back."""
    unit = 2 if codec == "utf-16" else 4
    text = io.TextIOWrapper(f, encoding=codec, newline="\n")
    chars = max(1, limit // unit)
    number = 0
    try:
        while line := text.readline(chars + 1):
            number += 1
            if on_bytes:
                on_bytes(len(line) * unit)
            if len(line) > chars and not line.endswith("\n"):
                while (rest := text.readline(1 << 20)) and not rest.endswith("\n"):
                    pass
                yield number, None, _too_long(limit)
                continue
            yield number, line, None
    except UnicodeDecodeError:
        yield number + 1, None, f"not valid {_encoding_name(codec)} (at or after this line)"
    finally:
        text.detach()


def read_text(path: Path, *, field: str = "(file)") -> str:
    """A whole small file (configuration, a JSON document) as text, BOM-aware; ``InputError`` names
    the line of the first byte that does not decode."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", file=str(path), field=field) from None
    codec = sniff_encoding(raw[:4])
    try:
        return raw.decode(codec)
    except UnicodeDecodeError as exc:
        before = raw[: exc.start].decode(codec, errors="replace")
        line = before.count("\n") + 1
        raise InputError(
            f"not valid {_encoding_name(codec)}", file=str(path), line=line, field=field
        ) from None


def _number_problem(exc: ValueError) -> str:
    found = _DIGITS.search(str(exc))
    digits = f"{int(found.group(1)):,} digits" if found else "too many digits"
    return f"number too large ({digits}; at most {sys.get_int_max_str_digits():,})"


def _no_constant(name: str) -> Any:
    raise JsonProblem("(line)", f"invalid JSON: {name} is not a JSON number")


def loads(text: str, *, field: str = "", max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` that raises only ``JsonProblem``, with the checks of ``check_value``.

    ``field`` is where the text came from (a CSV column), prefixed to the fields of problems;
    problems with the text as a whole are ``(line)`` when it is empty. The full walk over the
    value runs only when the text could hold a problem (more brackets than the depth limit, an
    escaped NUL): for ordinary rows this stays as fast as ``json.loads``.
    """
    whole = field or "(line)"
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except JsonProblem as exc:
        raise JsonProblem(whole, exc.message) from None
    except json.JSONDecodeError as exc:
        raise JsonProblem(whole, f"invalid JSON: {exc.msg} (column {exc.colno})") from None
    except RecursionError:
        raise JsonProblem(whole, f"nested deeper than {max_depth} levels") from None
    except ValueError as exc:  # Python's int-str conversion limit
        raise JsonProblem(whole, _number_problem(exc)) from None
    if text.count("[") + text.count("{") > max_depth or "\\u0000" in text:
        problem = check_value(value, max_depth=max_depth, root=field)
        if problem:
            raise JsonProblem(*problem)
    return value


def _path(parent: str, key: str | int) -> str:
    if not parent:
        return str(key)
    return f"{parent}[{key}]"


def first_problem(
    value: Any, *, max_depth: int = MAX_DEPTH, int_bits: int | None = None
) -> tuple[tuple[str | int, ...], str] | None:
    """The first ``(path, message)`` that makes ``value`` unfit to validate, hash or store.

    Iterative, so a value too deep for Python's recursion limit is still checked; a value nested
    too deep is named by its top-level key, since its full path would be a line of brackets.
    ``int_bits`` also bounds integers (64 for configuration, whose integers may reach integer
    columns; data values are stored as JSON text, where any integer fits).
    """
    bound = 2 ** (int_bits - 1) if int_bits else None
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, ())]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return where, "contains a NUL character (\\x00), which cannot be stored"
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if bound is not None and not -bound <= item < bound:
                return where, f"integer out of the {int_bits}-bit range"
        elif isinstance(item, float):
            if not math.isfinite(item):
                return where, "number out of range (JSON has no NaN or infinity)"
        elif isinstance(item, dict | list | tuple):
            if len(where) >= max_depth:
                return where[:1], f"nested deeper than {max_depth} levels"
            if isinstance(item, dict):
                for key, child in item.items():
                    if not isinstance(key, str):
                        return where, f"key {key!r} is not text"
                    if "\x00" in key:
                        return where, "a key contains a NUL character (\\x00)"
                    stack.append((child, (*where, key)))
            else:
                stack.extend((child, (*where, i)) for i, child in enumerate(item))
        else:
            return where, f"a {type(item).__name__} value is not JSON-compatible"
    return None


def check_value(
    value: Any, *, max_depth: int = MAX_DEPTH, root: str = ""
) -> tuple[str, str] | None:
    """``first_problem`` with the field named as the importer names fields:
    ``metadata[source][0]`` under ``root`` (``(line)`` for the value as a whole)."""
    problem = first_problem(value, max_depth=max_depth)
    if problem is None:
        return None
    parts, message = problem
    if root and message.startswith("nested deeper"):
        return root, message  # named by the top-level field, which ``root`` already is
    field = root
    for part in parts:
        field = _path(field, part)
    return field or "(line)", message


def load_json_file(path: Path, *, max_depth: int = MAX_DEPTH) -> Any:
    """A whole JSON document (a schema, a workflow, an event); ``InputError`` names file and line."""
    text = read_text(path)
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except JsonProblem as exc:
        raise InputError(exc.message, file=str(path), field="(file)") from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"invalid JSON: {exc.msg} (column {exc.colno})",
            file=str(path),
            line=exc.lineno,
            field="(file)",
        ) from None
    except RecursionError:
        raise InputError(
            f"nested deeper than {max_depth} levels", file=str(path), field="(file)"
        ) from None
    except ValueError as exc:
        raise InputError(_number_problem(exc), file=str(path), field="(file)") from None
    problem = check_value(value, max_depth=max_depth)
    if problem:
        raise InputError(problem[1], file=str(path), field=problem[0])
    return value
