"""The one place HTTP failures become typed read errors with a message a user can act on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from agentops_otel.read._errors import BackendUnreachable, ReadError


class HttpBackend:
    """A base URL, a client and a name to put in error messages."""

    def __init__(self, kind: str, base_url: str, timeout: float, client: httpx.Client | None) -> None:
        self.kind = kind
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._own_client = client is None
        self.client = client or httpx.Client(timeout=timeout)

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> httpx.Response | None:
        """The response, or None on 404; raises ``BackendUnreachable`` / ``ReadError`` otherwise."""
        url = self.base_url + path
        try:
            # Tempo answers protobuf unless JSON is asked for; Jaeger ignores the header.
            resp = self.client.get(url, params=params, headers={"Accept": "application/json"})
        except httpx.TimeoutException:
            raise BackendUnreachable(
                f"{self.kind} at {self.base_url} did not answer within {self.timeout:g}s ({path})"
            ) from None
        except httpx.TransportError as exc:
            raise BackendUnreachable(
                f"cannot reach {self.kind} at {self.base_url}: {exc or type(exc).__name__}. "
                f"Is it running, and is the URL right?"
            ) from None
        except httpx.InvalidURL as exc:
            raise ReadError(f"invalid {self.kind} URL {url!r}: {exc}") from None
        if resp.status_code == 404:
            return None
        if resp.status_code >= 500:
            raise BackendUnreachable(
                f"{self.kind} at {self.base_url} failed with HTTP {resp.status_code}: {_snippet(resp)}"
            )
        if resp.status_code >= 400:
            raise ReadError(f"{self.kind} at {self.base_url} rejected {path} (HTTP {resp.status_code}): "
                            f"{_snippet(resp)}")
        return resp

    def close(self) -> None:
        if self._own_client:
            self.client.close()


def _snippet(resp: httpx.Response) -> str:
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
