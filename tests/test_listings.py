"""Listings at the aiohttp layer (aioresponses): the filters each version sends or refuses, and the next links
followed or refused."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

import doctrans_async as dt
from tests.support import BASE, ENDPOINT, SECRET, V1, MockedService, Q, batch_body, document_body


async def test_list_batches_with_filters(client: dt.DocumentTranslationClient, mocked: MockedService) -> None:
    """list_batches sends ids, statuses, dates and order as the 2024 API names them, and pages through."""
    after = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    first = (
        f"{BASE}/batches?top=3&ids=a,b&statuses=Succeeded,Cancelled"
        f"&createdDateTimeUtcStart=2024-01-02T03:04:05.000000Z&orderby=createdDateTimeUtc%20desc&maxpagesize=100&{Q}"
    )
    second = f"{BASE}/batches?skip=2&top=1&{Q}"
    mocked.get(first, payload={"value": [batch_body(batch_id="a"), batch_body(batch_id="b")], "nextLink": second})
    mocked.get(second, payload={"value": [batch_body(batch_id="c")]})
    listed = [
        b.id
        async for b in client.list_batches(
            top=3, ids=["a", "b"], statuses=[dt.Status.SUCCEEDED, "Canceled"], created_after=after, order_by="desc"
        )
    ]
    assert listed == ["a", "b", "c"]


async def test_v1_filters_use_dollar_orderby(mocked: MockedService, clock: dt.VirtualClock) -> None:
    """On v1.0 the order parameter is $orderBy and batch pages use '@nextLink'."""
    mocked.get(
        f"{V1}/batches?$orderBy=createdDateTimeUtc%20asc&$maxpagesize=100",
        payload={"value": [batch_body(batch_id="x")], "@nextLink": None},
    )
    async with dt.DocumentTranslationClient(ENDPOINT, key=SECRET, api_version="v1.0", clock=clock) as c:
        assert [b.id async for b in c.list_batches(order_by="asc")] == ["x"]


@pytest.mark.parametrize(
    "kwargs",
    [{"ids": "abc"}, {"statuses": "Failed"}, {"created_after": datetime(2024, 1, 1)}, {"order_by": "newest"}],
)
async def test_bad_filters_fail_before_sending(
    client: dt.DocumentTranslationClient, mocked: MockedService, kwargs: dict[str, Any]
) -> None:
    """A string for ids or statuses (it was sent as its letters: statuses=F,a,i,l,e,d), a naive datetime or an
    unknown order is a clear error before any request."""
    with pytest.raises((TypeError, ValueError)):
        async for _ in client.list_batches(**kwargs):
            pass
    assert mocked.sent() == []


async def test_filters_refused_on_preview(mocked: MockedService, clock: dt.VirtualClock) -> None:
    """v1.0-preview.1 has no filters: asking for one raises UnsupportedOperationError, nothing sent."""
    async with dt.DocumentTranslationClient(ENDPOINT, key=SECRET, api_version="v1.0-preview.1", clock=clock) as c:
        with pytest.raises(dt.UnsupportedOperationError, match="ids"):
            async for _ in c.list_documents("b1", ids=["d1"]):
                pass
    assert mocked.sent() == []


# --- next links ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("link", ["https://unit.test/x\r\nX-Evil: 1", "https://unit.test/x\tX", "https://unit.test/é"])
async def test_next_links_with_unsafe_characters_refused(
    client: dt.DocumentTranslationClient, mocked: MockedService, link: str
) -> None:
    """A next link with control characters (line breaks, tabs) or non-ASCII is refused; the message carries no
    line break."""
    url = f"{ENDPOINT}/translator/document/batches/b1/documents?maxpagesize=100&api-version=2024-05-01"
    mocked.get(url, payload={"value": [], "nextLink": link})
    with pytest.raises(dt.ContinuationLinkError) as caught:
        async for _ in client.list_documents("b1"):
            pass
    assert "\n" not in str(caught.value)
    assert len(mocked.sent()) == 1


async def test_next_link_with_raw_spaces_followed_as_percent_20(
    client: dt.DocumentTranslationClient, mocked: MockedService
) -> None:
    """The real service's link with a raw space is followed: the space sent as %20, the rest byte for byte."""
    url = f"{ENDPOINT}/translator/document/batches?maxpagesize=100&api-version=2024-05-01"
    link = f"{ENDPOINT}/translator/document/batches?skip=1&$x=a,b&orderBy=createdDateTimeUtc asc&api-version=2024-05-01"
    sent = link.replace(" ", "%20")
    mocked.get(url, payload={"value": [], "@nextLink": link})
    mocked.get(sent, payload={"value": []})
    assert [b async for b in client.list_batches()] == []
    assert len(mocked.sent()) == 2  # the byte-for-byte request target is checked over a socket in tests/recorded


# --- pages shifted under the listing ------------------------------------------------------------------------
# The service pages by offset: an item entering the listed set before the offset reached pushes one already
# listed onto the next page (tests/emulator shows it against the emulator's own paging).


async def test_a_batch_pushed_onto_the_next_page_is_listed_once(
    client: dt.DocumentTranslationClient, mocked: MockedService
) -> None:
    """A batch started between two pages pushes the last one listed onto the next page: it is yielded once."""
    first = f"{BASE}/batches?maxpagesize=100&{Q}"
    second = f"{BASE}/batches?skip=2&{Q}"
    mocked.get(first, payload={"value": [batch_body(batch_id="a"), batch_body(batch_id="b")], "nextLink": second})
    mocked.get(second, payload={"value": [batch_body(batch_id="b"), batch_body(batch_id="c")]})
    assert [b.id async for b in client.list_batches()] == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("how", "listed"),
    [
        ("filtered", ["d1", "d2", "d3"]),
        ("resumed", ["d1", "d2", "d3"]),  # from a link that filters by status
        ("unfiltered", ["d1", "d2", "d2", "d3"]),  # the set is fixed, so no set of ids is kept
    ],
)
async def test_a_document_pushed_onto_the_next_page_of_a_status_filter_is_listed_once(
    client: dt.DocumentTranslationClient, mocked: MockedService, how: str, listed: list[str]
) -> None:
    """A document coming into a status filter mid-listing pushes one already listed onto the next page: it is
    yielded once. Unfiltered, the documents of a batch cannot shift, and the listing keeps no ids."""
    status = "" if how == "unfiltered" else "&statuses=Running"
    first = f"{BASE}/batches/b1/documents?maxpagesize=100{status}&{Q}"
    second = f"{BASE}/batches/b1/documents?skip=2{status}&{Q}"
    page = [document_body("d1", "Running"), document_body("d2", "Running")]
    mocked.get(first, payload={"value": page, "nextLink": second})
    mocked.get(second, payload={"value": [document_body("d2", "Running"), document_body("d3", "Running")]})
    ways: dict[str, dict[str, Any]] = {"filtered": {"statuses": ["Running"]}, "resumed": {"resume_from": first}}
    options = ways.get(how, {})
    assert [d.id async for d in client.list_documents("b1", **options)] == listed
