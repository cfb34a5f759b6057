"""Unit tests of the paginator over scripted pages (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from doctrans_async._errors import ContinuationLinkError
from doctrans_async._models import BatchPage, BatchStatus, DocumentPage, DocumentStatus, Status, StatusSummary
from doctrans_async._paging import first_request_for_resume, iter_pages
from doctrans_async._sansio import Endpoint, Request, page_key
from doctrans_async._versions import ApiVersion

T0 = datetime(2026, 1, 1, tzinfo=UTC)
HOST = "https://res.example"
ENDPOINT = Endpoint(HOST, ApiVersion.V2024_05_01)
FIRST = ENDPOINT.documents("b1")
A = FIRST.url
B = f"{HOST}/translator/document/batches/b1/documents?skip=3&api-version=2024-05-01"
C = f"{HOST}/translator/document/batches/b1/documents?skip=6&api-version=2024-05-01"
D = f"{HOST}/translator/document/batches/b1/documents?skip=9&api-version=2024-05-01"


def doc(number: int) -> DocumentStatus:
    """A document status numbered ``number``."""
    return DocumentStatus(
        id=f"doc-{number:04d}", status=Status.SUCCEEDED, to="fr", created_at=T0, last_action_at=T0, progress=1.0
    )


def page(first: int, count: int, next_link: str | None) -> DocumentPage:
    """A page of ``count`` documents numbered from ``first``."""
    return DocumentPage(items=[doc(n) for n in range(first, first + count)], next_link=next_link)


class Pages:
    """A fake fetch serving scripted pages by URL and recording every request."""

    def __init__(self, pages: dict[str, DocumentPage]) -> None:
        self.pages = pages
        self.requests: list[Request] = []

    async def __call__(self, request: Request) -> DocumentPage:
        self.requests.append(request)
        return self.pages[request.url]

    @property
    def urls(self) -> list[str]:
        """The URLs fetched, in order."""
        return [request.url for request in self.requests]


async def drain(
    fetch: Pages,
    *,
    first: Request = FIRST,
    top: int | None = None,
    max_pages: int = 100,
    seen: set[str] | None = None,
) -> list[DocumentPage]:
    """Every page iter_pages yields."""
    return [p async for p in iter_pages(fetch, first, endpoint=ENDPOINT, top=top, max_pages=max_pages, seen=seen)]


async def test_follows_links_to_the_end() -> None:
    """Absolute and relative next links are followed in order until a page without one."""
    fetch = Pages(
        {
            A: page(0, 3, B),
            B: page(3, 3, "documents?skip=6&api-version=2024-05-01"),
            C: page(6, 2, None),
        }
    )
    pages = await drain(fetch)
    assert fetch.urls == [A, B, C]
    assert [p.next_link for p in pages] == [B, C, None]
    assert [d.id for p in pages for d in p.items] == [doc(n).id for n in range(8)]
    assert all(r.method == "GET" for r in fetch.requests)


async def test_unchanged_pages_are_yielded_as_is() -> None:
    """A page whose items and absolute link need no change is yielded without a copy."""
    fetch = Pages({A: page(0, 3, B), B: page(3, 1, None)})
    pages = await drain(fetch)
    assert pages[0] is fetch.pages[A]
    assert pages[1] is fetch.pages[B]


async def test_relative_link_yielded_absolute() -> None:
    """A page with a relative next link is yielded with the checked absolute URL (usable as a resume token)."""
    fetch = Pages(
        {
            A: page(0, 1, "?skip=1&api-version=2024-05-01"),
            f"{HOST}/translator/document/batches/b1/documents?skip=1&api-version=2024-05-01": page(1, 1, None),
        }
    )
    pages = await drain(fetch)
    assert pages[0].next_link == f"{HOST}/translator/document/batches/b1/documents?skip=1&api-version=2024-05-01"
    assert pages[0].items == fetch.pages[A].items


@pytest.mark.parametrize("link", ["", None])
async def test_empty_or_null_link_ends(link: str | None) -> None:
    """A first page whose next link is '' or null is the only page."""
    fetch = Pages({A: page(0, 2, link)})
    pages = await drain(fetch)
    assert fetch.urls == [A]
    assert [p.next_link for p in pages] == [None]


@pytest.mark.parametrize(
    ("top", "counts", "fetched"),
    [
        (5, [3, 2], [A, B]),
        (3, [3], [A]),
        (1, [1], [A]),
        (4, [3, 1], [A, B]),
        (8, [3, 3, 2], [A, B, C]),
        (100, [3, 3, 2], [A, B, C]),
    ],
)
async def test_top_caps_items_and_stops_following(top: int, counts: list[int], fetched: list[str]) -> None:
    """top caps the total across pages; once used up no further link is followed and the last link is None."""
    fetch = Pages({A: page(0, 3, B), B: page(3, 3, C), C: page(6, 2, None)})
    pages = await drain(fetch, top=top)
    assert [len(p.items) for p in pages] == counts
    assert fetch.urls == fetched
    assert pages[-1].next_link is None
    assert [d.id for p in pages for d in p.items] == [doc(n).id for n in range(sum(counts))]


async def test_top_when_service_ignores_it() -> None:
    """A service that sends more items than top asked for is cut to top on the first page."""
    fetch = Pages({A: page(0, 50, B)})
    pages = await drain(fetch, top=10)
    assert [len(p.items) for p in pages] == [10]
    assert pages[0].next_link is None
    assert fetch.urls == [A]


async def test_cycle_a_b_a_is_an_error() -> None:
    """A→B→A yields B's items (no next link) and then raises ContinuationLinkError, never fetching A again."""
    fetch = Pages({A: page(0, 3, B), B: page(3, 3, A)})
    pages = iter_pages(fetch, FIRST, endpoint=ENDPOINT, top=None, max_pages=100)
    assert (await anext(pages)) is fetch.pages[A]
    second = await anext(pages)
    assert (second.items, second.next_link) == (fetch.pages[B].items, None)
    with pytest.raises(ContinuationLinkError, match="repeated"):
        await anext(pages)
    assert fetch.urls == [A, B]


