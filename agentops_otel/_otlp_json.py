"""OTLP JSON lines, as the OpenTelemetry Collector's file exporter writes them.

One ``{"resourceSpans": [...]}`` object per line (per export batch): hex ids, int64 values as
strings, enums as integers, camelCase keys. Writing the collector's own format means the embedded
default sink, a collector's file exporter and our readers all speak one dialect. Attribute values
are encoded by ``_otlp_values``, which also holds their decoding, so the two directions stay one.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import stat
from collections.abc import Sequence
from typing import Any, Final

import msgspec
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from . import _forksafe
from ._guard import report
from ._otlp_values import attributes_to_key_values
from ._private import private_folder
from ._serialize import str_subclass_as_str

logger = logging.getLogger("agentops_otel")
_encoder = msgspec.json.Encoder(enc_hook=str_subclass_as_str)


def _unwritable(path: str) -> tuple[int, str] | None:
    """What will stop ``path`` being written, with the errno its write would fail with (None: nothing
    seen; the system may still refuse, and the export then says so)."""
    if os.path.isdir(path):
        return errno.EISDIR, "is a directory, not a file"
    existing = os.path.dirname(os.path.abspath(path))
    while not os.path.lexists(existing):  # folders missing are created on first write
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        return errno.ENOTDIR, f"cannot be created: {existing!r} is a file, not a folder"
    target = path if os.path.lexists(path) else existing
    if not os.access(target, os.W_OK):
        return errno.EACCES, f"cannot be written: {target!r} is not writable by this process"
    return _foreign(path)


_TRACE_STARTS: Final = (b'{"resourceSpans"', b'{"resource_spans"')
_FOREIGN: Final = (errno.EEXIST, "is not a trace file (its first line is not OTLP JSON): it is left as it is")


def _foreign(path: str) -> tuple[int, str] | None:
    """Refuse a file that holds something else (a replay page, a script, a config the variable names by
    mistake): spans appended to it would damage the user's file and be unreadable themselves."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None  # a pipe, a device (/dev/stdout): streamed to, never read here (a read would block)
        with open(path, "rb") as existing:
            head = existing.read(256)
    except OSError:  # absent (created on first write), or unreadable: the write says so
        return None
    start = b"".join(head.split())  # blanks apart, as a JSON reader sees it
    if not start or start.startswith(_TRACE_STARTS) or any(t.startswith(start) for t in _TRACE_STARTS):
        return None
    return _FOREIGN


def _ends_mid_line(path: str, size: int) -> bool:
    """Whether the file ends in a line cut short (a writer killed mid-write, a full disk): appended to as
    is, our first batch would be glued onto it into one line no reader can read, and every later session
    in the file would be unreadable with it. Unknown (not readable by us) counts as not."""
    if not size:
        return False
    try:
        with open(path, "rb") as existing:
            existing.seek(size - 1)
            return existing.read(1) not in (b"\n", b"")
    except OSError:
        return False


def span_to_json(span: ReadableSpan) -> dict[str, Any]:
    ctx = span.context
    out: dict[str, Any] = {
        "traceId": format(ctx.trace_id, "032x") if ctx else "",
        "spanId": format(ctx.span_id, "016x") if ctx else "",
        "name": span.name,
        "kind": span.kind.value + 1,  # the SDK's INTERNAL is 0; OTLP's SPAN_KIND_INTERNAL is 1
        "startTimeUnixNano": str(span.start_time or 0),
        "endTimeUnixNano": str(span.end_time or 0),
        "attributes": attributes_to_key_values(span.attributes),
        "status": {"code": span.status.status_code.value},
    }
    if ctx is not None and ctx.trace_state:
        out["traceState"] = ctx.trace_state.to_header()
    if span.parent is not None:
        out["parentSpanId"] = format(span.parent.span_id, "016x")
    if span.status.description:
        out["status"]["message"] = span.status.description
    if span.events:
        out["events"] = [
            {"timeUnixNano": str(e.timestamp), "name": e.name, "attributes": attributes_to_key_values(e.attributes)}
            for e in span.events
        ]
    if span.links:
        out["links"] = [
            {"traceId": format(link.context.trace_id, "032x"), "spanId": format(link.context.span_id, "016x"),
             "attributes": attributes_to_key_values(link.attributes)}
            for link in span.links
        ]
    return out


def encode_batch(spans: Sequence[ReadableSpan]) -> bytes:
    """Group spans by resource and scope, the way OTLP nests them."""
    by_resource: dict[int, tuple[Any, dict[tuple[str, str], list[dict[str, Any]]]]] = {}
    for span in spans:
        resource = span.resource
        entry = by_resource.setdefault(id(resource), (resource, {}))
        scope = span.instrumentation_scope
        key = (scope.name if scope else "", (scope.version or "") if scope else "")
        entry[1].setdefault(key, []).append(span_to_json(span))
    resource_spans = []
    for resource, scopes in by_resource.values():
        resource_spans.append({
            "resource": {"attributes": attributes_to_key_values(resource.attributes if resource else None)},
            "scopeSpans": [
                {"scope": {"name": name, **({"version": version} if version else {})}, "spans": items}
                for (name, version), items in scopes.items()
            ],
        })
    return _encoder.encode({"resourceSpans": resource_spans})


