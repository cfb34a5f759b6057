"""The paginator: follows continuation links as given, page by page, without loss, loops or leaks.

gidgethub's shape: a flat loop in an async generator. Each page is fetched by a callable that already retries
(a failed page k is retried alone, so nothing is lost or yielded twice); every next link is checked before it is
followed or handed to the caller as a resume token.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import TypeVar

import attrs

from doctrans_async._clock import Clock
from doctrans_async._errors import ContinuationLinkError, ListingTimeoutError
from doctrans_async._models import BatchPage, DocumentPage
from doctrans_async._retry import DeadlineReached
from doctrans_async._sansio import Endpoint, Request, check_next_link, page_key

__all__ = ["first_request_for_resume", "iter_pages"]

P = TypeVar("P", DocumentPage, BatchPage)


def first_request_for_resume(endpoint: Endpoint, link: str, seen: set[str]) -> Request:
    """The request that resumes a listing at ``link`` (a page's ``next_link``), checked like any next link."""
    checked = check_next_link(link, current_url=endpoint.url, origin=endpoint.origin, seen=seen)
    if checked is None:
        raise ValueError("resume_from must be a non-empty next link")
    return endpoint.follow(checked)


async def iter_pages(
    fetch: Callable[[Request], Awaitable[P]],
    first: Request,
    *,
    endpoint: Endpoint,
    top: int | None,
    max_pages: int,
    seen: set[str] | None = None,
    clock: Clock | None = None,
    deadline: float | None = None,
) -> AsyncGenerator[P, None]:
    """Yield the pages of a listing starting at ``first``.

    Never yields more than ``top`` items in all (the service should honour ``top``; we make sure). Each yielded
    page's ``next_link`` is the checked absolute URL of the next page, or ``None`` when the listing is over.
    Past ``deadline`` (a ``clock.monotonic()`` reading), :class:`ListingTimeoutError` names the page not fetched.
    """
    seen = (set() if seen is None else seen) | {page_key(first.url)}
    remaining = top
    request: Request | None = first
    pages = 0
    while request is not None:
        page = await _fetch_by(fetch, request, clock, deadline)
        pages += 1
        items = page.items
        if remaining is not None:
            items = items[:remaining]
            remaining -= len(items)
        link, refused = None, None
        try:
            if remaining != 0:
                link = check_next_link(page.next_link, current_url=request.url, origin=endpoint.origin, seen=seen)
            if link is not None and pages >= max_pages:
                raise ContinuationLinkError(
                    f"the listing reached its limit of {max_pages} pages; stopping a runaway", method="GET", url=link
                )
        except ContinuationLinkError as error:
            # The documents already fetched are still the caller's: yield them, then refuse to go on.
            link, refused = None, error
        yield (
            page if items is page.items and link == page.next_link else attrs.evolve(page, items=items, next_link=link)
        )
        if refused is not None:
            raise refused
        request = endpoint.follow(link) if link is not None else None


async def _fetch_by(
    fetch: Callable[[Request], Awaitable[P]], request: Request, clock: Clock | None, deadline: float | None
) -> P:
    if deadline is not None and clock is not None and clock.monotonic() >= deadline:
        raise ListingTimeoutError("the listing's deadline passed; resume from next_link", next_link=request.url)
    try:
        return await fetch(request)
    except DeadlineReached as reached:
        raise ListingTimeoutError(
            f"the listing's deadline passed while fetching a page ({reached.error}); resume from next_link",
            next_link=request.url,
        ) from reached.error
