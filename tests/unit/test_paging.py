"""Unit tests of the paginator: the pure :class:`Cursor` over scripted pages, and the client's listing loop driven
through a scripted transport on a virtual clock."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest

import doctrans_async
from doctrans_async import DocumentTranslationClient, ListingTimeoutError
from doctrans_async._clock import Deadline, VirtualClock
from doctrans_async._errors import ContinuationLinkError, ServerError, TransportError
from doctrans_async._models import BatchPage, BatchStatus, DocumentPage, DocumentStatus, Status, StatusSummary
from doctrans_async._paging import Cursor, first_request_for_resume
from doctrans_async._retry import RetryPolicy
from doctrans_async._sansio import Endpoint, Request, Response, page_key
from doctrans_async._versions import ApiVersion
from tests.support import (
    ENDPOINT as HOST,
)
from tests.support import (
    FakeTransport,
    batch_body,
    client_over,
    document_body,
    error_response,
    page_response,
    stalls,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
ENDPOINT = Endpoint(HOST, ApiVersion.V2024_05_01)
FIRST = ENDPOINT.documents("b1")
A = FIRST.url
B = f"{HOST}/translator/document/batches/b1/documents?skip=3&api-version=2024-05-01"
C = f"{HOST}/translator/document/batches/b1/documents?skip=6&api-version=2024-05-01"
D = f"{HOST}/translator/document/batches/b1/documents?skip=9&api-version=2024-05-01"
EVIL = "https://evil.example/steal?sig=SECRETQUERY"
T = TypeVar("T")
PACKAGE = Path(doctrans_async.__file__).resolve().parent


def doc(number: int) -> DocumentStatus:
    """A document status numbered ``number``."""
    return DocumentStatus(
        id=f"doc-{number:04d}", status=Status.SUCCEEDED, to="fr", created_at=T0, last_action_at=T0, progress=1.0
    )


def page(first: int, count: int, next_link: str | None) -> DocumentPage:
    """A page of ``count`` documents numbered from ``first``."""
    return DocumentPage(items=[doc(n) for n in range(first, first + count)], next_link=next_link)


def ids(first: int, count: int) -> list[str]:
    """The ids of ``count`` documents numbered from ``first``."""
    return [doc(n).id for n in range(first, first + count)]


def wire(first: int, count: int, next_link: str | None) -> Response:
    """The response carrying :func:`page` ``(first, count, next_link)``."""
    return page_response([document_body(doc_id) for doc_id in ids(first, count)], next_link)


def walk(
    pages: Mapping[str, DocumentPage],
    fetched: list[str],
    *,
    first: Request = FIRST,
    top: int | None = None,
    max_pages: int = 100,
    seen: set[str] | None = None,
) -> Iterator[DocumentPage]:
    """The listing loop with no I/O: each page the cursor asks for is looked up in ``pages``."""
    cursor = Cursor[DocumentPage](ENDPOINT, first, top=top, max_pages=max_pages, seen=seen)
    while (request := cursor.request) is not None:
        assert request.method == "GET"
        fetched.append(request.url)
        yield cursor.receive(pages[request.url])


async def collect(items: AsyncIterator[T], into: list[T]) -> None:
    """Append every item to ``into`` as it comes (what was listed before an error stays visible)."""
    async for item in items:
        into.append(item)


def over(fake: FakeTransport, clock: VirtualClock, **options: Any) -> DocumentTranslationClient:
    """A client listing through ``fake``."""
    return client_over(fake, clock, **options)


# --- Cursor -------------------------------------------------------------------------------------------------


def test_follows_links_to_the_end() -> None:
    """Absolute and relative next links are followed in order until a page without one."""
    fetched: list[str] = []
    pages = list(
        walk({A: page(0, 3, B), B: page(3, 3, "documents?skip=6&api-version=2024-05-01"), C: page(6, 2, None)}, fetched)
    )
    assert fetched == [A, B, C]
    assert [p.next_link for p in pages] == [B, C, None]
    assert [d.id for p in pages for d in p.items] == ids(0, 8)


def test_unchanged_pages_are_yielded_as_is() -> None:
    """A page whose items and absolute link need no change is received without a copy."""
    scripted = {A: page(0, 3, B), B: page(3, 1, None)}
    pages = list(walk(scripted, []))
    assert pages[0] is scripted[A]
    assert pages[1] is scripted[B]


def test_relative_link_made_absolute() -> None:
    """A page with a relative next link comes out with the checked absolute URL (usable as a resume token)."""
    absolute = f"{HOST}/translator/document/batches/b1/documents?skip=1&api-version=2024-05-01"
    scripted = {A: page(0, 1, "?skip=1&api-version=2024-05-01"), absolute: page(1, 1, None)}
    pages = list(walk(scripted, []))
    assert pages[0].next_link == absolute
    assert pages[0].items == scripted[A].items


@pytest.mark.parametrize("link", ["", None])
def test_empty_or_null_link_ends(link: str | None) -> None:
    """A first page whose next link is '' or null is the only page."""
    fetched: list[str] = []
    pages = list(walk({A: page(0, 2, link)}, fetched))
    assert fetched == [A]
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
def test_top_caps_items_and_stops_following(top: int, counts: list[int], fetched: list[str]) -> None:
    """top caps the total across pages; once used up no further link is followed and the last link is None."""
    urls: list[str] = []
    pages = list(walk({A: page(0, 3, B), B: page(3, 3, C), C: page(6, 2, None)}, urls, top=top))
    assert [len(p.items) for p in pages] == counts
    assert urls == fetched
    assert pages[-1].next_link is None
    assert [d.id for p in pages for d in p.items] == ids(0, sum(counts))


def test_top_when_service_ignores_it() -> None:
    """A service that sends more items than top asked for is cut to top on the first page."""
    fetched: list[str] = []
    pages = list(walk({A: page(0, 50, B)}, fetched, top=10))
    assert [len(p.items) for p in pages] == [10]
    assert pages[0].next_link is None
    assert fetched == [A]


def test_cycle_a_b_a_is_an_error() -> None:
    """A→B→A gives B's items (no next link) and then raises ContinuationLinkError, never fetching A again."""
    fetched: list[str] = []
    scripted = {A: page(0, 3, B), B: page(3, 3, A)}
    pages = walk(scripted, fetched)
    assert next(pages) is scripted[A]
    second = next(pages)
    assert (second.items, second.next_link) == (scripted[B].items, None)
    with pytest.raises(ContinuationLinkError, match="repeated"):
        next(pages)
    assert fetched == [A, B]