async def test_longer_cycle_is_an_error() -> None:
    """A→B→C→B raises ContinuationLinkError without fetching B twice."""
    fetch = Pages({A: page(0, 3, B), B: page(3, 3, C), C: page(6, 3, B)})
    with pytest.raises(ContinuationLinkError, match="repeated"):
        await drain(fetch)
    assert fetch.urls == [A, B, C]


async def test_first_url_repeated_is_an_error() -> None:
    """A first page naming itself as the next page is an error, not an endless loop."""
    fetch = Pages({A: page(0, 3, A)})
    with pytest.raises(ContinuationLinkError, match="repeated"):
        await drain(fetch)
    assert fetch.urls == [A]


async def test_other_origin_link_never_fetched() -> None:
    """A next link to another host raises ContinuationLinkError and is never fetched."""
    evil = "https://evil.example/steal?sig=SECRETQUERY"
    fetch = Pages({A: page(0, 3, evil)})
    with pytest.raises(ContinuationLinkError) as info:
        await drain(fetch)
    assert fetch.urls == [A]
    assert "SECRETQUERY" not in str(info.value)


async def test_listing_of_exactly_max_pages_succeeds() -> None:
    """A listing with exactly max_pages pages completes."""
    fetch = Pages({A: page(0, 3, B), B: page(3, 3, C), C: page(6, 3, None)})
    pages = await drain(fetch, max_pages=3)
    assert len(pages) == 3


async def test_max_pages_exceeded_is_an_error() -> None:
    """A listing that would pass max_pages raises ContinuationLinkError without fetching beyond max_pages."""
    fetch = Pages({A: page(0, 3, B), B: page(3, 3, C), C: page(6, 3, D), D: page(9, 3, None)})
    with pytest.raises(ContinuationLinkError, match="3 pages"):
        await drain(fetch, max_pages=3)
    assert fetch.urls == [A, B, C]


async def test_runaway_listing_of_distinct_links_stops() -> None:
    """A service that keeps inventing new next links is stopped at max_pages."""

    class Runaway(Pages):
        async def __call__(self, request: Request) -> DocumentPage:
            self.requests.append(request)
            return page(0, 1, f"{HOST}/p?n={len(self.requests)}")

    fetch = Runaway({})
    with pytest.raises(ContinuationLinkError, match="runaway"):
        await drain(fetch, max_pages=50)
    assert len(fetch.requests) == 50


