"""Server paging and list filters exactly as the real service does them."""

from __future__ import annotations

import itertools
import time
import uuid
from datetime import datetime
from urllib.parse import quote

import pytest

from doctrans_async._clock import VirtualClock

from . import AUTH, serve


def _ids(pages: list[list[dict[str, str]]]) -> list[str]:
    return [d["id"] for page in pages for d in page]


async def test_default_page_size_is_50_and_the_last_page_has_no_next_link() -> None:
    """120 documents come as pages of 50, 50 and 20; only the last page lacks a next link."""
    async with serve() as probe:
        batch_id = probe.emulator.add_batch(documents=120)
        pages = [p.json() for p in await probe.documents("2024-05-01", batch_id)]
    assert [len(p["value"]) for p in pages] == [50, 50, 20]
    assert ["nextLink" in p for p in pages] == [True, True, False]


def _stamp(text: str) -> tuple[datetime, str]:
    """A timestamp to its 100 ns tick (a datetime keeps microseconds only)."""
    whole, _, fraction = text.removesuffix("Z").partition(".")
    return datetime.fromisoformat(whole + "+00:00"), fraction.ljust(7, "0")


async def test_documents_are_sorted_by_id_descending_and_newest_first() -> None:
    """The listing is sorted by document id, descending, as the seed page documents, which is newest first: each
    document is created apart from the others, after its batch and no later than its last action, each stamp's
    seventh fractional digit its own (recorded)."""
    clock = VirtualClock()
    async with serve(clock=clock, page_size=7) as probe:
        batch_id = probe.emulator.add_batch(documents=30, seconds=0)
        batch = (await probe.get(probe.emulator.batch_url(batch_id))).json()
        documents = [d for p in await probe.documents("v1.0", batch_id) for d in p.json()["value"]]
    ids = [d["id"] for d in documents]
    created = [_stamp(d["createdDateTimeUtc"]) for d in documents]
    assert len(ids) == len(set(ids)) == 30
    assert ids == sorted(ids, reverse=True)
    assert all(a > b for a, b in itertools.pairwise(created))
    assert len({fraction[6] for _, fraction in created}) > 1
    assert created[-1] > _stamp(batch["createdDateTimeUtc"])
    assert all(_stamp(d["lastActionDateTimeUtc"]) >= c for d, c in zip(documents, created, strict=True))


@pytest.mark.parametrize("version", ["v1.0", "2024-05-01"])
async def test_documents_orderby_asc_lists_oldest_first_through_every_page(version: str) -> None:
    """orderby createdDateTimeUtc asc reverses the listing, filters and paging included; desc is the default."""
    order = "$orderBy" if version[0] == "v" else "orderby"
    clock = VirtualClock()
    async with serve(clock=clock, page_size=4) as probe:
        batch_id = probe.emulator.add_batch(documents=23, seconds=46, failures=3)
        clock.advance(20)
        for statuses in ("", "&statuses=Succeeded,NotStarted"):
            newest = await probe.documents(version, batch_id, statuses.lstrip("&"))
            oldest = await probe.documents(version, batch_id, f"{order}=createdDateTimeUtc%20asc{statuses}")
            desc = await probe.documents(version, batch_id, f"{order}=createdDateTimeUtc%20desc{statuses}")
            newest_ids = _ids([p.json()["value"] for p in newest])
            assert len(newest_ids) == (23 if not statuses else len(newest_ids)) > 4
            assert _ids([p.json()["value"] for p in oldest]) == newest_ids[::-1]
            assert _ids([p.json()["value"] for p in desc]) == newest_ids
            assert [len(p.json()["value"]) for p in oldest] == [len(p.json()["value"]) for p in newest]


async def test_documents_created_date_filters_select_exactly_the_documents_inside() -> None:
    """createdDateTimeUtcStart/End select the documents created inside the window, both ends included."""
    async with serve(page_size=100) as probe:
        batch_id = probe.emulator.add_batch(documents=40)
        everything = (await probe.documents("2024-05-01", batch_id))[0].json()["value"]
        stamps = [d["createdDateTimeUtc"] for d in everything]
        early = "2000-01-01T00:00:00Z"
        windows = [(stamps[30], stamps[5]), (stamps[0], None), (None, stamps[-1]), (stamps[12], stamps[12])]
        windows += [(early, None), (None, early), (stamps[3], stamps[9])]
        for start, end in windows:
            query = "&".join(
                f"createdDateTimeUtc{name}={quote(value)}"
                for name, value in (("Start", start), ("End", end))
                if value is not None
            )
            listed = (await probe.documents("2024-05-01", batch_id, query))[0].json()["value"]
            inside = [
                d["id"]
                for d in everything
                if (start is None or _stamp(d["createdDateTimeUtc"]) >= _stamp(start))
                and (end is None or _stamp(d["createdDateTimeUtc"]) <= _stamp(end))
            ]
            assert [d["id"] for d in listed] == inside, (start, end)


