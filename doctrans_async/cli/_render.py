"""How the CLI shows things: plain lines and tables, or rich's live progress and tables on a terminal.

``rich`` is an optional extra: it is imported only when a terminal asks for it, so the library (and the plain
output) works without it.

Text from the service is untrusted: every line and cell is shown through :func:`printable` (control, format and
separator characters become visible escapes, so no escape sequence reaches the terminal) after the key is
redacted, and rich is never asked to read markup in it.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from collections.abc import Callable, Sequence
from datetime import datetime
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, Protocol

import cattrs

from doctrans_async._clock import Clock, SystemClock
from doctrans_async._models import BatchStatus, DocumentStatus, StatusSummary
from doctrans_async._redact import Redactor

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

__all__ = [
    "DOCUMENT_COLUMNS",
    "PlainRenderer",
    "ProgressDisplay",
    "Renderer",
    "RichRenderer",
    "document_row",
    "make_renderer",
    "printable",
    "summary_rows",
    "to_json",
]

_json = cattrs.Converter()
# Datetimes as ISO 8601; enums (Status) already unstructure to their wire strings.
_json.register_unstructure_hook(datetime, datetime.isoformat)


def to_json(value: Any, redactor: Redactor | None = None) -> str:
    """``value`` (a model, or a list of them) as one line of JSON, with snake_case keys, the secrets ``redactor``
    knows replaced. ASCII only: every other character, and every control character, is a JSON escape."""
    plain = _json.unstructure(value)
    return json.dumps(redactor.value(plain) if redactor is not None else plain)


# Categories that can move the cursor, retitle the window, reorder text (bidi overrides) or break a line:
# C0/C1 controls, format characters, lone surrogates (unencodable), line and paragraph separators.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_MAYBE_HIDDEN = re.compile(r"[^\x20-\x7e]")


def _escape(match: re.Match[str]) -> str:
    character = match.group()
    if unicodedata.category(character) not in _HIDDEN_CATEGORIES:
        return character
    code = ord(character)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def printable(text: str) -> str:
    """``text`` safe to show on a terminal: control, format and separator characters (ESC, CR, newline, bidi
    overrides, ...) written as visible escapes such as ``\\x1b``, everything else kept."""
    return _MAYBE_HIDDEN.sub(_escape, text)


# --- what is shown ---------------------------------------------------------------------------------------

DOCUMENT_COLUMNS = ("id", "status", "progress", "characters", "error")


def document_row(document: DocumentStatus, *, short: bool = False) -> tuple[str, ...]:
    """One row of a documents table: id (its first 8 characters if ``short``), status, progress, characters
    charged, error code."""
    error = document.error.code if document.error is not None else ""
    identity = document.id[:8] if short else document.id
    return (identity, str(document.status), f"{document.progress:.0%}", str(document.character_charged), error)


def counts(summary: StatusSummary) -> str:
    """``12/36 finished (10 succeeded, 2 failed, 0 cancelled)``."""
    return (
        f"{summary.finished}/{summary.total} finished "
        f"({summary.success} succeeded, {summary.failed} failed, {summary.cancelled} cancelled)"
    )


def summary_rows(status: BatchStatus) -> list[tuple[str, str]]:
    """A batch's status as (field, value) rows."""
    s = status.summary
    took = status.last_action_at - status.created_at
    return [
        ("batch", status.id),
        ("status", str(status.status)),
        ("documents", str(s.total)),
        ("succeeded", str(s.success)),
        ("failed", str(s.failed)),
        ("cancelled", str(s.cancelled)),
        ("in progress", str(s.in_progress)),
        ("not started", str(s.not_yet_started)),
        ("characters charged", str(s.total_character_charged)),
        ("created", status.created_at.isoformat(timespec="seconds")),
        ("last action", f"{status.last_action_at.isoformat(timespec='seconds')} ({took.total_seconds():.1f}s later)"),
    ]


# --- renderers -------------------------------------------------------------------------------------------


class ProgressDisplay(Protocol):
    """Shows a batch's statuses while it is waited on: a context manager fed every status fetched."""

    def __enter__(self) -> Callable[[BatchStatus], None]: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...


