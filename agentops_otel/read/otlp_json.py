"""OTLP JSON files, streamed: the collector's file exporter output, our own sink, saved API answers.

Files are memory-mapped and decoded line by line (:mod:`._otlp_decode` reads each document, in any of
the three dialects); a span's attributes stay a zero-copy view into the map (see ``_lazyattrs``), and
pages already decoded are handed back to the OS, so a million spans fit in a few hundred MB. A ``.gz``
file is first inflated into an anonymous temporary file so the same path applies. The cyclic GC is
paused while a line is decoded: the decoder allocates thousands of container objects per line, and
letting the collector scan them repeatedly made bulk decoding 4–5x slower in measurements.
"""

from __future__ import annotations

import gzip
import logging
import mmap
import os
import re
import shutil
import tempfile
import zlib
from collections.abc import Callable, Iterator
from typing import IO, Final

import msgspec

from agentops_otel._gc import gc_paused
from agentops_otel.read._errors import DECODE_ERRORS, MalformedPayload, ReadError, why_undecodable
from agentops_otel.read._otlp_decode import DOC_DECODER, Converter, decode_otlp_json
from agentops_otel.read._record import SpanRecord

_log = logging.getLogger(__name__)

__all__ = ["decode_otlp_json", "iter_documents", "read_otlp_file"]


# --- files ---------------------------------------------------------------------------------
_PAGE: Final = mmap.PAGESIZE
_RELEASE_EVERY: Final = 32 * 1024 * 1024
_BLANK: Final = re.compile(rb"[ \t\r\f\v]*")
"""A line of nothing but whitespace (what ``bytes.strip`` removes), of any length: skipped."""


def _is_gzip(path: str) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _inflate_to_temp(path: str) -> IO[bytes]:
    tmp = tempfile.TemporaryFile(prefix="agentops-otel-")  # noqa: SIM115 - returned open
    try:
        with gzip.open(path, "rb") as src:
            shutil.copyfileobj(src, tmp, 4 * 1024 * 1024)
    except EOFError:
        # Not treated like a line still being written: a cut gzip stream is far more often a crash or a
        # copy cut off than a live writer, and which sessions it holds can't be known.
        tmp.close()
        raise MalformedPayload(f"{path}: the gzip stream ends early (the file is cut short, or still being "
                               "compressed); read it once it is complete") from None
    except (OSError, zlib.error) as exc:
        tmp.close()
        raise MalformedPayload(f"{path}: broken gzip stream ({exc})") from None
    tmp.flush()
    return tmp


def _open_map(path: str) -> tuple[mmap.mmap | bytes, Callable[[int], None] | None, bool]:
    """The file's bytes, memory-mapped when possible, else read whole; a page releaser; whether the
    bytes are final (an inflated gzip stream, whose end was checked, can't grow)."""
    try:
        gz = _is_gzip(path)
        fh: IO[bytes] = _inflate_to_temp(path) if gz else open(path, "rb")  # noqa: SIM115
    except FileNotFoundError:
        raise ReadError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ReadError(f"{path}: is a directory, expected an OTLP JSON(-lines) file") from None
    except PermissionError:
        raise ReadError(f"{path}: permission denied") from None
    with fh:
        try:
            if os.fstat(fh.fileno()).st_size == 0:
                return b"", None, gz
            mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)  # keeps its own descriptor
        except (OSError, ValueError):
            fh.seek(0)
            return fh.read(), None, gz

    def release(upto: int) -> None:
        # Hand decoded pages back; views into them fault back in from the page cache on access.
        end = upto - upto % _PAGE
        if end > 0 and hasattr(mm, "madvise"):
            try:
                mm.madvise(mmap.MADV_DONTNEED, 0, end)
            except (OSError, ValueError):
                pass

    return mm, release, gz


def iter_documents(path: str | os.PathLike[str]) -> Iterator[tuple[int, memoryview]]:
    """(line number, zero-copy view) for each non-blank line of the file."""
    for lineno, chunk, _ in _lines(os.fspath(path)):
        yield lineno, chunk


def _lines(path: str) -> Iterator[tuple[int, memoryview, bool]]:
    """(line number, view, whether it is finished) for each non-blank line. Every line but the last ends
    in a newline; a last line without one may be a writer's work in progress, unless the file is a
    complete gzip stream: nothing appends to that, so its last line is as finished as any other."""
    data, release, final = _open_map(path)
    view = memoryview(data)
    n = len(data)
    pos = 0
    lineno = 0
    released = 0
    while pos < n:
        end = data.find(b"\n", pos)
        finished = end >= 0 or final
        if end < 0:
            end = n
        lineno += 1
        chunk = view[pos:end]
        pos = end + 1
        if _BLANK.fullmatch(chunk):  # stops at the first other byte: no copy of a long line
            continue
        yield lineno, chunk, finished
        if release is not None and pos - released > _RELEASE_EVERY:
            release(pos)
            released = pos


_warned_lines: dict[str, int] = {}
"""Per file, the line last warned about as still being written. A command streams a file several times
(index, then select; the gate three): the same unfinished line is said once, not once per pass. A line
finished since, and a new one being written, are another line: warned about again."""


