"""How the CLI shows things: plain lines and tables, or rich's live progress and tables on a terminal.

``rich`` is an optional extra: it is imported only when a terminal asks for it, so the library (and the plain
output) works without it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, Protocol

import cattrs

from doctrans_async._clock import Clock, SystemClock
from doctrans_async._models import BatchStatus, DocumentStatus, StatusSummary

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
    "summary_rows",
    "to_json",
]

_json = cattrs.Converter()
# Datetimes as ISO 8601; enums (Status) already unstructure to their wire strings.
_json.register_unstructure_hook(datetime, datetime.isoformat)


def to_json(value: Any) -> str:
    """``value`` (a model, or a list of them) as one line of JSON, with snake_case keys."""
    return json.dumps(_json.unstructure(value))


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
    """Where the CLI's human-readable output goes."""

    live: bool
    """True when the output is an animated display (so polling faster is worth it)."""

    def line(self, text: str = "") -> None:
        """Print a line of text."""

    def table(self, title: str, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        """Print a table."""

    def progress(self) -> ProgressDisplay:
        """A display for one wait."""


class _PlainProgress:
    """One line per change of the batch's status or counts, each stamped with the time waited so far."""

    def __init__(self, out: IO[str], clock: Clock) -> None:
        self._out = out
        self._clock = clock
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
        print(f"[{elapsed:6.1f}s] {status.status!s:<16} {counts(status.summary)}", file=self._out, flush=True)


class PlainRenderer:
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
        """Print a line of text."""
        print(text, file=self.out, flush=True)

    def table(self, title: str, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        """Print a left-aligned table under its title."""
        widths = [max(len(str(cell)) for cell in column) for column in zip(columns, *rows, strict=False)]
        self.line(title)
        # A key-value table has no header worth a line.
        for cells in (columns, *rows) if any(columns) else rows:
            self.line("  " + "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip())

    def progress(self) -> ProgressDisplay:
        """Lines as the batch moves."""
        return _PlainProgress(self.out, self._clock)


class _RichProgress:
    """A live bar: documents finished of total, counts by outcome, elapsed time and the batch's status."""

    def __init__(self, console: Console) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

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
        self._task = self._progress.add_task("batch", total=None, status="…", success=0, failed=0, cancelled=0)
        return self._show

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.stop()

    def _show(self, status: BatchStatus) -> None:
        assert self._task is not None
        s = status.summary
        self._progress.update(
            self._task,
            total=s.total or None,
            completed=s.finished,
            status=str(status.status),
            success=s.success,
            failed=s.failed,
            cancelled=s.cancelled,
        )


class RichRenderer:
    """rich's tables and a live progress bar, for a terminal."""

    live = True

    def __init__(self, console: Console) -> None:
        self._console = console

    def line(self, text: str = "") -> None:
        """Print a line of text as is: no markup, no highlighting, no re-wrapping of preformatted lines."""
        self._console.print(text, markup=False, highlight=False, soft_wrap=True)

    def table(self, title: str, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        """Print a rich table."""
        from rich.table import Table

        table = Table(*columns, title=title, title_justify="left", show_header=any(columns))
        for row in rows:
            table.add_row(*row)
        self._console.print(table)

    def progress(self) -> ProgressDisplay:
        """A live progress bar."""
        return _RichProgress(self._console)


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