def test_longer_cycle_is_an_error() -> None:
    """A→B→C→B raises ContinuationLinkError without fetching B twice."""
    fetched: list[str] = []
    with pytest.raises(ContinuationLinkError, match="repeated"):
        list(walk({A: page(0, 3, B), B: page(3, 3, C), C: page(6, 3, B)}, fetched))
    assert fetched == [A, B, C]


def test_first_url_repeated_is_an_error() -> None:
    """A first page naming itself as the next page is an error, not an endless loop."""
    fetched: list[str] = []
    with pytest.raises(ContinuationLinkError, match="repeated"):
        list(walk({A: page(0, 3, A)}, fetched))
    assert fetched == [A]


def test_other_origin_link_never_fetched() -> None:
    """A next link to another host raises ContinuationLinkError and is never fetched."""
    fetched: list[str] = []
    with pytest.raises(ContinuationLinkError) as info:
        list(walk({A: page(0, 3, EVIL)}, fetched))
    assert fetched == [A]
    assert "SECRETQUERY" not in str(info.value)


def test_refusal_raised_every_time_it_is_asked() -> None:
    """Once a link is refused the cursor keeps refusing: the listing cannot be continued past the refusal."""
    cursor = Cursor[DocumentPage](ENDPOINT, FIRST, top=None, max_pages=100)
    cursor.receive(page(0, 3, EVIL))
    for _ in range(2):
        with pytest.raises(ContinuationLinkError):
            _ = cursor.request


def test_listing_of_exactly_max_pages_succeeds() -> None:
    """A listing with exactly max_pages pages completes."""
    assert len(list(walk({A: page(0, 3, B), B: page(3, 3, C), C: page(6, 3, None)}, [], max_pages=3))) == 3


def test_max_pages_exceeded_is_an_error() -> None:
    """A listing that would pass max_pages raises ContinuationLinkError without fetching beyond max_pages."""
    fetched: list[str] = []
    with pytest.raises(ContinuationLinkError, match="3 pages"):
        list(walk({A: page(0, 3, B), B: page(3, 3, C), C: page(6, 3, D), D: page(9, 3, None)}, fetched, max_pages=3))
    assert fetched == [A, B, C]


def test_runaway_listing_of_distinct_links_stops() -> None:
    """A service that keeps inventing new next links is stopped at max_pages."""
    cursor = Cursor[DocumentPage](ENDPOINT, FIRST, top=None, max_pages=50)
    fetched = 0
    with pytest.raises(ContinuationLinkError, match="runaway"):  # noqa: PT012 - the loop is the listing
        while cursor.request is not None:
            fetched += 1
            cursor.receive(page(0, 1, f"{HOST}/p?n={fetched}"))
    assert fetched == 50