_warned_remnants: set[tuple[str, int]] = set()
"""Lines cut by a crash already said (a command streams a file several times)."""


def _being_written(error: Exception) -> bool:
    """Whether a line without its newline reads like a writer's unfinished output: valid JSON that stops
    short. Anything else (zero bytes after a crash, garbage) is damage, whatever the position."""
    return isinstance(error, msgspec.DecodeError) and "truncated" in str(error)


def read_otlp_file(path: str | os.PathLike[str], *, unseen: list[str] | None = None) -> Iterator[SpanRecord]:
    """Stream records from a JSON-lines file (one OTLP document per line, ``.gz`` too).

    A file holding one pretty-printed document (``.json``) is accepted as well. A last line a writer is
    still appending to (no newline yet, JSON cut short) is skipped with a warning, and said in ``unseen``
    when given: the gate must know it did not see those sessions. So is a line a writer killed mid-line
    left (JSON cut short) with lines written after it, as our sink starts a new line after such a
    remnant. Any other line that can't be read, the last one included once its newline is written or
    when the file is a complete ``.gz`` (nothing
    appends to one), raises ``MalformedPayload`` naming the line; so does a gzip stream that ends early,
    and a file whose documents are none of them a trace export (another signal's file, lines of ``{}``).
    Lines appended after the call are not seen.

    The records' attributes are views into a memory map of the file: rotating it by renaming is
    fine, truncating it in place while the records are in use is not (the OS then faults on
    access). A ``.gz`` file is inflated into a private temporary file first, so it is immune.
    """
    p = os.fspath(path)
    conv = Converter()
    lines = _lines(p)
    first = True
    ahead: tuple[int, memoryview, bool] | None = None  # a line read ahead, after one cut by a crash
    while (item := ahead if ahead is not None else next(lines, None)) is not None:
        ahead = None
        lineno, chunk, finished = item
        with gc_paused():
            try:
                doc = DOC_DECODER.decode(chunk)
            except DECODE_ERRORS as exc:
                doc = None
                error = exc
            if doc is None:
                following = next(lines, None)
                last = following is None
                if last and not finished and _being_written(error):
                    if _warned_lines.get(p) != lineno:
                        _warned_lines[p] = lineno
                        _log.warning("%s: skipping truncated last line %d, still being written (%s)", p,
                                     lineno, why_undecodable(error))
                    if unseen is not None:
                        unseen.append(f"{p}, line {lineno}: still being written (no newline yet), "
                                      f"{chunk.nbytes:,} bytes not read")
                    return
                remnant = following is not None and _being_written(error)
                if first:
                    # Maybe one multi-line document (a pretty-printed .json export).
                    whole = _whole_file(p, conv, lineno, error, quiet=remnant)
                    if whole is not None:
                        yield from whole
                        _check_traces_seen(p, conv)
                        return
                if not remnant or following is None:
                    raise MalformedPayload(f"{p}, line {lineno}: not OTLP JSON ({why_undecodable(error)})")
                # A writer killed mid-line, and lines written after it (our sink starts a new line after
                # such a remnant): what follows is read, the remnant is said, and named as not seen.
                if (p, lineno) not in _warned_remnants:
                    _warned_remnants.add((p, lineno))
                    _log.warning("%s: skipping line %d, cut short by a writer that stopped mid-line (%s)", p,
                                 lineno, why_undecodable(error))
                if unseen is not None:
                    unseen.append(f"{p}, line {lineno}: cut short (a writer stopped mid-line), "
                                  f"{chunk.nbytes:,} bytes not read")
                ahead = following
                continue
            try:
                records = conv.records(doc, chunk)
            except MalformedPayload as exc:
                raise MalformedPayload(f"{p}, line {lineno}: {exc}") from None
        first = False
        yield from records
    _check_traces_seen(p, conv)


def _check_traces_seen(path: str, conv: Converter) -> None:
    """Raise when the file held documents but no trace export among them: the logs or metrics file given
    for the traces one. Read as "no sessions", a gate would judge nothing and say only that it found too
    few; an empty file, or one of empty batches (``{}``, what a proto3 writer makes of one), is no spans yet."""
    if conv.documents and not conv.trace_exports and conv.other_signals:
        held = f"only {', '.join(sorted(conv.other_signals))}, and no resourceSpans"
        raise MalformedPayload(f"{path}: no line of it is an OTLP trace export ({held}): is it the traces file?")


def _whole_file(path: str, conv: Converter, lineno: int, error: Exception,
                quiet: bool = False) -> list[SpanRecord] | None:
    """The records of a file that is one multi-line document; ``None`` when it is none and ``quiet`` (a
    first line cut by a crash, with lines after it), else ``MalformedPayload`` naming the first line."""
    data, _, _ = _open_map(path)
    with gc_paused():
        try:
            doc = DOC_DECODER.decode(memoryview(data))
        except DECODE_ERRORS:
            if quiet:
                return None
            raise MalformedPayload(f"{path}, line {lineno}: not OTLP JSON ({why_undecodable(error)})") from None
        try:
            return conv.records(doc, data)
        except MalformedPayload as exc:
            raise MalformedPayload(f"{path}: {exc}") from None