class OTLPJsonFileExporter(SpanExporter):
    """Appends each batch as one JSON line; the file and its folder are created on first write.

    Traces hold prompts and tool arguments, so what we create is private: the file 0600, and any
    folder we create 0700 with a ``.gitignore`` (``*``) so a run inside a repository leaves
    ``git status`` clean. ``own_folder`` marks the folder as ours even when it exists already (the
    embedded default ``.agentops-otel``, perhaps left by an older version): it is tightened the same
    way. A folder of the user's that already exists is never changed.

    The file is never rotated here, but it may be rotated from outside while the process runs: a path
    that names another file at the next batch (renamed, deleted) is opened anew.
    """

    def __init__(self, path: str | os.PathLike[str], own_folder: bool = False, named: str | None = None,
                 fallback: bool = False) -> None:
        self.path = os.fspath(path)
        self.own_folder = own_folder
        self.named = named or f"the trace file {self.path!r}"
        """How the user chose this path (``AGENTOPS_OTEL_FILE='…'``), so an error names what to fix."""
        self.lost = ("spans the OTLP backend does not take would be lost" if fallback
                     else "spans meant for the file are lost")
        """What a file that cannot be written loses: everything, or (behind a backend) only what it misses."""
        self._lock = _forksafe.lock()
        self._fd: int | None = None
        self._file_id: tuple[int, int] = (0, 0)
        """Device and inode of the file ``_fd`` writes to: another file at the path means it was rotated."""
        self._closed = False
        self._told: set[int] = set()
        """The errnos already said: one line per problem, not one per batch."""

    def check(self) -> None:
        """Say at set-up what will stop the file being written, as far as can be seen without creating
        anything (the folders are made on first write): told at ``init()``, not at the first export."""
        try:
            found = _unwritable(self.path)
        except (OSError, ValueError):  # seen at the first write instead
            return
        if found is not None:
            self._tell(*found)

    def _tell(self, errno_: int, problem: str) -> None:
        """A configuration error, once per kind: the path is the user's to fix, not a bug of ours."""
        if errno_ in self._told:
            return
        self._told.add(errno_)
        try:
            logger.warning("agentops_otel: %s %s: %s", self.named, problem, self.lost)
        except Exception:  # pragma: no cover - a broken logging config must not break the app either
            pass

    def _open(self) -> int:
        folder = os.path.dirname(self.path)
        if folder:
            private_folder(folder, folder if self.own_folder else None)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            opened = os.fstat(fd)
            if opened.st_size and _foreign(self.path) is not None:
                raise OSError(_FOREIGN[0], _FOREIGN[1])
            if _ends_mid_line(self.path, opened.st_size):
                self._write(fd, b"\n")
        except BaseException:
            os.close(fd)
            raise
        self._file_id = (opened.st_dev, opened.st_ino)
        return fd

    def _moved(self) -> bool:
        """Whether the path no longer names the file we write to: renamed by a rotation (logrotate's default),
        or deleted. Written on, a process that runs for days would fill the rotated file, or a deleted one
        whose disk space nothing can free until it exits. One ``stat`` per batch."""
        try:
            now = os.stat(self.path)
        except (FileNotFoundError, NotADirectoryError):
            return True
        except OSError:  # can't tell (no longer allowed to look): keep writing where we were
            return False
        return (now.st_dev, now.st_ino) != self._file_id

    def _close_file(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)

    def _write(self, fd: int, line: bytes) -> None:
        """The whole line, with plain ``os.write``: a buffered file object has a lock of its own, which a
        forked child would find held for good if the parent's export was inside a write at the fork."""
        view = memoryview(line)
        while view:
            written = os.write(fd, view)
            if not written:
                raise OSError(f"no room to write to {self.path}")
            view = view[written:]

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self._closed:
            return SpanExportResult.FAILURE
        try:
            line = encode_batch(spans) + b"\n"
            with self._lock:
                if self._fd is not None and self._moved():
                    self._close_file()
                if self._fd is None:
                    self._fd = self._open()
                try:
                    self._write(self._fd, line)
                except OSError:
                    # Part of the line may be in the file (a full disk): written on, the next batch would be
                    # glued onto it, one line no reader can decode, and the whole file unreadable. Reopened
                    # instead, the file is seen to end mid-line and the next batch starts a line of its own.
                    self._close_file()
                    raise
            return SpanExportResult.SUCCESS
        except OSError as exc:
            where = f": {exc.filename!r}" if exc.filename and exc.filename != self.path else ""
            self._tell(exc.errno or 0, f"cannot be written ({exc.strerror or exc}{where})")
            return SpanExportResult.FAILURE
        except Exception as exc:
            report("file_exporter.export", exc)
            return SpanExportResult.FAILURE

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True

    def shutdown(self) -> None:
        with self._lock:
            self._closed = True
            self._close_file()
