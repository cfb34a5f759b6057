"""List routes' query parameters: paging (top, skip, maxpagesize) and filters (ids, statuses, dates, order).

Each is read in the dialect's spelling and refused with 400 InvalidArgument when malformed, as the service does.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

import attrs

from doctrans_async.emulator._state import Status, to_ticks
from doctrans_async.emulator._wire import Dialect, invalid_argument

__all__ = ["Filters", "Paging", "parse_filters", "parse_paging"]

_INT32_MAX = 2147483647
_MAX_IDS = 25


@attrs.frozen
class Paging:
    """A list request's paging: what was asked for and what the server applies."""

    skip: int
    top: int | None
    page_size: int
    max_page_size: int | None
    """The client's maxpagesize, echoed in next links; None if it sent none."""

    def window(self, total: int) -> tuple[int, int, Paging | None]:
        """The slice of a ``total``-long collection this page holds, and the paging of the next page if any.

        Skip applies before top; top shrinks by what each page consumed; no next page once top is used up.
        """
        room = max(0, total - self.skip)
        count = min(self.page_size, room, self.top if self.top is not None else room)
        stop = self.skip + count
        left = None if self.top is None else self.top - count
        if count == 0 or stop >= total or left == 0:
            return self.skip, stop, None
        return self.skip, stop, attrs.evolve(self, skip=stop, top=left)


def _int_param(query: Mapping[str, str], name: str, low: int, high: int) -> int | None:
    raw = query.get(name)
    if raw is None:
        return None
    if not re.fullmatch(r"[0-9]{1,10}", raw) or not low <= int(raw) <= high:
        raise invalid_argument(name, f"The value '{raw}' of {name} must be an integer from {low} to {high}.")
    return int(raw)


def parse_paging(query: Mapping[str, str], dialect: Dialect, default_size: int) -> Paging:
    """Paging parameters in the dialect's spelling; 400 InvalidArgument on a bad value."""
    top = _int_param(query, dialect.top, 0, _INT32_MAX)
    skip = _int_param(query, dialect.skip, 0, _INT32_MAX) or 0
    size = _int_param(query, dialect.max_page_size, 1, 100) if dialect.max_page_size else None
    return Paging(skip, top, size or default_size, size)


@attrs.frozen
class Filters:
    """List filters (v1.0 and later)."""

    ids: tuple[str, ...] | None = None
    statuses: frozenset[Status] | None = None
    created_from: int | None = None
    created_to: int | None = None
    descending: bool = True

    def admits(self, created_ticks: int) -> bool:
        """Whether something created at ``created_ticks`` is inside the created-date window."""
        after = self.created_from is None or created_ticks >= self.created_from
        return after and (self.created_to is None or created_ticks <= self.created_to)


_STATUS_NAMES = {s.value.lower(): s for s in Status} | {"canceled": Status.CANCELLED}


def _split(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def _parse_ids(raw: str | None) -> tuple[str, ...] | None:
    if raw is None:
        return None
    parts = _split(raw)
    if len(parts) > _MAX_IDS:
        raise invalid_argument("ids", f"At most {_MAX_IDS} ids can be given.")
    try:
        return tuple(str(uuid.UUID(part)) for part in parts)
    except ValueError:
        raise invalid_argument("ids", "Every id must be a GUID.") from None


def _parse_statuses(raw: str | None) -> frozenset[Status] | None:
    if raw is None:
        return None
    try:
        return frozenset(_STATUS_NAMES[part.lower()] for part in _split(raw))
    except KeyError as unknown:
        raise invalid_argument("statuses", f"Unknown status {unknown}.") from None


def _parse_date(name: str, raw: str | None) -> int | None:
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise invalid_argument(name, f"The value '{raw}' of {name} is not a date-time.") from None
    return to_ticks(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def _parse_order(name: str, raw: str | None) -> bool:
    if raw is None:
        return True
    words = raw.split()
    if not words or words[0].lower() != "createddatetimeutc" or len(words) > 2:
        raise invalid_argument(name, f"{name} supports only 'createdDateTimeUtc asc|desc'.")
    direction = words[1].lower() if len(words) == 2 else "asc"
    if direction not in ("asc", "desc"):
        raise invalid_argument(name, f"{name} direction must be asc or desc.")
    return direction == "desc"


def parse_filters(query: Mapping[str, str], dialect: Dialect) -> Filters:
    """List filters in the dialect's spelling; v1.0-preview.1 has none and ignores them, as unknown parameters."""
    if dialect.order_by is None:
        return Filters()
    return Filters(
        ids=_parse_ids(query.get("ids")),
        statuses=_parse_statuses(query.get("statuses")),
        created_from=_parse_date("createdDateTimeUtcStart", query.get("createdDateTimeUtcStart")),
        created_to=_parse_date("createdDateTimeUtcEnd", query.get("createdDateTimeUtcEnd")),
        descending=_parse_order(dialect.order_by, query.get(dialect.order_by)),
    )