async def test_v1_applies_skip_before_top_and_decrements_top_in_next_links() -> None:
    """v1.0: $skip then $top, page size $maxpagesize, and each @nextLink moves $skip on and $top down."""
    async with serve() as probe:
        batch_id = probe.emulator.add_batch(documents=20)
        everything = _ids([p.json()["value"] for p in await probe.documents("v1.0", batch_id)])
        pages = await probe.documents("v1.0", batch_id, "$top=8&$skip=1&$maxpagesize=3")
    base = f"{probe.emulator.base_url('v1.0')}/batches/{batch_id}/documents"
    links = [p.json().get("@nextLink") for p in pages]
    assert links == [f"{base}?$skip=4&$top=5&$maxpagesize=3", f"{base}?$skip=7&$top=2&$maxpagesize=3", None]
    assert _ids([p.json()["value"] for p in pages]) == everything[1:9]


async def test_2024_spells_paging_without_dollar_and_puts_api_version_last() -> None:
    """2024-05-01 pages with top/skip/maxpagesize and nextLink, api-version last in every link (as recorded)."""
    async with serve() as probe:
        batch_id = probe.emulator.add_batch(documents=5)
        pages = await probe.documents("2024-05-01", batch_id, "top=4&maxpagesize=2")
    base = f"{probe.emulator.endpoint}/translator/document/batches/{batch_id}/documents"
    assert pages[0].json()["nextLink"] == f"{base}?skip=2&top=2&maxpagesize=2&api-version=2024-05-01"
    assert "nextLink" not in pages[1].json()
    assert len(pages) == 2


async def test_preview_honours_maxpagesize_and_links_carry_what_is_left() -> None:
    """v1.0-preview.1 honours $maxpagesize; each @nextLink says $skip, $top (what is left) and $maxpagesize, even
    when the request sent no $top: the recorded ``$skip=2&$top=8&$maxpagesize=2`` for 10 documents."""
    async with serve(page_size=4) as probe:
        batch_id = probe.emulator.add_batch(documents=10)
        pages = await probe.documents("v1.0-preview.1", batch_id, "$skip=0&$maxpagesize=2")
    links = [p.json().get("@nextLink") for p in pages]
    assert [len(p.json()["value"]) for p in pages] == [2] * 5
    assert [link.partition("?")[2] if link else None for link in links] == [
        "$skip=2&$top=8&$maxpagesize=2",
        "$skip=4&$top=6&$maxpagesize=2",
        "$skip=6&$top=4&$maxpagesize=2",
        "$skip=8&$top=2&$maxpagesize=2",
        None,
    ]


async def test_links_drop_unknown_parameters_and_carry_the_server_page_size() -> None:
    """A next link is rebuilt from what the service understood: unknown parameters go, maxpagesize is the page
    size applied even when the request sent none (recorded: ``maxpagesize=50`` on a listing that sent none)."""
    async with serve(page_size=3) as probe:
        batch_id = probe.emulator.add_batch(documents=5)
        page = await probe.get(probe.url("v1.0", f"/batches/{batch_id}/documents", "foo=bar"))
    assert page.json()["@nextLink"].partition("?")[2] == "$skip=3&$top=2&$maxpagesize=3"


@pytest.mark.parametrize(
    ("version", "query", "link"),
    [
        ("v1.0", "$orderBy=createdDateTimeUtc%20asc", "$skip=1&$top=2&$maxpagesize=1&$orderBy=createdDateTimeUtc asc"),
        (
            "2024-05-01",
            "orderby=createdDateTimeUtc%20desc&statuses=Succeeded",
            "skip=1&top=2&maxpagesize=1&orderBy=createdDateTimeUtc desc&statuses=Succeeded&api-version=2024-05-01",
        ),
    ],
)
async def test_ordered_links_carry_a_raw_space_as_the_real_service_writes(version: str, query: str, link: str) -> None:
    """The order comes back re-cased (2024: orderBy) with its space unencoded, then the filters, api-version last;
    the emulator reads its own links back (parameter names in any case)."""
    async with serve(page_size=1) as probe:
        for _ in range(3):
            probe.emulator.add_batch(seconds=0)
        pages = await probe.pages(probe.url(version, "/batches", query))
    assert pages[0].json()["@nextLink"].partition("?")[2] == link
    assert [len(p.json()["value"]) for p in pages] == [1, 1, 1]


