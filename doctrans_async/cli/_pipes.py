"""Output streams for a command line: quiet when the reader goes away, never unable to encode a character.

``doctrans wait ID | head -1`` closes the pipe after one line. Python ignores SIGPIPE, so the next write raises
``BrokenPipeError``; letting it escape would print a traceback and exit 1, which means "the batch Failed". Here
the stream points its file descriptor at ``/dev/null`` instead, and the command goes on to its own exit status
(the batch's outcome), printing nothing more.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from typing import Any, TextIO

__all__ = ["QuietPipe", "guarded_streams", "output_gone", "write_bytes"]


class QuietPipe(io.TextIOBase):
    """A text stream that goes quiet, instead of raising, once its reader has closed the pipe."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self._stream = stream
        self.gone = False
        """True once the reader went away: everything written since went to /dev/null."""

    def silence(self) -> None:
        """From now on, write nothing: the reader has gone."""
        self.gone = True
        # At the descriptor, so that the interpreter's own flush at exit has nowhere to fail either.
        with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, self._stream.fileno())
            finally:
                os.close(devnull)

    def write(self, text: str) -> int:
        """Write ``text``; a closed pipe swallows it."""
        if not self.gone:
            try:
                self._stream.write(text)
            except BrokenPipeError:
                self.silence()
        return len(text)

    def flush(self) -> None:
        """Flush; a closed pipe ends it quietly."""
        if not self.gone:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self.silence()

    def isatty(self) -> bool:
        """Whether the stream is a terminal."""
        return self._stream.isatty()

    def fileno(self) -> int:
        """The stream's file descriptor."""
        return self._stream.fileno()

    def writable(self) -> bool:
        """Always."""
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        """The stream's encoding."""
        return self._stream.encoding

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        """The stream's error handler."""
        return self._stream.errors

    @property
    def buffer(self) -> Any:
        """The binary stream beneath (``translate -o -`` writes bytes there)."""
        return self._stream.buffer


def _readable_anywhere(stream: TextIO) -> None:
    # An ASCII-only stdout (PYTHONIOENCODING=ascii, some C locales) shows 'é' as '\xe9' rather than failing.
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors="backslashreplace")


@contextlib.contextmanager
def guarded_streams() -> Iterator[None]:
    """stdout and stderr as :class:`QuietPipe` streams that can encode any text, for the block's duration."""
    saved = sys.stdout, sys.stderr
    for stream in saved:
        _readable_anywhere(stream)
    sys.stdout, sys.stderr = QuietPipe(saved[0]), QuietPipe(saved[1])
    try:
        yield
    finally:
        for guard in (sys.stdout, sys.stderr):
            guard.flush()
        sys.stdout, sys.stderr = saved


def write_bytes(data: bytes) -> None:
    """Write ``data`` to stdout's binary stream; a reader that stops early (``| head -c 10``) is its choice."""
    sys.stdout.flush()
    try:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        if isinstance(sys.stdout, QuietPipe):
            sys.stdout.silence()  # and nothing more is written, text or bytes


def output_gone() -> bool:
    """True once nobody reads stdout any more (so a listing may stop early)."""
    return isinstance(sys.stdout, QuietPipe) and sys.stdout.gone
