"""The simulated service: batches and their documents as pure functions of time.

Nothing here does I/O or reads a clock. A batch is fixed at creation (its size, duration, which documents fail);
its state at any moment is *computed* from the elapsed time, never stored and advanced. That is what makes a
faulted request harmless (retrying the same URL at the same time gives the same page) and a 100,000-document batch
cheap: a page of 50 documents costs 50 small computations, whatever the batch size.

The schedule of a batch of ``n`` documents lasting ``seconds``: time is cut into ``n + parallel`` equal ticks;
tick ``k`` starts document ``k - 1`` and finishes document ``k - 1 - parallel``, so up to ``parallel`` documents run
at once, nothing runs during the first tick (the batch is NotStarted) and the last document finishes at exactly
``seconds``. Processing order is document order, which is also listing order (ids sort descending by index).
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
import random
import uuid
from array import array
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Literal, TypedDict, Unpack

import attrs

__all__ = [
    "VALIDATION_FAILURES",
    "Batch",
    "BatchOptions",
    "BatchView",
    "DocumentView",
    "Moment",
    "NotCancellable",
    "Outcome",
    "Runs",
    "Service",
    "Status",
    "format_ticks",
    "to_ticks",
]

Outcome = Literal["Succeeded", "Failed", "ValidationFailed"]

TICKS_PER_SECOND = 10_000_000
"""Timestamps are kept in 100 ns units, the resolution of the seven fractional digits on the wire."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_PARALLEL = 4
_VALIDATION_SECONDS = 0.2819394
"""How long after creation a ValidationFailed batch records its last action (as in the recorded one)."""
_MAX_DOCUMENTS = 0xFFFFFFFF
_DOCUMENT_SPACING = 23
"""Ticks between two documents' creation: the service stamps each document apart and lists them newest first
(recorded). 2.3 microseconds keep them apart in a Python datetime too and leave room for a client's
created-date bound (microseconds) between two of them; not a multiple of 10, so that their seventh fractional
digits differ, as the recorded ones do."""

VALIDATION_FAILURES = {
    "InvalidDocumentAccessLevel": "Cannot access source document location with the current permissions.",
    "InvalidTargetDocumentAccessLevel": "Cannot access target document location with the current permissions.",
    "TargetFileAlreadyExists": "Target document file already exists.",
}
"""Why a real batch failed validation (recorded inner error codes and their messages)."""


class Status(StrEnum):
    """A batch's or document's status. Member names match the client's ``Status``; values are the strings the
    real service sends (double-L ``Cancelled``/``Cancelling``)."""

    NOT_STARTED = "NotStarted"
    RUNNING = "Running"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    CANCELING = "Cancelling"
    CANCELED = "Cancelled"
    VALIDATION_FAILED = "ValidationFailed"

    @property
    def in_progress(self) -> bool:
        """Not finished yet: the service may still change it."""
        return self in (Status.NOT_STARTED, Status.RUNNING, Status.CANCELING)


class BatchOptions(TypedDict, total=False):
    """The shape of a batch to create, every key optional: the keywords of
    :meth:`doctrans_async.emulator.Emulator.add_batch` (defaults there)."""

    documents: int | Sequence[str]
    """A document count, or the documents' file names."""
    seconds: float
    """Emulator-clock seconds from creation until the last document finishes."""
    outcome: Outcome
    failures: int
    """How many documents end Failed (``outcome="Failed"`` fails them all)."""
    target_language: str
    validation_error: str
    """With ``outcome="ValidationFailed"``: the inner error code, a key of :data:`VALIDATION_FAILURES`."""
    batch_id: str | None
    """The batch's id (a GUID); None draws one from the seed."""
    source_url: str
    target_url: str


class NotCancellable(Exception):
    """The batch already finished (or is already cancelling): the service answers 400."""

    def __init__(self, status: Status) -> None:
        super().__init__(status)
        self.status = status


