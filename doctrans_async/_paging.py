"""The paginator, sans I/O: which page to request next, and what to make of the page that came back.

gidgethub's ``while url:`` shape, with the loop left to the client::

    cursor = Cursor(endpoint, first, top=top, max_pages=max_pages)
    while (request := cursor.request) is not None:
        page = cursor.receive(parse(await send(request)))
        yield page

Each page is fetched by a call that already retries (a failed page k is retried alone, so nothing is lost or
yielded twice); every next link is checked before it is followed or handed to the caller as a resume token.
"""

from __future__ import annotations

from typing import Generic, TypeVar

import attrs

from doctrans_async._errors import ContinuationLinkError
from doctrans_async._models import BatchPage, DocumentPage
from doctrans_async._sansio import Endpoint, Request, check_next_link, page_key

__all__ = ["Cursor", "P", "first_request_for_resume"]

P = TypeVar("P", DocumentPage, BatchPage)


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
