"""The paginator: the :class:`Cursor` (pure: which page to request next, and what to make of the page that
came back) and :func:`pages`, the one flat loop that drives it through the :class:`~doctrans_async._pipeline.Pipeline`::

    while (request := cursor.request) is not None:
        yield cursor.receive(await pipeline.call(request, deadline, parse))

Each page is fetched by a call that already retries (a failed page k is retried alone, so nothing is lost or
yielded twice); every next link is checked before it is followed or handed to the caller as a resume token.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from datetime import datetime
from typing import Generic, TypeVar

import attrs

from doctrans_async._clock import Deadline, DeadlineReached
from doctrans_async._errors import ContinuationLinkError, ListingTimeoutError
from doctrans_async._models import BatchPage, DocumentPage
from doctrans_async._pipeline import Parse, Pipeline
from doctrans_async._sansio import Endpoint, ListQuery, Request, Response, check_next_link, page_key
from doctrans_async._versions import ApiVersion

__all__ = ["Cursor", "ListOptions", "P", "first_request_for_resume", "listing"]

P = TypeVar("P", DocumentPage, BatchPage)


class ListOptions(ListQuery, total=False):
    """The keywords of every listing: :class:`~doctrans_async._sansio.ListQuery`'s, plus where to resume from
    (a page's ``next_link``, which holds every other parameter already) and the listing's ``timeout`` (seconds,
    the whole listing, never overslept: past it, :class:`ListingTimeoutError` carries the link to resume from)."""

    resume_from: str | None
    timeout: float | None


def listing(
    pipeline: Pipeline,
    endpoint: Endpoint,
    first_of: Callable[..., Request],
    parse: Callable[[Request, Response, datetime, ApiVersion], P],
    options: ListOptions,
    max_pages: int,
) -> AsyncGenerator[P, None]:
    """The pages of the listing ``options`` select (its first request made by ``first_of(**query)``), or of the one it
    resumes, parsed by ``parse`` at ``endpoint``'s version. Arguments are checked here, when the listing is asked
    for, not at its first page."""
    resume_from = options.pop("resume_from", None)
    deadline = Deadline.after(pipeline.clock, options.pop("timeout", None))
    seen: set[str] = set()
    if resume_from is None:
        first = first_of(**options)
    elif any(value is not None for value in options.values()):
        raise ValueError("resume_from carries the listing's parameters already; pass no others")
    else:
        first = first_request_for_resume(endpoint, resume_from, seen)
    cursor = Cursor[P](endpoint, first, top=options.get("top"), max_pages=max_pages, seen=seen)
    version = endpoint.version

    def parse_page(request: Request, response: Response, now: datetime) -> P:
        return parse(request, response, now, version)

    return pages(pipeline, cursor, parse_page, deadline)


async def pages(pipeline: Pipeline, cursor: Cursor[P], parse: Parse[P], deadline: Deadline) -> AsyncGenerator[P, None]:
    """Each page ``cursor`` leads to, fetched through ``pipeline`` under ``deadline``."""
    with pipeline.redacting():
        while (request := cursor.request) is not None:
            try:
                page = await pipeline.call(request, deadline, parse)
            except DeadlineReached as reached:
                cut = f" while fetching a page ({reached.error})" if reached.error is not None else ""
                raise ListingTimeoutError(
                    f"the listing's deadline passed{cut}; resume from next_link", next_link=request.url
                ) from reached.error
            yield cursor.receive(page)


def first_request_for_resume(endpoint: Endpoint, link: str, seen: set[str]) -> Request:
    """The request that resumes a listing at ``link`` (a page's ``next_link``), checked like any next link."""
    checked = check_next_link(link, current_url=endpoint.url, origin=endpoint.origin, seen=seen)
    if checked is None:
        raise ValueError("resume_from must be a non-empty next link")
    return endpoint.follow(checked)


class Cursor(Generic[P]):
    """Where a listing is: the next request to send (``None`` when it is over), and the pages received so far.

    Never lets more than ``top`` items through in all (the service should honour ``top``; we make sure). Each
    received page's ``next_link`` becomes the checked absolute URL of the next page, or ``None`` at the end.
    """

    def __init__(
        self, endpoint: Endpoint, first: Request, *, top: int | None, max_pages: int, seen: set[str] | None = None
    ) -> None:
        self._endpoint = endpoint
        self._seen = (set() if seen is None else seen) | {page_key(first.url)}
        self._remaining = top
        self._max_pages = max_pages
        self._pages = 0
        self._refused: ContinuationLinkError | None = None
        self._request: Request | None = first

    @property
    def request(self) -> Request | None:
        """The page to fetch next; raises the :class:`ContinuationLinkError` that ended the listing, once the
        page that carried the refused link has been received (its items are still the caller's)."""
        if self._refused is not None:
            raise self._refused
        return self._request

    def receive(self, page: P) -> P:
        """The page as the caller sees it: cut to ``top``, its next link checked (or ``None``)."""
        assert self._request is not None, "receive() after the listing ended"
        self._pages += 1
        items = page.items
        if self._remaining is not None:
            items = items[: self._remaining]
            self._remaining -= len(items)
        link = None
        try:
            if self._remaining != 0:
                link = check_next_link(
                    page.next_link, current_url=self._request.url, origin=self._endpoint.origin, seen=self._seen
                )
            if link is not None and self._pages >= self._max_pages:
                raise ContinuationLinkError(
                    f"the listing reached its limit of {self._max_pages} pages; stopping a runaway",
                    method="GET",
                    url=link,
                )
        except ContinuationLinkError as error:
            link, self._refused = None, error
        self._request = self._endpoint.follow(link) if link is not None else None
        if items is page.items and link == page.next_link:
            return page
        return attrs.evolve(page, items=items, next_link=link)