async def test_seen_given_by_caller_is_honoured_and_not_mutated() -> None:
    """Links in the caller's seen set count as repeated; the caller's set is left as it was."""
    seen = {page_key(B)}
    fetch = Pages({A: page(0, 3, B)})
    with pytest.raises(ContinuationLinkError, match="repeated"):
        await drain(fetch, seen=seen)
    assert seen == {page_key(B)}


async def test_batch_pages_keep_their_type() -> None:
    """iter_pages over batch listings yields BatchPage objects, cut to top like document pages."""
    summary = StatusSummary(1, 0, 1, 0, 0, 0)
    batches = [BatchStatus(f"b{n}", Status.SUCCEEDED, T0, T0, summary) for n in range(4)]
    first = ENDPOINT.batches()
    link = f"{HOST}/translator/document/batches?skip=2&api-version=2024-05-01"
    pages_by_url = {first.url: BatchPage(batches[:2], link), link: BatchPage(batches[2:], None)}

    async def fetch(request: Request) -> BatchPage:
        return pages_by_url[request.url]

    pages = [p async for p in iter_pages(fetch, first, endpoint=ENDPOINT, top=3, max_pages=10)]
    assert all(type(p) is BatchPage for p in pages)
    assert [b.id for p in pages for b in p.items] == ["b0", "b1", "b2"]
    assert pages[-1].next_link is None


# --- resume -------------------------------------------------------------------------------------------------


def test_resume_request_for_same_origin_link() -> None:
    """Resuming from a same-origin link gives a GET of it and records it as seen."""
    seen: set[str] = set()
    request = first_request_for_resume(ENDPOINT, B, seen)
    assert request == Request("GET", B)
    assert seen == {page_key(B)}


def test_resume_from_relative_link_resolves_against_endpoint() -> None:
    """A relative resume link is resolved against the endpoint URL."""
    request = first_request_for_resume(ENDPOINT, "/translator/document/batches/b1/documents?skip=3", set())
    assert request.url == f"{HOST}/translator/document/batches/b1/documents?skip=3"


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.example/translator/document/batches/b1/documents?skip=3",
        "http://res.example/translator/document/batches/b1/documents?skip=3",
        "https://res.example:8443/x",
        "https://u:p@res.example/x",
        "javascript:alert(1)",
    ],
)
def test_resume_checks_the_links_origin(link: str) -> None:
    """Resuming from a link to another origin (or not http(s)) raises ContinuationLinkError."""
    with pytest.raises(ContinuationLinkError):
        first_request_for_resume(ENDPOINT, link, set())


def test_resume_from_empty_link_is_a_value_error() -> None:
    """An empty resume link is a ValueError (there is nothing to resume)."""
    with pytest.raises(ValueError, match="non-empty"):
        first_request_for_resume(ENDPOINT, "", set())


async def test_resumed_listing_refuses_to_loop_back_to_the_resume_link() -> None:
    """After resuming at B, a page pointing back at B is a repeated link."""
    seen: set[str] = set()
    first = first_request_for_resume(ENDPOINT, B, seen)
    fetch = Pages({B: page(3, 3, C), C: page(6, 3, B)})
    with pytest.raises(ContinuationLinkError, match="repeated"):
        await drain(fetch, first=first, seen=seen)
    assert fetch.urls == [B, C]


async def test_resumed_listing_yields_the_rest() -> None:
    """Resuming at a page's next link yields exactly the remaining pages."""
    full = Pages({A: page(0, 3, B), B: page(3, 3, C), C: page(6, 2, None)})
    pages = await drain(full)
    token = pages[0].next_link
    assert token is not None
    seen: set[str] = set()
    resumed = Pages(full.pages)
    rest = await drain(resumed, first=first_request_for_resume(ENDPOINT, token, seen), seen=seen)
    assert [d.id for p in rest for d in p.items] == [doc(n).id for n in range(3, 8)]
    assert resumed.urls == [B, C]
