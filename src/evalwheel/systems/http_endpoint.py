"""``kind = "http"``: any JSON endpoint, with a request template and a path to the output field.

The body is a JSON value whose strings are Jinja2 templates over the example (``"{{ input }}"``
alone sends the input as a JSON value), or one template string that renders to JSON. Header
values may name environment variables (``"Bearer ${MY_API_KEY}"``) so keys stay out of the file;
the values read are registered as secrets, so no message, trace or error ever shows them, and the
system's description (its version) names the headers without their values. A non-2xx answer, a
body that is not JSON or a missing output field makes a failed item with the reason.

These calls do not go through the ``ModelClient``: the endpoint is the user's own service, not a
model, so there is no call cache; a resumed run re-sends only the items that had not finished.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Literal, NoReturn
from urllib.parse import urlsplit

import aiohttp
from jinja2.exceptions import TemplateError
from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator

from evalwheel.apps.interface import AppOutput
from evalwheel.core.example import Example
from evalwheel.errors import InputError
from evalwheel.redaction import redact_text, redact_url, register_secret
from evalwheel.systems import paths, templates
from evalwheel.systems.base import (
    ConfiguredSystem,
    KindConfig,
    SystemCallError,
    as_text,
    field_error,
)

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SECRET_HEADER = re.compile(r"(?i)(auth|key|token|secret|password|cookie|signature)")
DEFAULT_BODY: dict[str, JsonValue] = {"input": "{{ input }}"}
MAX_RESPONSE_BYTES = 16 * 1024 * 1024


class TokenPaths(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    input: str | None = None
    output: str | None = None


class HttpConfig(KindConfig):
    kind: Literal["http"]
    url: str = Field(min_length=1, description="http(s) URL; may be a template.")
    method: Literal["POST", "PUT", "PATCH", "GET"] = "POST"
    headers: dict[str, str] = Field(default_factory=dict)
    body: JsonValue = None
    output: str = Field(min_length=1, description="Path to the output in the response JSON.")
    cost_path: str | None = None
    tokens: TokenPaths | None = None
    timeout_s: float = Field(default=60.0, gt=0, le=3600)

    @field_validator("method", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.lower().startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        if "{" in urlsplit(value).netloc or "%" in urlsplit(value).netloc:
            raise ValueError("templates may fill in the path and query, not the host")
        return value


def expand_header(value: str) -> tuple[str, list[str]]:
    """The header with each ``${VAR}`` replaced by the environment's value, and the names read
    (``KeyError`` naming the first one that is unset)."""
    names = _ENV_REF.findall(value)
    for name in names:
        if name not in os.environ:
            raise KeyError(name)
    return _ENV_REF.sub(lambda m: os.environ[m.group(1)], value), names


class HttpSystem(ConfiguredSystem):
    kind = "http"
    config_model = HttpConfig
    config: HttpConfig

    def __init__(self, system_name: str, config: Any, project_root: Path | None) -> None:
        super().__init__(system_name, config, project_root)
        self.body = DEFAULT_BODY if self.config.body is None else self.config.body
        if self.config.method == "GET" and self.config.body is not None:
            self._fail("body", "a GET request sends no body; use POST, PUT or PATCH")
        for field, value in (("url", self.config.url), ("body", self.body)):
            problem = templates.check_value(value)
            if problem:
                self._fail(field, problem)
        self.paths: dict[str, Any] = {}
        wanted = {"output": self.config.output, "cost_path": self.config.cost_path}
        if self.config.tokens is not None:
            wanted["tokens.input"] = self.config.tokens.input
            wanted["tokens.output"] = self.config.tokens.output
        for field, path in wanted.items():
            if path is None:
                continue
            try:
                self.paths[field] = paths.compile_path(path)
            except ValueError as exc:
                self._fail(field, str(exc))
        self._headers: dict[str, str] = {}
        self.env_names: dict[str, list[str]] = {}
        for header, raw in self.config.headers.items():
            try:
                value, names = expand_header(raw)
            except KeyError as missing:
                self._fail(
                    f"headers.{header}", f"environment variable {missing.args[0]} is not set"
                )
            for name in names:
                register_secret(os.environ[name])
            if _SECRET_HEADER.search(header):
                register_secret(value)
            self._headers[header] = value
            self.env_names[header] = names

    def _fail(self, field: str, message: str) -> NoReturn:
        raise field_error(self.system_name, field, message, self.project_root)

    def describe(self, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """URL, method, body template and paths; headers by name (and the variables they read),
        never their values."""
        return {
            "kind": self.kind,
            "url": redact_url(self.config.url),
            "method": self.config.method,
            "headers": {name: {"env": self.env_names[name]} for name in sorted(self._headers)},
            "body": self.body,
            "output": self.config.output,
            "cost_path": self.config.cost_path,
            "tokens": self.config.tokens.model_dump() if self.config.tokens else None,
            "timeout_s": self.config.timeout_s,
        }

    @property
    def origin(self) -> tuple[str, str]:
        """Scheme and host of the configured URL, before any template is filled in."""
        return _origin(
            self.config.url.split("{", 1)[0] if "{" in self.config.url else self.config.url
        )

    def _request(self, example: Example) -> tuple[str, Any]:
        values = templates.context(example)
        field = "url"
        try:
            url = templates.render(self.config.url, values)
            if _origin(url) != self.origin:
                # Item data must not choose where the key headers go.
                raise SystemCallError(
                    f"the url template rendered another host for this item ({redact_url(url)}); "
                    "templates may fill in the path and query only"
                )
            field = "body"
            if self.config.method == "GET":
                body = None
            elif isinstance(self.body, str):  # one template that renders the whole JSON body
                body = json.loads(templates.render(self.body, values))
            else:
                body = templates.render_value(self.body, values)
        except TemplateError as exc:
            raise InputError(str(exc), field=f"systems.{self.system_name}.{field}") from None
        except json.JSONDecodeError as exc:
            raise InputError(
                f"the body template did not render JSON: {exc.msg} (column {exc.colno})",
                field=f"systems.{self.system_name}.body",
            ) from None
        return url, body

    async def run(self, example: Example, client: Any, params: dict[str, Any]) -> AppOutput:
        url, body = self._request(example)
        status, text = await self._send(url, body)
        where = f"{self.config.method} {redact_url(url)}"
        if not 200 <= status < 300:
            raise SystemCallError(
                f"HTTP {status} from {where}: {redact_text(text)[:300] or '(empty body)'}"
            )
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SystemCallError(
                f"the response from {where} is not JSON ({exc.msg}): {redact_text(text[:200])}"
            ) from None
        try:
            artifact = paths.pick(self.paths["output"], self.config.output, data)
        except paths.Missing as exc:
            raise SystemCallError(redact_text(str(exc))) from None
        return AppOutput(
            outcome="answer",
            artifact=artifact,
            messages=[
                {"role": "user", "content": as_text(example.input)},
                {"role": "assistant", "content": as_text(artifact)},
            ],
            cost_usd=float(self._number(data, "cost_path") or 0.0),
            input_tokens=int(self._number(data, "tokens.input") or 0),
            output_tokens=int(self._number(data, "tokens.output") or 0),
        )

    def _number(self, data: Any, field: str) -> float | None:
        """An optional number from the response: absent is None, anything but a number fails."""
        compiled = self.paths.get(field)
        if compiled is None:
            return None
        value = compiled.search(data)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise SystemCallError(f"{field}: the response has {value!r}, not a number >= 0")
        return value

    async def _send(self, url: str, body: Any) -> tuple[int, str]:
        timeout = aiohttp.ClientTimeout(total=self.config.timeout_s)
        headers = {"Accept": "application/json", **self._headers}
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.request(
                    self.config.method,
                    url,
                    json=body if self.config.method != "GET" else None,
                    headers=headers,
                    allow_redirects=False,  # a redirect would carry the key headers elsewhere
                ) as response,
            ):
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.content.iter_chunked(64 * 1024):
                    size += len(chunk)
                    if size > MAX_RESPONSE_BYTES:
                        raise SystemCallError(
                            f"the response from {redact_url(url)} is larger than "
                            f"{MAX_RESPONSE_BYTES // (1024 * 1024)} MiB"
                        )
                    chunks.append(chunk)
                return response.status, b"".join(chunks).decode("utf-8", errors="replace")
        except TimeoutError:
            raise SystemCallError(
                f"{self.config.method} {redact_url(url)} timed out after {self.config.timeout_s:g}s"
            ) from None
        except aiohttp.ClientError as exc:
            raise SystemCallError(
                f"cannot reach {redact_url(url)}: {type(exc).__name__}: {redact_text(str(exc))}"
            ) from None


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()
