"""Copying a streamed answer's bytes as the agent's client reads them, for the recording.

The SDK hands the agent a ``Stream`` that reads the response as it arrives: the recorder cannot read the
body first without changing what the agent sees (and when). So the response's byte stream is swapped for
one that passes each chunk on and keeps a copy; the step is completed when the stream ends or is closed.
A connection that fails mid-answer (dropped, timed out) is handed over with the bytes that arrived before
it: the agent saw an error there, not the end of the answer, and so must its replay.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from .. import _guard

__all__ = ["tee_stream"]


class _Tee:
    """The response body as the SDK reads it, copied on the way past; the step completes at the end."""

    def __init__(self, inner: Any, done: Callable[[bytes, Exception | None], None]) -> None:
        self._inner = inner
        self._done = done
        self._chunks: list[bytes] = []
        self._error: Exception | None = None
        self._finished = False

    def _finish(self) -> None:
        if not self._finished:
            self._finished = True
            with _guard.guard("replay.record_stream"):
                self._done(b"".join(self._chunks), self._error)

    def __iter__(self) -> Iterator[bytes]:
        try:
            chunks = iter(self._inner)
            while True:
                try:
                    chunk = next(chunks)
                except StopIteration:
                    return
                except Exception as exc:  # the transport's, not the agent's (which is thrown in at the yield)
                    self._error = exc
                    raise
                self._chunks.append(chunk)
                yield chunk
        finally:
            self._finish()

    async def __aiter__(self) -> Any:
        try:
            chunks = aiter(self._inner)
            while True:
                try:
                    chunk = await anext(chunks)
                except StopAsyncIteration:
                    return
                except Exception as exc:
                    self._error = exc
                    raise
                self._chunks.append(chunk)
                yield chunk
        finally:
            self._finish()

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            self._finish()

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            self._finish()


def tee_stream(response: Any, done: Callable[[bytes, Exception | None], None], is_async: bool) -> None:
    """Swap the response's byte stream for a copying one of the same (sync/async) kind; ``done`` gets the
    bytes and the error that cut the stream short, if one did."""
    import importlib

    httpx = importlib.import_module(type(response).__module__.split(".")[0])
    tee = _Tee(response.stream, done)
    base = httpx.AsyncByteStream if is_async else httpx.SyncByteStream

    class _Stream(base):  # type: ignore[misc, valid-type]
        def __iter__(self) -> Iterator[bytes]:
            return iter(tee)

        def __aiter__(self) -> Any:
            return tee.__aiter__()

        def close(self) -> None:
            tee.close()

        async def aclose(self) -> None:
            await tee.aclose()

    response.stream = _Stream()
