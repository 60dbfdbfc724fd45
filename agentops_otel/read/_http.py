"""The one place HTTP failures become typed read errors with a message a user can act on, and the
base every backend reader shares (client, headers, decoding, context manager).

Headers (a tenant's ``X-Scope-OrgID``, an ``Authorization`` token) travel as headers, never in the
URL, so they stay out of error messages, logs and the replay's links. Credentials a user put in the URL
itself (``https://ci:token@jaeger.example``: httpx sends them as basic auth) are used the same way and
shown nowhere: every message names the backend by :func:`shown_url`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import SplitResult, urlsplit

import httpx

from agentops_otel._redact import mask_text
from agentops_otel.read._errors import BackendUnreachable, MalformedPayload, ReadError
from agentops_otel.read._record import SpanRecord
from agentops_otel.read.otlp_json import decode_otlp_json

_R = TypeVar("_R", bound="HttpReader")


class HttpBackend:
    """A base URL, a client, the headers sent with every request and a name for error messages."""

    def __init__(self, kind: str, base_url: str, timeout: float, client: httpx.Client | None,
                 headers: Mapping[str, str] | None = None) -> None:
        self.kind = kind
        self.base_url = base_url.rstrip("/")
        self.shown_url = shown_url(self.base_url)
        """``base_url`` as messages may show it: without credentials."""
        self.timeout = timeout
        self._own_client = client is None
        self.client = client or httpx.Client(timeout=timeout)
        # Tempo answers protobuf unless JSON is asked for; Jaeger ignores the header.
        self.headers = {"Accept": "application/json", **dict(headers or {})}

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> httpx.Response | None:
        """The response, or None on 404; raises ``BackendUnreachable`` / ``ReadError`` otherwise."""
        resp = self.get_any(path, params)
        return None if resp.status_code == 404 else resp

    def get_any(self, path: str, params: Mapping[str, Any] | None = None) -> httpx.Response:
        """Like ``get`` but hands a 404 back to the caller, whose body may say why."""
        url = self.base_url + path
        try:
            resp = self.client.get(url, params=params, headers=self.headers)
        except httpx.TimeoutException:
            raise BackendUnreachable(
                f"{self.kind} at {self.shown_url} did not answer within {self.timeout:g}s ({path})"
            ) from None
        except httpx.TransportError as exc:
            raise BackendUnreachable(
                f"cannot reach {self.kind} at {self.shown_url}: {exc or type(exc).__name__}. "
                f"Is it running, and is the URL right?"
            ) from None
        except httpx.InvalidURL as exc:
            raise ReadError(f"invalid {self.kind} URL {shown_url(url)!r}: {exc}") from None
        if resp.status_code == 404:
            return resp
        if resp.status_code >= 500:
            raise BackendUnreachable(
                f"{self.kind} at {self.shown_url} failed with HTTP {resp.status_code}: {snippet(resp)}"
            )
        if resp.status_code in (401, 403):
            raise ReadError(f"{self.kind} at {self.shown_url} refused {path} (HTTP {resp.status_code}): "
                            f"{snippet(resp)}. Does it need a header (--header 'Authorization: …', "
                            "'X-Scope-OrgID: …')?")
        if resp.status_code >= 400:
            raise ReadError(f"{self.kind} at {self.shown_url} rejected {path} (HTTP {resp.status_code}): "
                            f"{snippet(resp)}")
        return resp

    def not_the_api(self, path: str, port: int) -> ReadError:
        """For a 404 on a route every release has: the URL is some other server (or the backend's
        OTLP port), and reading that as "no sessions" would let a gate pass on nothing."""
        return ReadError(f"{self.kind} at {self.shown_url}: this is not {self.kind}'s query API (HTTP 404 on "
                         f"{path}); is the URL the query service's (port {port} by default)?")

    def close(self) -> None:
        if self._own_client:
            self.client.close()


class HttpReader:
    """What the Jaeger and Tempo readers share: construction, decoding, closing.

    Usable as a context manager; pass ``client`` to share an ``httpx.Client`` (proxies, TLS) and
    ``headers`` for tenants and auth.
    """

    KIND = "backend"

    def __init__(self, base_url: str, timeout: float = 10.0, *, client: httpx.Client | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        self._http = HttpBackend(self.KIND, base_url, timeout, client, headers)
        self.base_url = self._http.base_url
        self.shown_url = self._http.shown_url
        self.timeout = timeout

    def _decode(self, content: bytes, what: str) -> list[SpanRecord]:
        try:
            return list(decode_otlp_json(content))
        except MalformedPayload as exc:
            raise MalformedPayload(f"{self.KIND} at {self.shown_url}, {what}: {exc}") from None

    def _json(self, resp: httpx.Response, what: str) -> Any:
        try:
            return resp.json()
        except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
            raise MalformedPayload(f"{self.KIND} at {self.shown_url}: {what} is not JSON") from None

    def close(self) -> None:
        self._http.close()

    def __enter__(self: _R) -> _R:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@")
"""A scheme and the userinfo after it, up to the last ``@`` of the authority."""


def shown_url(url: str) -> str:
    """The URL with any userinfo replaced by ``***``: what an error message, a report or a generated file
    may carry. The whole userinfo goes, the user name too: a token is often passed as the user alone. A
    secret-named query parameter (a proxy's ``?access_token=``) is masked as in a recorded value."""
    match = _USERINFO.match(url)
    return mask_text(url if match is None else f"{match.group(1)}***@{url[match.end():]}")


def link_url(url: str) -> str:
    """The URL without userinfo, for links a browser opens (it asks for credentials itself)."""
    match = _USERINFO.match(url)
    return url if match is None else match.group(1) + url[match.end():]


def snippet(resp: httpx.Response) -> str:
    text = resp.text.strip().replace("\n", " ")
    return text[:300] + ("…" if len(text) > 300 else "")


def norm_trace_id(trace_id: str) -> str:
    """Lowercase 32-hex; backends trim leading zeros and users paste uppercase."""
    tid = trace_id.strip().lower()
    try:
        int(tid, 16)
    except ValueError:
        raise ReadError(f"{trace_id!r} is not a hex trace id") from None
    if len(tid) > 32:
        raise ReadError(f"{trace_id!r} is longer than a trace id (32 hex digits)")
    return tid.rjust(32, "0")


def split_url(uri: str) -> SplitResult:
    """``urlsplit`` raising ``ReadError`` for a URL it can't take apart (a broken IPv6 host such as
    ``[::1``), which ``urlsplit`` reports as a bare ``ValueError``: a traceback, and exit 1 from the gate."""
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - checks the port's digits and range, or raises ValueError
    except ValueError as exc:
        raise ReadError(f"invalid source URL {shown_url(uri)!r}: {exc}") from None
    return parts


def parse_headers(items: str | list[str] | tuple[str, ...] | None) -> dict[str, str]:
    """``Name: value`` items (``--header``), or ``name=value,…`` as in ``OTEL_EXPORTER_OTLP_HEADERS``.

    Raises ``ReadError`` naming the bad item without its value (it may be a secret).
    """
    if not items:
        return {}
    parts = [p for p in items.split(",") if p.strip()] if isinstance(items, str) else list(items)
    out: dict[str, str] = {}
    for item in parts:
        colon, eq = item.find(":"), item.find("=")
        cut = colon if colon > 0 and (eq < 0 or colon < eq) else eq
        name = item[:cut].strip() if cut > 0 else ""
        if not name or any(c.isspace() for c in name):
            raise ReadError("a header is not 'Name: value' (value not shown: it may be a secret)")
        out[name] = item[cut + 1:].strip()
    return out