async def test_raw_space_links_false_encodes_the_space() -> None:
    """raw_space_links=False writes the order's space as %20, for clients that cannot follow the real links."""
    async with serve(page_size=1, raw_space_links=False) as probe:
        probe.emulator.add_batch()
        probe.emulator.add_batch()
        page = await probe.get(probe.url("v1.0", "/batches", "$orderBy=createdDateTimeUtc%20asc"))
    assert page.json()["@nextLink"].endswith("&$orderBy=createdDateTimeUtc%20asc")


async def test_next_link_is_absent_once_top_is_used_up() -> None:
    """When $top ends exactly on a page boundary no next link is given, even though documents remain."""
    async with serve(page_size=5) as probe:
        batch_id = probe.emulator.add_batch(documents=20)
        pages = await probe.documents("v1.0", batch_id, "$top=5")
    assert len(pages) == 1
    assert len(pages[0].json()["value"]) == 5


@pytest.mark.parametrize(("query", "count"), [("$top=0", 0), ("$skip=30", 0), ("$skip=9", 1)])
async def test_top_zero_and_skip_past_the_end_give_short_pages(query: str, count: int) -> None:
    """$top=0 and $skip at or past the end answer 200 with what is left (maybe nothing) and no next link."""
    async with serve() as probe:
        batch_id = probe.emulator.add_batch(documents=10)
        pages = await probe.documents("v1.0", batch_id, query)
    assert len(pages) == 1
    assert len(pages[0].json()["value"]) == count


@pytest.mark.parametrize(
    ("version", "query", "target"),
    [
        ("v1.0", "$top=-1", "$top"),
        ("v1.0", "$top=abc", "$top"),
        ("v1.0", "$top=2147483648", "$top"),
        ("v1.0", "$skip=1.5", "$skip"),
        ("v1.0", "$maxpagesize=0", "$maxpagesize"),
        ("v1.0", "$maxpagesize=101", "$maxpagesize"),
        ("2024-05-01", "top=x", "top"),
        ("2024-05-01", "maxpagesize=500", "maxpagesize"),
        ("v1.0-preview.1", "$skip=-3", "$skip"),
    ],
)
async def test_invalid_paging_values_are_400_invalid_argument(version: str, query: str, target: str) -> None:
    """A non-integer, negative or too large top/skip, or maxpagesize outside 1-100, is 400 InvalidArgument."""
    async with serve() as probe:
        batch_id = probe.emulator.add_batch()
        answer = await probe.get(probe.url(version, f"/batches/{batch_id}/documents", query))
    assert answer.status == 400
    assert answer.json()["error"]["code"] == "InvalidArgument"
    assert answer.json()["error"]["target"] == target


async def test_largest_top_and_skip_are_accepted() -> None:
    """$top and $skip of 2147483647 are valid."""
    async with serve() as probe:
        batch_id = probe.emulator.add_batch()
        answer = await probe.get(probe.url("v1.0", f"/batches/{batch_id}/documents", "$top=2147483647"))
    assert answer.status == 200


async def test_next_links_are_on_the_origin_the_request_came_to() -> None:
    """The next link's origin is the Host the request named, not a configured one."""
    async with serve(page_size=1) as probe:
        batch_id = probe.emulator.add_batch(documents=2)
        url = probe.url("v1.0", f"/batches/{batch_id}/documents")
        answer = await probe.get(url, headers={**AUTH, "Host": "translator.example:4443"})
    link = answer.json()["@nextLink"]
    assert link.startswith("http://translator.example:4443/translator/text/batch/v1.0/batches/")


async def test_status_filter_selects_documents_in_listing_order() -> None:
    """statuses=Running,NotStarted lists just those documents, still id-descending, paged like the rest."""
    clock = VirtualClock()
    async with serve(clock=clock, page_size=3) as probe:
        batch_id = probe.emulator.add_batch(documents=20, seconds=24)
        clock.advance(12)
        summary = (await probe.get(probe.emulator.batch_url(batch_id))).json()["summary"]
        pages = await probe.documents("2024-05-01", batch_id, "statuses=Running,NotStarted")
    documents = [d for p in pages for d in p.json()["value"]]
    assert len(documents) == summary["inProgress"] + summary["notYetStarted"]
    assert {d["status"] for d in documents} == {"Running", "NotStarted"}
    assert [d["id"] for d in documents] == sorted((d["id"] for d in documents), reverse=True)