def to_ticks(moment: datetime) -> int:
    """A timezone-aware datetime (naive means UTC) as 100 ns ticks since the Unix epoch."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(microseconds=1) * 10


def format_ticks(ticks: int) -> str:
    """``2024-10-11T02:18:42.6957534Z``: seven fractional digits and ``Z``, as the real service writes."""
    seconds, fraction = divmod(ticks, TICKS_PER_SECOND)
    return f"{_whole_second(seconds)}.{fraction:07d}Z"


@functools.lru_cache(maxsize=4096)
def _whole_second(seconds: int) -> str:
    # Listing 100k documents formats 200k timestamps that share few distinct seconds: strftime was the hot spot.
    return f"{datetime.fromtimestamp(seconds, UTC):%Y-%m-%dT%H:%M:%S}"


@attrs.frozen
class Runs:
    """An ordered selection of document indices, kept as ranges so a status filter on 100k documents stays cheap."""

    ranges: tuple[range, ...]

    def __len__(self) -> int:
        return sum(len(r) for r in self.ranges)

    def within(self, window: range) -> Runs:
        """The selection's indices that are in ``window`` (ascending, step 1), in the same order."""
        clipped = (range(max(r.start, window.start), min(r.stop, window.stop)) for r in self.ranges)
        return Runs(tuple(r for r in clipped if len(r)))

    def reversed(self) -> Runs:
        """The selection in the opposite order."""
        return Runs(tuple(r[::-1] for r in reversed(self.ranges)))

    def slice(self, start: int, stop: int) -> Iterator[int]:
        """The indices at positions ``start`` to ``stop`` (exclusive) of the selection."""
        position = 0
        for run in self.ranges:
            if position >= stop:
                return
            low, high = max(start - position, 0), min(stop - position, len(run))
            if low < high:
                yield from run[low:high]
            position += len(run)

    @classmethod
    def of(cls, runs: Iterable[range]) -> Runs:
        """Non-empty runs in ascending index order."""
        return cls(tuple(sorted((r for r in runs if len(r)), key=lambda r: r.start)))


@attrs.frozen
class Moment:
    """One batch at one instant: everything a document's state is derived from."""

    elapsed: float
    """Seconds since creation."""
    started: int
    """Documents with an index below this have started (frozen at the cancel instant once cancelled)."""
    finished: int
    """Documents with an index below this have ended, Succeeded or Failed."""
    cancel: Status | None
    """Cancelling or Cancelled once a cancel was asked for, else None."""
    progress_at: float
    """The instant running documents' progress is computed at (the cancel instant once cancelled)."""


@attrs.frozen
class DocumentView:
    """One document's state at one moment, in wire terms but not yet wire shape."""

    index: int
    id: str
    status: Status
    progress: float
    characters: int
    image_scans: int
    created_ticks: int
    last_action_ticks: int
    source_path: str
    path: str
    language: str


@attrs.frozen
class BatchView:
    """One batch's status and summary at one moment."""

    id: str
    status: Status
    created_ticks: int
    last_action_ticks: int
    total: int
    failed: int
    success: int
    in_progress: int
    not_yet_started: int
    cancelled: int
    characters: int
    image_scans: int
    validation_error: str | None = None
    """The inner error code of a ValidationFailed batch."""


