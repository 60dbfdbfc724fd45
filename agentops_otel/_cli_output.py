"""Standard output for a command whose exit code is its answer.

``gate`` and ``diff`` say what they decided in their exit code; the report on stdout is for a human.
So a reader that went away (``gate … | grep -q FAIL`` after its match, a log shipper that died) must
not turn a FAIL into 0 — the broken pipe is swallowed and the command's own code stands — and a write
that fails for any other reason (a full disk) is an error the user can read (exit 2), not a traceback
that exits 1, which reads as "a bound was broken".
"""

from __future__ import annotations

import os
from typing import Any, TextIO

from agentops_otel._cli_args import CliError


class Output:
    """Wraps a text stream: writes after the reader left are dropped, other write errors become ``CliError``."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.reader_gone = False

    def write(self, text: str) -> int:
        if not self.reader_gone:
            try:
                self._stream.write(text)
            except BrokenPipeError:
                self._drop()
            except OSError as exc:
                raise CliError(f"cannot write the output: {exc.strerror or exc}") from None
        return len(text)

    def flush(self) -> None:
        if self.reader_gone:
            return
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._drop()
        except OSError as exc:
            raise CliError(f"cannot write the output: {exc.strerror or exc}") from None

    def isatty(self) -> bool:
        try:
            return bool(self._stream.isatty())
        except (AttributeError, ValueError):
            return False

    def _drop(self) -> None:
        """Stop writing; point the descriptor at /dev/null so the interpreter's flush at exit cannot fail
        again (it would print a BrokenPipeError and exit 120)."""
        self.reader_gone = True
        try:
            fd = self._stream.fileno()
        except (AttributeError, OSError, ValueError):  # an in-memory stream: nothing is flushed at exit
            return
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, fd)
        finally:
            os.close(devnull)

    def __getattr__(self, name: str) -> Any:  # encoding, fileno, … for rich's Console
        return getattr(self._stream, name)


__all__ = ["Output"]