async def test_ids_filter_selects_those_documents() -> None:
    """ids=a,b lists only those documents."""
    async with serve() as probe:
        batch_id = probe.emulator.add_batch(documents=10)
        everything = _ids([p.json()["value"] for p in await probe.documents("v1.0", batch_id)])
        wanted = [everything[7], everything[2]]
        page = (await probe.documents("v1.0", batch_id, "ids=" + ",".join(wanted)))[0].json()
    assert [d["id"] for d in page["value"]] == sorted(wanted, reverse=True)


@pytest.mark.parametrize(
    ("query", "target"),
    [
        ("statuses=Sleeping", "statuses"),
        ("ids=" + ",".join(str(uuid.UUID(int=i)) for i in range(26)), "ids"),
        ("ids=not-a-guid", "ids"),
        ("createdDateTimeUtcStart=yesterday", "createdDateTimeUtcStart"),
        ("$orderBy=size%20desc", "$orderBy"),
    ],
    ids=["status", "too-many-ids", "bad-id", "bad-date", "bad-order"],
)
async def test_invalid_filters_are_400_invalid_argument(query: str, target: str) -> None:
    """An unknown status, more than 25 ids, a non-GUID id, a bad date or order is 400 InvalidArgument."""
    async with serve() as probe:
        answer = await probe.get(probe.url("v1.0", "/batches", query))
    assert answer.status == 400
    assert answer.json()["error"]["target"] == target


async def test_batch_list_is_newest_first_and_honours_orderby_and_dates() -> None:
    """GET batches lists newest first by default, oldest first with orderby asc, and filters by created date."""
    clock = VirtualClock()
    async with serve(clock=clock, page_size=2) as probe:
        made = []
        for _ in range(3):
            made.append(probe.emulator.add_batch())
            clock.advance(3600)
        newest_first = [p.json() for p in await probe.pages(probe.url("2024-05-01", "/batches"))]
        ascending = probe.url("2024-05-01", "/batches", "orderby=createdDateTimeUtc%20asc")
        oldest_first = [p.json() for p in await probe.pages(ascending)]
        since = await probe.get(probe.url("2024-05-01", "/batches", "createdDateTimeUtcStart=2026-01-01T00:30:00Z"))
    assert _ids([p["value"] for p in newest_first]) == made[::-1]
    assert _ids([p["value"] for p in oldest_first]) == made
    assert [b["id"] for b in since.json()["value"]] == made[:0:-1]


async def test_batch_list_filters_by_status_and_id() -> None:
    """GET batches with statuses or ids lists only the matching batches."""
    clock = VirtualClock()
    async with serve(clock=clock) as probe:
        done = probe.emulator.add_batch(seconds=1)
        failed = probe.emulator.add_batch(outcome="ValidationFailed")
        running = probe.emulator.add_batch(seconds=100)
        clock.advance(50)
        by_status = await probe.get(probe.url("v1.0", "/batches", "statuses=Succeeded,ValidationFailed"))
        by_id = await probe.get(probe.url("v1.0", "/batches", f"ids={running}"))
    assert {b["id"] for b in by_status.json()["value"]} == {done, failed}
    assert [b["id"] for b in by_id.json()["value"]] == [running]


async def test_a_page_deep_into_100k_documents_is_cheap() -> None:
    """Pages of a 100,000-document batch are computed lazily: the last page costs about what the first does."""
    clock = VirtualClock()
    async with serve(clock=clock) as probe:
        batch_id = probe.emulator.add_batch(documents=100_000, seconds=3600, failures=500)
        clock.advance(1800)
        started = time.perf_counter()
        last = await probe.get(probe.url("v1.0", f"/batches/{batch_id}/documents", "$skip=99990&$maxpagesize=100"))
        failed = await probe.get(probe.url("v1.0", f"/batches/{batch_id}/documents", "statuses=Failed&$top=5"))
        elapsed = time.perf_counter() - started
        summary = (await probe.get(probe.emulator.batch_url(batch_id))).json()["summary"]
    assert len(last.json()["value"]) == 10
    assert {d["status"] for d in failed.json()["value"]} == {"Failed"}
    assert summary["total"] == 100_000
    assert summary["failed"] > 0
    assert elapsed < 1.0