@attrs.define
class Batch:
    """A batch as fixed at creation; ask it for a :class:`Moment` to learn its state at a time."""

    id: str
    sequence: int
    created: float
    """Creation instant on the emulator clock's monotonic scale."""
    created_ticks: int
    documents: int
    seconds: float
    failures: list[int]
    """Indices of the documents that end Failed, ascending."""
    outcome: Outcome
    language: str
    source_url: str
    target_url: str
    names: Sequence[str] | None
    document_suffix: str
    cancel_seconds: float
    validation_error: str
    """The inner error code it fails validation with, if its outcome is ValidationFailed."""
    cancelled_at: float | None = None
    """Elapsed seconds at which a cancel was accepted."""
    _charge_prefix: array[int] | None = None
    _failure_charge_prefix: list[int] | None = None
    _failure_image_prefix: list[int] | None = None

    @property
    def parallel(self) -> int:
        return min(self.documents, _PARALLEL)

    @property
    def ticks(self) -> int:
        return self.documents + self.parallel

    def tick_at(self, elapsed: float) -> int:
        """How many ticks have passed ``elapsed`` seconds after creation (the epsilon absorbs float error)."""
        if self.seconds <= 0:
            return self.ticks if elapsed >= 0 else 0
        return max(0, min(self.ticks, math.floor(elapsed * self.ticks / self.seconds + 1e-9)))

    def tick_seconds(self, tick: int) -> float:
        return tick * self.seconds / self.ticks if self.ticks else 0.0

    def moment(self, now: float) -> Moment:
        """The batch's state at ``now`` (monotonic seconds)."""
        elapsed = max(0.0, now - self.created)
        cancel: Status | None = None
        progress_at = elapsed
        if self.cancelled_at is not None and elapsed >= self.cancelled_at:
            done = elapsed >= self.cancelled_at + self.cancel_seconds
            cancel = Status.CANCELED if done else Status.CANCELING
            progress_at = self.cancelled_at
        tick = self.tick_at(progress_at)
        started = min(tick, self.documents)
        finished = max(0, min(tick - self.parallel, self.documents))
        return Moment(elapsed, started, finished, cancel, progress_at)

    def view(self, now: float) -> BatchView:
        """Status and summary counts at ``now``."""
        if self.outcome == "ValidationFailed":
            return self._validation_failed()
        m = self.moment(now)
        failed = bisect.bisect_left(self.failures, m.finished)
        success = m.finished - failed
        unfinished = self.documents - m.finished
        done_cancelling = m.cancel is Status.CANCELED
        characters, images = self._charged(m.finished)
        return BatchView(
            id=self.id,
            status=self._status(m, success),
            created_ticks=self.created_ticks,
            last_action_ticks=self._ticks(self._last_action(m)),
            total=self.documents,
            failed=failed,
            success=success,
            in_progress=0 if done_cancelling else m.started - m.finished,
            not_yet_started=0 if done_cancelling else self.documents - m.started,
            cancelled=unfinished if done_cancelling else 0,
            characters=characters,
            image_scans=images,
        )

    def _validation_failed(self) -> BatchView:
        return BatchView(
            id=self.id,
            status=Status.VALIDATION_FAILED,
            created_ticks=self.created_ticks,
            last_action_ticks=self._ticks(_VALIDATION_SECONDS),
            total=0,
            failed=0,
            success=0,
            in_progress=0,
            not_yet_started=0,
            cancelled=0,
            characters=0,
            image_scans=0,
            validation_error=self.validation_error,
        )

    def _status(self, m: Moment, success: int) -> Status:
        if m.cancel is not None:
            return m.cancel
        if m.started == 0:
            return Status.NOT_STARTED
        if m.finished < self.documents:
            return Status.RUNNING
        return Status.SUCCEEDED if success else Status.FAILED

    def _last_action(self, m: Moment) -> float:
        if m.cancel is Status.CANCELED:
            return m.progress_at + self.cancel_seconds
        if m.cancel is Status.CANCELING:
            return m.progress_at
        return self.tick_seconds(self.tick_at(m.elapsed))

    def _ticks(self, elapsed: float) -> int:
        return self.created_ticks + round(elapsed * TICKS_PER_SECOND)

    def cancel(self, now: float) -> None:
        """Accept a cancel at ``now``; raises :class:`NotCancellable` unless NotStarted or Running."""
        status = self.view(now).status
        if status not in (Status.NOT_STARTED, Status.RUNNING):
            raise NotCancellable(status)
        self.cancelled_at = max(0.0, now - self.created)

    def status_of(self, index: int, m: Moment) -> Status:
        """Document ``index``'s status at moment ``m``."""
        if index < m.finished:
            return Status.FAILED if self._fails(index) else Status.SUCCEEDED
        if m.cancel is not None:
            return m.cancel
        return Status.RUNNING if index < m.started else Status.NOT_STARTED

    def _fails(self, index: int) -> bool:
        position = bisect.bisect_left(self.failures, index)
        return position < len(self.failures) and self.failures[position] == index

    def document(self, index: int, m: Moment) -> DocumentView:
        """Document ``index`` at moment ``m``."""
        status = self.status_of(index, m)
        created = self.document_created_ticks(index)
        name = self.names[index] if self.names is not None else f"document-{index:06d}.txt"
        return DocumentView(
            index=index,
            id=self.document_id(index),
            status=status,
            progress=self._progress(index, status, m),
            characters=self.characters(index) if status is Status.SUCCEEDED else 0,
            image_scans=self.image_scans(index) if status is Status.SUCCEEDED else 0,
            created_ticks=created,
            last_action_ticks=max(created, self._ticks(self._document_last_action(index, status, m))),
            source_path=f"{self.source_url.rstrip('/')}/{name}",
            path=f"{self.target_url.rstrip('/')}/{name}",
            language=self.language,
        )

    def _progress(self, index: int, status: Status, m: Moment) -> float:
        if status is Status.SUCCEEDED:
            return 1
        if status is Status.FAILED or index >= m.started:
            return 0
        ran = m.progress_at * self.ticks / self.seconds - (index + 1) if self.seconds > 0 else 0.0
        return round(min(max(ran / self.parallel, 0.0), 0.99), 2)

    def _document_last_action(self, index: int, status: Status, m: Moment) -> float:
        if status in (Status.SUCCEEDED, Status.FAILED):
            return self.tick_seconds(index + 1 + self.parallel)
        if status is Status.CANCELED:
            return m.progress_at + self.cancel_seconds
        if status is Status.CANCELING:
            return m.progress_at
        return m.elapsed if status is Status.RUNNING else 0.0

    def document_created_ticks(self, index: int) -> int:
        """When document ``index`` was created: after its batch, the first listed last (listings are newest first)."""
        return self.created_ticks + (self.documents - index) * _DOCUMENT_SPACING

    def created_within(self, start: int | None, end: int | None) -> range:
        """The indices of the documents created from ``start`` to ``end`` ticks, both included (None: unbounded)."""
        # created(i) = created_ticks + (documents - i) * spacing falls as i grows, so the window is one index range.
        n, base = self.documents, self.created_ticks
        low = 0 if end is None else n - (end - base) // _DOCUMENT_SPACING
        high = n if start is None else n + 1 + (base - start) // _DOCUMENT_SPACING
        return range(max(low, 0), min(high, n))

    def document_id(self, index: int) -> str:
        """Ids sort descending by index, so the documented order (id descending) is processing order."""
        return f"{_MAX_DOCUMENTS - index:08x}-{self.document_suffix}"

    def document_index(self, document_id: str) -> int | None:
        """The index a document id names, or None if it is not one of this batch's."""
        head, _, tail = document_id.lower().partition("-")
        if tail != self.document_suffix or len(head) != 8:
            return None
        try:
            index = _MAX_DOCUMENTS - int(head, 16)
        except ValueError:
            return None
        return index if 0 <= index < self.documents else None

    def characters(self, index: int) -> int:
        """Characters charged for document ``index`` if it succeeds: varied but deterministic."""
        return 120 + (index * 7919 + self.sequence * 104729) % 2880

    def image_scans(self, index: int) -> int:
        """Images scanned in document ``index`` if it succeeds (every fifth document has one)."""
        return 1 if index % 5 == 0 else 0

    def _charged(self, finished: int) -> tuple[int, int]:
        """Characters and image scans charged for the succeeded documents among the first ``finished``."""
        if self._charge_prefix is None:
            charges = (self.characters(i) for i in range(self.documents))
            self._charge_prefix = array("q", itertools.accumulate(charges, initial=0))
            self._failure_charge_prefix = list(
                itertools.accumulate((self.characters(i) for i in self.failures), initial=0)
            )
            self._failure_image_prefix = list(
                itertools.accumulate((self.image_scans(i) for i in self.failures), initial=0)
            )
        assert self._failure_charge_prefix is not None
        assert self._failure_image_prefix is not None
        failed = bisect.bisect_left(self.failures, finished)
        characters = self._charge_prefix[finished] - self._failure_charge_prefix[failed]
        images = (finished + 4) // 5 - self._failure_image_prefix[failed]
        return characters, images

    def select(self, m: Moment, statuses: frozenset[Status] | None, ids: Iterable[str] | None = None) -> Runs:
        """The documents whose status at ``m`` is in ``statuses`` (None: any) and whose id is in ``ids``
        (None: any), in listing order."""
        if ids is not None:
            found = {i for i in map(self.document_index, ids) if i is not None}
            wanted = (i for i in found if statuses is None or self.status_of(i, m) in statuses)
            return Runs.of(range(i, i + 1) for i in wanted)
        if self.outcome == "ValidationFailed":
            return Runs(())
        if statuses is None:
            return Runs.of([range(self.documents)])
        return Runs.of(itertools.chain.from_iterable(self._runs(s, m) for s in statuses))

    def _runs(self, status: Status, m: Moment) -> Iterable[range]:
        finished_failures = self.failures[: bisect.bisect_left(self.failures, m.finished)]
        if status is Status.FAILED:
            return (range(i, i + 1) for i in finished_failures)
        if status is Status.SUCCEEDED:
            edges = [-1, *finished_failures, m.finished]
            return (range(a + 1, b) for a, b in itertools.pairwise(edges))
        if m.cancel is not None:
            return [range(m.finished, self.documents)] if status is m.cancel else []
        if status is Status.RUNNING:
            return [range(m.finished, m.started)]
        if status is Status.NOT_STARTED:
            return [range(m.started, self.documents)]
        return []


