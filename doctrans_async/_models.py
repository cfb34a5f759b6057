"""The values the service returns, as frozen attrs classes with snake_case fields.

JSON is turned into these by the one converter in :mod:`doctrans_async._converter`; unknown fields are ignored,
so newer API versions that add fields never break parsing.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime

import attrs

__all__ = [
    "BatchOutcome",
    "BatchPage",
    "BatchStatus",
    "DocumentPage",
    "DocumentStatus",
    "ErrorDetail",
    "FileFormat",
    "Glossary",
    "Status",
    "StatusSummary",
    "StorageType",
    "TranslationInput",
    "TranslationTarget",
]


class Status(enum.StrEnum):
    """The status of a batch or a document.

    The wire spells cancellation two ways (``Cancelled``/``Canceled``, ``Cancelling``/``Canceling``); both map to
    one member. A status this library has never seen parses to a non-member ``Status`` whose ``str()`` is the wire
    text and which is never terminal, so a new service state cannot break a poll loop.
    """

    NOT_STARTED = "NotStarted"
    RUNNING = "Running"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    CANCELING = "Cancelling"
    CANCELED = "Cancelled"
    VALIDATION_FAILED = "ValidationFailed"

    @classmethod
    def _missing_(cls, value: object) -> Status | None:
        if not isinstance(value, str):
            return None
        known = _BY_FOLDED_TEXT.get(value.lower())
        if known is not None:
            return known
        unknown = str.__new__(cls, value)
        unknown._name_ = "UNKNOWN"
        unknown._value_ = value
        return unknown

    @property
    def is_terminal(self) -> bool:
        """True for Succeeded, Failed, Canceled and ValidationFailed: the status will not change again."""
        return self in _TERMINAL

    @property
    def is_known(self) -> bool:
        """False for a status string this library does not know."""
        return self._name_ != "UNKNOWN"


_TERMINAL = frozenset({Status.SUCCEEDED, Status.FAILED, Status.CANCELED, Status.VALIDATION_FAILED})
_BY_FOLDED_TEXT = {member.value.lower(): member for member in Status} | {
    "canceled": Status.CANCELED,
    "canceling": Status.CANCELING,
}


@attrs.frozen
class ErrorDetail:
    """An error as the service describes it; ``inner_error`` and ``details`` nest the same shape.

    Read leniently, so an odd part never hides the rest: ``code`` is the wire's code as text (a numeric code
    becomes its digits, a missing one ``""``), ``message`` is ``None`` when the service sent none, the inner error
    comes from ``innerError`` or ``innererror``, and ``details`` from the Azure.Core ``details`` list.
    """

    code: str
    message: str | None = None
    target: str | None = None
    inner_error: ErrorDetail | None = None
    details: tuple[ErrorDetail, ...] = ()


@attrs.frozen
class StatusSummary:
    """Counts of a batch's documents by state."""

    total: int
    failed: int
    success: int
    in_progress: int
    not_yet_started: int
    cancelled: int
    total_character_charged: int = 0
    total_image_scans_succeeded: int | None = None
    """Images whose text was translated (2026-03-01 on; ``None`` where the version does not send it)."""
    total_image_scans_failed: int | None = None
    total_image_charged: int | None = None
    """Image scans charged (2026-03-01 on)."""

    @property
    def finished(self) -> int:
        """Documents that will not change again (succeeded, failed or cancelled)."""
        return self.success + self.failed + self.cancelled


@attrs.frozen
class BatchStatus:
    """The status of one batch (translation operation)."""

    id: str
    status: Status
    created_at: datetime
    last_action_at: datetime
    summary: StatusSummary
    error: ErrorDetail | None = None

    @property
    def is_terminal(self) -> bool:
        """True once the batch has finished, whatever the outcome."""
        return self.status.is_terminal


@attrs.frozen
class DocumentStatus:
    """The status of one document of a batch. ``progress`` runs from 0.0 to 1.0."""

    id: str
    status: Status
    to: str
    created_at: datetime
    last_action_at: datetime
    progress: float = 0.0
    path: str | None = None
    source_path: str | None = None
    character_charged: int = 0
    error: ErrorDetail | None = None
    total_image_scans_succeeded: int | None = None
    """Images of this document whose text was translated (2026-03-01 on; ``None`` where not sent)."""
    total_image_scans_failed: int | None = None
    image_charged: int | None = None
    image_character_detected: int | None = None
    """Characters detected in the document's images (2026-03-01 on)."""
    deployment_name: str | None = None
    """The custom translation deployment used for this document (2026-03-01 on)."""


@attrs.frozen
class DocumentPage:
    """One page of a document listing, with the link to the next page (``None`` on the last page).

    Keep ``next_link`` to resume the listing later (``resume_from=``).
    """

    items: list[DocumentStatus]
    next_link: str | None


@attrs.frozen
class BatchPage:
    """One page of a batch listing, with the link to the next page (``None`` on the last page)."""

    items: list[BatchStatus]
    next_link: str | None


@attrs.frozen
class FileFormat:
    """A document or glossary format the service supports."""

    format: str
    file_extensions: tuple[str, ...]
    content_types: tuple[str, ...]
    versions: tuple[str, ...] = ()
    default_version: str | None = None
    type: str | None = None


# --- what a caller sends -------------------------------------------------------------------------------


class StorageType(enum.StrEnum):
    """Whether a source URL names a folder (container) or a single file."""

    FOLDER = "Folder"
    FILE = "File"


@attrs.frozen
class Glossary:
    """A glossary applied to a target: its SAS URL and format (``"XLIFF"``, ``"TSV"``, ``"CSV"``, …)."""

    url: str
    format: str
    version: str | None = None
    storage_source: str | None = None


def _glossaries(items: Iterable[Glossary]) -> tuple[Glossary, ...]:
    return tuple(items)


@attrs.frozen
class TranslationTarget:
    """Where one language's translations go: a target container SAS URL and a language code."""

    url: str
    language: str
    category: str | None = None
    """A Custom Translator category id; ``None`` is the general model."""
    glossaries: tuple[Glossary, ...] = attrs.field(default=(), converter=_glossaries)
    storage_source: str | None = None
    deployment_name: str | None = None
    """A custom translation model's deployment to translate with (API 2026-03-01 on)."""


def _targets(items: Iterable[TranslationTarget]) -> tuple[TranslationTarget, ...]:
    return tuple(items)


def _storage_type(value: StorageType | str | None) -> StorageType | None:
    return None if value is None else StorageType(value)


@attrs.frozen
class TranslationInput:
    """One source (a container or a single file) and the targets to translate it into."""

    source_url: str
    targets: tuple[TranslationTarget, ...] = attrs.field(converter=_targets)
    source_language: str | None = None
    """``None`` lets the service detect the language."""
    storage_type: StorageType | None = attrs.field(default=None, converter=_storage_type)
    """``StorageType.FOLDER`` (or ``"Folder"``) for a container, ``FILE`` for a single blob; ``None`` sends none."""
    prefix: str | None = None
    """Only source blobs whose names start with this are translated."""
    suffix: str | None = None
    """Only source blobs whose names end with this (e.g. ``".docx"``) are translated."""
    storage_source: str | None = None


@attrs.frozen
class BatchOutcome:
    """How waiting on one batch ended: its terminal ``status``, or the ``error`` that stopped the wait."""

    batch_id: str
    status: BatchStatus | None
    error: Exception | None