def test_seen_given_by_caller_is_honoured_and_not_mutated() -> None:
    """Links in the caller's seen set count as repeated; the caller's set is left as it was."""
    seen = {page_key(B)}
    with pytest.raises(ContinuationLinkError, match="repeated"):
        list(walk({A: page(0, 3, B)}, [], seen=seen))
    assert seen == {page_key(B)}


def test_batch_pages_keep_their_type() -> None:
    """A cursor over batch listings gives BatchPage objects, cut to top like document pages."""
    summary = StatusSummary(1, 0, 1, 0, 0, 0)
    batches = [BatchStatus(f"b{n}", Status.SUCCEEDED, T0, T0, summary) for n in range(4)]
    first = ENDPOINT.batches()
    link = f"{HOST}/translator/document/batches?skip=2&api-version=2024-05-01"
    pages_by_url = {first.url: BatchPage(batches[:2], link), link: BatchPage(batches[2:], None)}
    cursor = Cursor[BatchPage](ENDPOINT, first, top=3, max_pages=10)
    pages = []
    while (request := cursor.request) is not None:
        pages.append(cursor.receive(pages_by_url[request.url]))
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
        "http://unit.test/translator/document/batches/b1/documents?skip=3",
        "https://unit.test:8443/x",
        "https://u:p@unit.test/x",
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


def test_resumed_listing_refuses_to_loop_back_to_the_resume_link() -> None:
    """After resuming at B, a page pointing back at B is a repeated link."""
    seen: set[str] = set()
    first = first_request_for_resume(ENDPOINT, B, seen)
    fetched: list[str] = []
    with pytest.raises(ContinuationLinkError, match="repeated"):
        list(walk({B: page(3, 3, C), C: page(6, 3, B)}, fetched, first=first, seen=seen))
    assert fetched == [B, C]


def test_resumed_listing_gives_the_rest() -> None:
    """Resuming at a page's next link gives exactly the remaining pages."""
    scripted = {A: page(0, 3, B), B: page(3, 3, C), C: page(6, 2, None)}
    token = next(walk(scripted, [])).next_link
    assert token is not None
    seen: set[str] = set()
    fetched: list[str] = []
    rest = list(walk(scripted, fetched, first=first_request_for_resume(ENDPOINT, token, seen), seen=seen))
    assert [d.id for p in rest for d in p.items] == ids(3, 5)
    assert fetched == [B, C]


# --- the client's listing loop ------------------------------------------------------------------------------


async def test_client_lists_every_document_once(fake: FakeTransport, clock: VirtualClock) -> None:
    """list_documents follows absolute and relative links with GETs and yields every document once, in order."""
    fake.script(A, wire(0, 3, B))
    fake.script(B, wire(3, 3, "documents?skip=6&api-version=2024-05-01"))
    fake.script(C, wire(6, 2, None))
    listed = [d.id async for d in over(fake, clock).list_documents("b1")]
    assert listed == ids(0, 8)
    assert fake.urls == [A, B, C]
    assert {request.method for request in fake.requests} == {"GET"}


async def test_client_pages_carry_absolute_resume_tokens(fake: FakeTransport, clock: VirtualClock) -> None:
    """iter_document_pages yields each page with its checked, absolute next link."""
    fake.script(A, wire(0, 3, "documents?skip=3&api-version=2024-05-01"))
    fake.script(B, wire(3, 1, None))
    pages = [p async for p in over(fake, clock).iter_document_pages("b1")]
    assert [p.next_link for p in pages] == [B, None]


async def test_client_sends_top_and_trims_to_it(fake: FakeTransport, clock: VirtualClock) -> None:
    """top is asked of the service, and a service that ignores it is cut to it without another request."""
    first = ENDPOINT.documents("b1", top=10).url
    fake.script(first, wire(0, 50, B))
    pages = [p async for p in over(fake, clock).iter_document_pages("b1", top=10)]
    assert [len(p.items) for p in pages] == [10]
    assert pages[0].next_link is None
    assert fake.urls == [first]
    assert "top=10" in first


async def test_client_top_across_pages(fake: FakeTransport, clock: VirtualClock) -> None:
    """top counts across pages: the listing stops following links once it is used up."""
    first = ENDPOINT.documents("b1", top=4).url
    fake.script(first, wire(0, 3, B))
    fake.script(B, wire(3, 3, C))
    assert [d.id async for d in over(fake, clock).list_documents("b1", top=4)] == ids(0, 4)
    assert fake.urls == [first, B]


