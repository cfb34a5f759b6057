"""List routes' query parameters: paging (top, skip, maxpagesize) and filters (ids, statuses, dates, order).

Each is read in the layout's spelling (names in any case, as the service reads them: its own next links say
``orderBy`` where requests say ``orderby``) and refused with 400 InvalidArgument when malformed. Next links are
rebuilt from what was understood, in the recorded shape: ``skip``, then ``top`` (what is left), ``maxpagesize`` (the
page size applied), the filters, and ``api-version`` last; other parameters are dropped.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import quote

import attrs

from doctrans_async.emulator._state import Status, to_ticks
from doctrans_async.emulator._wire import Layout, invalid_argument

__all__ = ["Filters", "Paging", "Query", "next_link_query", "parse_filters", "parse_paging"]

_INT32_MAX = 2147483647
_MAX_IDS = 25
_MAX_PAGE_SIZE = 100
_FILTER_NAMES = ("createdDateTimeUtcStart", "createdDateTimeUtcEnd", "statuses", "ids")
"""The filters a next link carries after the order, in the order of the spec's example links."""


class Query:
    """A request's query parameters, looked up by name in any case (the first of repeated names wins)."""

    def __init__(self, pairs: Mapping[str, str]) -> None:
        self._values: dict[str, str] = {}
        for name, value in pairs.items():
            self._values.setdefault(name.lower(), value)

    def get(self, name: str) -> str | None:
        """The value of ``name`` (any case), or None."""
        return self._values.get(name.lower())


@attrs.frozen
class Paging:
    """A list request's paging: what was asked for and what the server applies."""

    skip: int
    top: int | None
    page_size: int
    """The page size applied: the client's maxpagesize, else the server's."""

    def window(self, total: int) -> tuple[int, int, Paging | None]:
        """The slice of a ``total``-long collection this page holds, and the paging of the next page if any.

        Skip applies before top; the next page's top is what is left to list (recorded: ``$skip=2&$top=8`` for
        the second page of 10); no next page once that is nothing.
        """
        room = max(0, total - self.skip)
        count = min(self.page_size, room, self.top if self.top is not None else room)
        stop = self.skip + count
        left = total - stop if self.top is None else min(self.top - count, total - stop)
        if count == 0 or left <= 0:
            return self.skip, stop, None
        return self.skip, stop, attrs.evolve(self, skip=stop, top=left)


def _int_param(query: Query, name: str, low: int, high: int) -> int | None:
    raw = query.get(name)
    if raw is None:
        return None
    if not re.fullmatch(r"[0-9]{1,10}", raw) or not low <= int(raw) <= high:
        raise invalid_argument(name, f"The value '{raw}' of {name} must be an integer from {low} to {high}.")
    return int(raw)


def parse_paging(query: Query, layout: Layout, default_size: int) -> Paging:
    """Paging parameters in the layout's spelling; 400 InvalidArgument on a bad value.

    An emulator configured with pages above the service's 100 accepts them back from its own next links.
    """
    top = _int_param(query, layout.top, 0, _INT32_MAX)
    skip = _int_param(query, layout.skip, 0, _INT32_MAX) or 0
    size = _int_param(query, layout.page_size, 1, max(_MAX_PAGE_SIZE, default_size))
    return Paging(skip, top, size or default_size)


@attrs.frozen
class Filters:
    """List filters (v1.0 and later)."""

    ids: tuple[str, ...] | None = None
    statuses: frozenset[Status] | None = None
    created_from: int | None = None
    created_to: int | None = None
    descending: bool = True
    ordered: bool = False
    """An order was asked for (next links then carry it)."""
    as_sent: tuple[tuple[str, str], ...] = ()
    """The filters other than the order as sent (names canonical), for next links."""

    def admits(self, created_ticks: int) -> bool:
        """Whether something created at ``created_ticks`` is inside the created-date window."""
        after = self.created_from is None or created_ticks >= self.created_from
        return after and (self.created_to is None or created_ticks <= self.created_to)


_STATUS_NAMES = {s.value.lower(): s for s in Status} | {"canceled": Status.CANCELED, "canceling": Status.CANCELING}


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


_SEVENTH_DIGIT = re.compile(r"[.,]\d{6}(\d)")


def _parse_date(name: str, raw: str | None) -> int | None:
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise invalid_argument(name, f"The value '{raw}' of {name} is not a date-time.") from None
    # datetime keeps microseconds; the service's timestamps (and a client echoing one back) have a seventh digit.
    seventh = _SEVENTH_DIGIT.search(raw)
    return to_ticks(moment if moment.tzinfo else moment.replace(tzinfo=UTC)) + (int(seventh[1]) if seventh else 0)


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


def parse_filters(query: Query, layout: Layout) -> Filters:
    """List filters in the layout's spelling."""
    order = query.get(layout.order_by)
    return Filters(
        ids=_parse_ids(query.get("ids")),
        statuses=_parse_statuses(query.get("statuses")),
        created_from=_parse_date("createdDateTimeUtcStart", query.get("createdDateTimeUtcStart")),
        created_to=_parse_date("createdDateTimeUtcEnd", query.get("createdDateTimeUtcEnd")),
        descending=_parse_order(layout.order_by, order),
        ordered=order is not None,
        as_sent=tuple((name, value) for name in _FILTER_NAMES if (value := query.get(name)) is not None),
    )


def next_link_query(layout: Layout, paging: Paging, filters: Filters, *, raw_spaces: bool) -> str:
    """The query of the next link to the page ``paging`` describes, as the service writes it.

    With ``raw_spaces`` the order's space is left unencoded, as the real service does (``orderBy=createdDateTimeUtc
    asc``): not a valid URL, and what a client must cope with.
    """
    pairs = [(layout.skip, str(paging.skip))]
    if paging.top is not None:
        pairs.append((layout.top, str(paging.top)))
    pairs.append((layout.page_size, str(paging.page_size)))
    if filters.ordered:
        direction = "desc" if filters.descending else "asc"
        pairs.append((layout.order_by_link, f"createdDateTimeUtc {direction}"))
    pairs += filters.as_sent
    if layout.in_query:
        pairs.append(("api-version", layout.version))
    safe = ",: " if raw_spaces else ",:"
    return "&".join(f"{quote(name, safe='$')}={quote(value, safe=safe)}" for name, value in pairs)