class Renderer(Protocol):
    """Where the CLI's human-readable output goes: every text shown through :meth:`shown`."""

    live: bool
    """True when the output is an animated display (so polling faster is worth it)."""

    redactor: Redactor
    """The secrets that must never be shown (the key, once the command knows it)."""

    def shown(self, text: str) -> str:
        """``text`` as it may be shown: secrets redacted, then :func:`printable`."""

    def error(self, text: str) -> None:
        """Tell the user what went wrong, on stderr."""

    def warning(self, text: str) -> None:
        """Tell the user about something that did not stop the command, on stderr."""

    def line(self, text: str = "") -> None:
        """Print one line of text (a line break in it is shown, not obeyed)."""

    def lines(self, text: str) -> None:
        """Print the lines of a text of ours, one by one."""

    def table(self, title: str, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        """Print a table."""

    def progress(self) -> ProgressDisplay:
        """A display for one wait."""


class _PlainProgress:
    """One line per change of the batch's status or counts, each stamped with the time waited so far."""

    def __init__(self, out: IO[str], clock: Clock, shown: Callable[[str], str]) -> None:
        self._out = out
        self._clock = clock
        self._shown = shown
        self._started = 0.0
        self._last: tuple[object, StatusSummary] | None = None

    def __enter__(self) -> Callable[[BatchStatus], None]:
        self._started = self._clock.monotonic()
        return self._show

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    def _show(self, status: BatchStatus) -> None:
        seen = (status.status, status.summary)
        if seen == self._last:
            return
        self._last = seen
        elapsed = self._clock.monotonic() - self._started
        line = f"[{elapsed:6.1f}s] {status.status!s:<16} {counts(status.summary)}"
        print(self._shown(line), file=self._out, flush=True)


class _Shown:
    """What every renderer shares: the redactor, and the messages on stderr."""

    redactor = Redactor()

    def shown(self, text: str) -> str:
        """``text`` as it may be shown: secrets redacted, then :func:`printable`."""
        return printable(self.redactor.text(text))

    def error(self, text: str) -> None:
        """Tell the user what went wrong, on stderr."""
        print(f"doctrans: error: {self.shown(text)}", file=sys.stderr, flush=True)

    def warning(self, text: str) -> None:
        """Tell the user about something that did not stop the command, on stderr."""
        print(f"doctrans: warning: {self.shown(text)}", file=sys.stderr, flush=True)

    def line(self, text: str = "") -> None:
        """Print one line of text."""
        raise NotImplementedError

    def lines(self, text: str) -> None:
        """Print the lines of a text of ours, one by one."""
        for line in text.splitlines():
            self.line(line)


class PlainRenderer(_Shown):
    """Plain text, no colours, no animation: for pipes, logs and terminals without rich."""

    live = False

    def __init__(self, *, clock: Clock | None = None, out: IO[str] | None = None) -> None:
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._out = out

    @property
    def out(self) -> IO[str]:
        # Looked up at each write, so a stdout replaced after construction (pytest's capsys) is honoured.
        return self._out if self._out is not None else sys.stdout

    def line(self, text: str = "") -> None:
        """Print one line of text."""
        print(self.shown(text), file=self.out, flush=True)

    def table(self, title: str, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        """Print a left-aligned table under its title."""
        rows = [[self.shown(cell) for cell in row] for row in rows]
        widths = [max(len(str(cell)) for cell in column) for column in zip(columns, *rows, strict=False)]
        self.line(title)
        # A key-value table has no header worth a line.
        for cells in (columns, *rows) if any(columns) else rows:
            self.line("  " + "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip())

    def progress(self) -> ProgressDisplay:
        """Lines as the batch moves."""
        return _PlainProgress(self.out, self._clock, self.shown)


class _RichProgress:
    """A live bar: documents finished of total, counts by outcome, elapsed time and the batch's status."""

    def __init__(self, console: Console, shown: Callable[[str], str]) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._shown = shown
        self._progress: Progress = Progress(
            TextColumn("{task.fields[status]:<12}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(
                "[green]{task.fields[success]} succeeded[/]  [red]{task.fields[failed]} failed[/]  "
                "[yellow]{task.fields[cancelled]} cancelled[/]"
            ),
            TimeElapsedColumn(),
            console=console,
        )
        self._task: TaskID | None = None

    def __enter__(self) -> Callable[[BatchStatus], None]:
        self._progress.start()
        self._task = self._progress.add_task("batch", total=None, status="...", success=0, failed=0, cancelled=0)
        return self._show

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.stop()

    def _show(self, status: BatchStatus) -> None:
        from rich.markup import escape

        assert self._task is not None
        s = status.summary
        self._progress.update(
            self._task,
            total=s.total or None,
            completed=s.finished,
            status=escape(self._shown(str(status.status))),  # the column reads markup: the service's must not be
            success=s.success,
            failed=s.failed,
            cancelled=s.cancelled,
        )


class RichRenderer(_Shown):
    """rich's tables and a live progress bar, for a terminal."""

    live = True

    def __init__(self, console: Console) -> None:
        self._console = console

    def line(self, text: str = "") -> None:
        """Print one line as is: no markup, no highlighting, no re-wrapping of preformatted lines."""
        self._console.print(self.shown(text), markup=False, highlight=False, soft_wrap=True)

    def table(self, title: str, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        """Print a rich table; cells are Text, never markup (a '[link=...]' from the service stays text)."""
        from rich.table import Table
        from rich.text import Text

        table = Table(*columns, title=Text(self.shown(title)), title_justify="left", show_header=any(columns))
        for row in rows:
            table.add_row(*(Text(self.shown(cell)) for cell in row))
        self._console.print(table)

    def progress(self) -> ProgressDisplay:
        """A live progress bar."""
        return _RichProgress(self._console, self.shown)


def make_renderer(*, plain: bool, clock: Clock) -> Renderer:
    """rich on a terminal when it is installed (and not ``plain``); plain text otherwise."""
    if not plain and sys.stdout.isatty():
        try:
            from rich.console import Console
        except ImportError:
            pass
        else:
            return RichRenderer(Console())
    return PlainRenderer(clock=clock)