class Service:
    """Every batch the emulator knows, with deterministic ids drawn from ``seed``."""

    def __init__(self, *, seed: int = 0, cancel_seconds: float = 2.0) -> None:
        self._random = random.Random(seed)
        self._batches: dict[str, Batch] = {}
        self.cancel_seconds = cancel_seconds

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    def add(self, *, now: float, utcnow: datetime, **options: Unpack[BatchOptions]) -> Batch:
        """Create a batch starting at ``now``; see :meth:`doctrans_async.emulator.Emulator.add_batch`."""
        unknown = sorted(options.keys() - BatchOptions.__optional_keys__)
        if unknown:
            raise TypeError(f"unknown batch option(s) {unknown}; known: {sorted(BatchOptions.__optional_keys__)}")
        # The one place the options' defaults are written.
        documents = options.get("documents", 10)
        seconds = options.get("seconds", 10.0)
        failures = options.get("failures", 0)
        outcome = options.get("outcome", "Succeeded")
        validation_error = options.get("validation_error", "InvalidDocumentAccessLevel")
        names = None if isinstance(documents, int) else tuple(documents)
        count = documents if isinstance(documents, int) else len(documents)
        _check_batch(count, seconds, failures, outcome)
        if validation_error not in VALIDATION_FAILURES:
            raise ValueError(f"validation_error must be one of {sorted(VALIDATION_FAILURES)}, not {validation_error!r}")
        identifier = self._batch_id(options.get("batch_id"))
        picked = range(count) if outcome == "Failed" else self._random.sample(range(count), failures)
        batch = Batch(
            id=identifier,
            sequence=len(self._batches),
            created=now,
            created_ticks=to_ticks(utcnow) + self._random.randrange(10),
            documents=count if outcome != "ValidationFailed" else 0,
            seconds=seconds,
            failures=sorted(picked),
            outcome=outcome,
            language=options.get("target_language", "fr"),
            source_url=options.get("source_url", "https://emulated.blob.core.windows.net/source"),
            target_url=options.get("target_url", "https://emulated.blob.core.windows.net/target"),
            names=names,
            document_suffix=self._uuid()[9:],
            cancel_seconds=self.cancel_seconds,
            validation_error=validation_error,
        )
        self._batches[identifier] = batch
        return batch

    def _batch_id(self, wanted: str | None) -> str:
        if wanted is None:
            return self._uuid()
        identifier = str(uuid.UUID(wanted))
        if identifier in self._batches:
            raise ValueError(f"batch {identifier} already exists")
        return identifier

    def get(self, batch_id: str) -> Batch | None:
        """The batch with this id (any case), or None."""
        return self._batches.get(batch_id.lower())

    def batches(self) -> list[Batch]:
        """Every batch, oldest first."""
        return list(self._batches.values())


def _check_batch(count: int, seconds: float, failures: int, outcome: str) -> None:
    if outcome not in ("Succeeded", "Failed", "ValidationFailed"):
        raise ValueError(f"outcome must be Succeeded, Failed or ValidationFailed, not {outcome!r}")
    if not 1 <= count <= _MAX_DOCUMENTS and outcome != "ValidationFailed":
        raise ValueError(f"a batch needs 1 to {_MAX_DOCUMENTS} documents, not {count}")
    if not 0 <= failures <= count:
        raise ValueError(f"failures must be between 0 and the document count, not {failures}")
    if seconds < 0 or math.isnan(seconds):
        raise ValueError(f"seconds must be >= 0, not {seconds}")