async def test_client_refuses_a_cycle_after_yielding_the_page(fake: FakeTransport, clock: VirtualClock) -> None:
    """A→B→A: B's page is still yielded (without its link), then ContinuationLinkError; A is not fetched again."""
    fake.script(A, wire(0, 3, B))
    fake.script(B, wire(3, 3, A))
    pages = over(fake, clock).iter_document_pages("b1")
    assert (await anext(pages)).next_link == B
    second = await anext(pages)
    assert ([d.id for d in second.items], second.next_link) == (ids(3, 3), None)
    with pytest.raises(ContinuationLinkError, match="repeated"):
        await anext(pages)
    assert fake.urls == [A, B]


async def test_client_yields_the_items_before_refusing_a_foreign_link(fake: FakeTransport, clock: VirtualClock) -> None:
    """A page linking to another origin: its documents are listed, the link is refused and never requested, and
    the refusal does not show the link's query."""
    fake.script(A, wire(0, 3, EVIL))
    listed: list[DocumentStatus] = []
    with pytest.raises(ContinuationLinkError) as info:
        await collect(over(fake, clock).list_documents("b1"), listed)
    assert [d.id for d in listed] == ids(0, 3)
    assert fake.urls == [A]
    assert "SECRETQUERY" not in str(info.value)


async def test_client_max_pages(fake: FakeTransport, clock: VirtualClock) -> None:
    """max_pages= stops a listing that would pass it, after yielding the pages within it; exactly that many
    pages is fine."""
    for url, (start, link) in {A: (0, B), B: (3, C), C: (6, D), D: (9, None)}.items():
        fake.script(url, wire(start, 3, link), wire(start, 3, link))
    listed: list[DocumentStatus] = []
    with pytest.raises(ContinuationLinkError, match="3 pages"):
        await collect(over(fake, clock, max_pages=3).list_documents("b1"), listed)
    assert [d.id for d in listed] == ids(0, 9)
    assert fake.urls == [A, B, C]
    assert len([d async for d in over(fake, clock, max_pages=4).list_documents("b1")]) == 12


async def test_client_retries_a_failed_page_alone(fake: FakeTransport, clock: VirtualClock) -> None:
    """A page that fails is fetched again by itself: nothing is lost or listed twice."""
    fake.script(A, wire(0, 3, B))
    fake.script(B, error_response(503), wire(3, 2, None))
    client = over(fake, clock, retry=RetryPolicy(jitter=False))
    assert [d.id async for d in client.list_documents("b1")] == ids(0, 5)
    assert fake.urls == [A, B, B]
    assert clock.sleeps == [0.5]


async def test_client_resumes_from_a_token(fake: FakeTransport, clock: VirtualClock) -> None:
    """resume_from= a page's next link lists exactly the rest, and refuses a page pointing back at it."""
    fake.script(B, wire(3, 3, C))
    fake.script(C, wire(6, 2, None))
    assert [d.id async for d in over(fake, clock).list_documents("b1", resume_from=B)] == ids(3, 5)
    assert fake.urls == [B, C]
    fake.script(B, wire(3, 3, C))
    fake.script(C, wire(6, 3, B))
    with pytest.raises(ContinuationLinkError, match="repeated"):
        _ = [d async for d in over(fake, clock).list_documents("b1", resume_from=B)]


async def test_client_resume_takes_no_other_parameter(fake: FakeTransport, clock: VirtualClock) -> None:
    """resume_from= with a filter is a ValueError (the link holds the listing's parameters); a foreign or empty
    resume link is refused; nothing is sent."""
    client = over(fake, clock)
    with pytest.raises(ValueError, match="resume_from"):
        client.list_documents("b1", resume_from=B, top=3)
    with pytest.raises(ContinuationLinkError):
        client.list_documents("b1", resume_from=EVIL)
    with pytest.raises(ValueError, match="non-empty"):
        client.list_documents("b1", resume_from="")
    assert fake.sent == []


async def test_client_batch_listing(fake: FakeTransport, clock: VirtualClock) -> None:
    """list_batches and iter_batch_pages page the batch listing the same way, BatchPage by BatchPage."""
    first = ENDPOINT.batches(top=3).url
    link = f"{HOST}/translator/document/batches?skip=2&api-version=2024-05-01"
    fake.script(first, page_response([batch_body(batch_id=f"b{n}") for n in range(2)], link))
    fake.script(link, page_response([batch_body(batch_id=f"b{n}") for n in range(2, 4)], None))
    pages = [p async for p in over(fake, clock).iter_batch_pages(top=3)]
    assert all(type(p) is BatchPage for p in pages)
    assert [b.id for p in pages for b in p.items] == ["b0", "b1", "b2"]


# --- the listing's deadline ---------------------------------------------------------------------------------


async def test_deadline_during_a_page_retry_is_resumable(fake: FakeTransport, clock: VirtualClock) -> None:
    """A page whose retry would pass the listing's deadline raises ListingTimeoutError with that page as the
    resume link and the failure as its cause, having slept less than the deadline."""
    fake.script(A, wire(0, 3, B))
    fake.script(B, error_response(503, "30"))
    listed: list[DocumentStatus] = []
    with pytest.raises(ListingTimeoutError) as info:
        await collect(over(fake, clock).list_documents("b1", timeout=20), listed)
    assert isinstance(info.value, TimeoutError)
    assert isinstance(info.value.__cause__, ServerError)
    assert info.value.next_link == B
    assert [d.id for d in listed] == ids(0, 3)
    assert clock.monotonic() < 20
    assert {deadline.at for _, deadline in fake.sent} == {20.0}


async def test_deadline_between_pages(fake: FakeTransport, clock: VirtualClock) -> None:
    """A consumer that spends the listing's time between pages gets ListingTimeoutError before the next request,
    with the next page to resume from."""
    fake.script(A, wire(0, 3, B))

    async def slow_consumer() -> None:
        async for _ in over(fake, clock).iter_document_pages("b1", timeout=10):
            clock.advance(11)

    with pytest.raises(ListingTimeoutError) as info:
        await slow_consumer()
    assert info.value.next_link == B
    assert fake.urls == [A]


async def test_page_cut_in_flight_by_the_deadline(fake: FakeTransport, clock: VirtualClock) -> None:
    """A transport cut off by the deadline (DeadlineReached) ends the listing with ListingTimeoutError caused by
    what was cut short; the page is not retried."""

    fake.script(A, stalls(clock))
    with pytest.raises(ListingTimeoutError) as info:
        _ = [d async for d in over(fake, clock).list_documents("b1", timeout=10)]
    assert isinstance(info.value.__cause__, TransportError)
    assert info.value.next_link == A
    assert fake.urls == [A]


async def test_zero_timeout_listing_sends_nothing(fake: FakeTransport, clock: VirtualClock) -> None:
    """A listing whose deadline has already come raises ListingTimeoutError before its first request, with that
    request as the place to resume from."""
    with pytest.raises(ListingTimeoutError) as info:
        _ = [d async for d in over(fake, clock).list_documents("b1", timeout=0)]
    assert info.value.next_link == A
    assert fake.sent == []


@pytest.mark.parametrize("timeout", [float("nan"), float("inf"), -1.0])
async def test_listing_deadline_checked_before_any_request(
    fake: FakeTransport, clock: VirtualClock, timeout: float
) -> None:
    """A NaN, infinite or negative timeout is a ValueError when the listing is made, before any request."""
    with pytest.raises(ValueError, match="timeout"):
        over(fake, clock).list_documents("b1", timeout=timeout)
    assert fake.sent == []


# --- the request's path -------------------------------------------------------------------------------------


async def test_list_documents_reaches_send_in_at_most_five_library_frames(clock: VirtualClock) -> None:
    """From the loop consuming list_documents to Transport.send, a request crosses at most 5 frames of the
    library (the issue's bound; gidgethub needs 3), on the first page and on the next ones."""
    paths: list[list[str]] = []

    def measure(request: Request, deadline: Deadline) -> None:
        frames = inspect.stack(context=0)
        send = next(i for i, frame in enumerate(frames) if frame.function == "send")
        consumer = next(i for i, frame in enumerate(frames) if frame.function == "consume")
        between = frames[send + 1 : consumer]
        paths.append([frame.function for frame in between if Path(frame.filename).resolve().is_relative_to(PACKAGE)])

    fake = FakeTransport(on_send=measure)
    fake.script(A, wire(0, 3, B))
    fake.script(B, wire(3, 3, None))
    client = over(fake, clock)

    async def consume() -> list[str]:
        return [d.id async for d in client.list_documents("b1")]

    assert await consume() == ids(0, 6)
    assert len(paths) == 2
    assert all(1 <= len(path) <= 5 for path in paths), paths
