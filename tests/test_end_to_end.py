"""End to end over real loopback sockets: the client against the emulator, on a shared virtual clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

import doctrans_async as dt
from doctrans_async.emulator import Emulator, Fault


async def test_start_wait_and_list_every_document(emulator: Emulator, live: dt.DocumentTranslationClient) -> None:
    """A batch started by POST is waited to its end and its documents listed once each across pages."""
    batch_id = await live.start_translation(
        source_url="https://store.blob.core.windows.net/src?sv=x",
        target_url="https://store.blob.core.windows.net/fr?sv=x",
        target_language="fr",
    )
    seen: list[dt.BatchStatus] = []
    final = await live.wait_for_completion(batch_id, timeout=3600, on_status=seen.append)
    assert final.status is dt.Status.SUCCEEDED
    assert final.is_terminal
    assert seen[-1] == final
    assert all(not s.is_terminal for s in seen[:-1])
    documents = [d async for d in live.list_documents(batch_id)]
    assert len(documents) == final.summary.total == 10
    assert len({d.id for d in documents}) == len(documents)
    assert all(d.status is dt.Status.SUCCEEDED and d.progress == 1.0 for d in documents)


async def test_failed_documents_reported(emulator: Emulator, live: dt.DocumentTranslationClient) -> None:
    """Documents that fail carry their error; the batch still ends with counts that add up."""
    batch_id = emulator.add_batch(documents=12, seconds=60, failures=3)
    final = await live.wait_for_completion(batch_id)
    assert final.summary.failed == 3
    assert final.summary.success == 9
    failed = [d async for d in live.list_documents(batch_id) if d.status is dt.Status.FAILED]
    assert len(failed) == 3
    assert all(d.error is not None and d.error.code for d in failed)


async def test_validation_failed_is_a_result(emulator: Emulator, live: dt.DocumentTranslationClient) -> None:
    """A batch that fails validation is returned, with the service's nested error, not raised."""
    batch_id = emulator.add_batch(outcome="ValidationFailed")
    final = await live.wait_for_completion(batch_id)
    assert final.status is dt.Status.VALIDATION_FAILED
    assert final.error is not None
    assert final.error.inner_error is not None
    assert final.error.inner_error.code == "InvalidDocumentAccessLevel"


async def test_cancel_goes_through_cancelling(emulator: Emulator, live: dt.DocumentTranslationClient) -> None:
    """cancel_translation answers Cancelling (v1.x: the status the batch had, as recorded); waiting then ends in
    Canceled."""
    batch_id = emulator.add_batch(documents=20, seconds=600)
    await live.get_status(batch_id)
    status = await live.cancel_translation(batch_id)
    answered = (dt.Status.NOT_STARTED, dt.Status.RUNNING) if live.api_version.is_v1 else (dt.Status.CANCELING,)
    assert status.status in answered
    final = await live.wait_for_completion(batch_id)
    assert final.status is dt.Status.CANCELED


@pytest.mark.parametrize(("top", "skip"), [(None, None), (7, None), (None, 4), (6, 3), (0, None), (100, 18)])
async def test_top_and_skip(
    emulator: Emulator, live: dt.DocumentTranslationClient, top: int | None, skip: int | None
) -> None:
    """top/skip list exactly the slice the full listing has there (skip first, then top)."""
    batch_id = emulator.add_batch(documents=23, seconds=0)
    everything = [d.id async for d in live.list_documents(batch_id)]
    assert len(everything) == 23
    window = [d.id async for d in live.list_documents(batch_id, top=top, skip=skip)]
    start = skip or 0
    stop = None if top is None else start + top
    assert window == everything[start:stop]


async def test_page_size_and_resume(emulator: Emulator, clock: dt.VirtualClock) -> None:
    """page_size shapes the pages; a saved next link resumes the listing exactly where it stopped."""
    batch_id = emulator.add_batch(documents=11, seconds=0)
    async with dt.DocumentTranslationClient(emulator.endpoint, key=emulator.key, api_version="v1.0", clock=clock) as c:
        pages = [p async for p in c.iter_document_pages(batch_id, page_size=4)]
        assert [len(p.items) for p in pages] == [4, 4, 3]
        assert pages[-1].next_link is None
        checkpoint = pages[0].next_link
        assert checkpoint is not None
        resumed = [d.id async for d in c.list_documents(batch_id, resume_from=checkpoint)]
    assert resumed == [d.id for p in pages[1:] for d in p.items]


async def test_unknown_batch_and_wrong_key(emulator: Emulator, live: dt.DocumentTranslationClient) -> None:
    """An unknown batch raises NotFoundError; a wrong key raises AuthenticationError, neither retried."""
    with pytest.raises(dt.NotFoundError) as caught:
        await live.get_status("00000000-0000-0000-0000-000000000000")
    assert caught.value.request_id
    async with dt.DocumentTranslationClient(emulator.endpoint, key="wrong", api_version=live.api_version) as bad:
        with pytest.raises(dt.AuthenticationError):
            await bad.get_status("x")
    assert sum(1 for r in emulator.requests if r.status == 401) == 1


async def test_faults_on_a_page_lose_nothing(emulator: Emulator, live: dt.DocumentTranslationClient) -> None:
    """429, 503, a dropped connection, a truncated body and an HTML 502 on pages are retried page by page."""
    batch_id = emulator.add_batch(documents=23, seconds=0)
    expected = [d.id async for d in live.list_documents(batch_id)]
    emulator.faults.script(
        "documents",
        [
            None,
            Fault.http(429, retry_after=1),
            Fault.drop(),
            None,
            Fault.truncated(),
            Fault.html_502(),
            Fault.http(503, retry_after_ms=1500),
        ],
    )
    assert [d.id async for d in live.list_documents(batch_id)] == expected


async def test_foreign_next_link_refused_and_key_not_sent(
    emulator: Emulator, live: dt.DocumentTranslationClient
) -> None:
    """A next link to another origin raises ContinuationLinkError, and no request reaches that origin."""
    batch_id = emulator.add_batch(documents=12, seconds=0)
    emulator.faults.script("documents", [Fault.foreign_next_link()])
    with pytest.raises(dt.ContinuationLinkError):
        async for _ in live.list_documents(batch_id):
            pass
    assert all(r.host.startswith("127.0.0.1") for r in emulator.requests)


@pytest.mark.parametrize("fault", [Fault.repeat_next_link(), Fault.cycle_next_link()])
async def test_looping_next_links_stop(emulator: Emulator, live: dt.DocumentTranslationClient, fault: Fault) -> None:
    """A next link to the same page, or an A→B→A cycle, raises instead of looping."""
    batch_id = emulator.add_batch(documents=23, seconds=0)
    emulator.faults.script("documents", [fault])
    with pytest.raises(dt.ContinuationLinkError, match="repeated"):
        async for _ in live.list_documents(batch_id):
            pass
    assert len(emulator.requests) <= 4


async def test_list_batches_with_filters(emulator: Emulator, live: dt.DocumentTranslationClient) -> None:
    """list_batches lists every batch; on v1.0+ ids/statuses filters narrow it, on v1.0-preview.1 they are refused."""
    ids = [emulator.add_batch(documents=2, seconds=s) for s in (0, 0, 10_000)]
    listed = {b.id async for b in live.list_batches()}
    assert set(ids) <= listed
    if live.api_version is dt.ApiVersion.V1_0_PREVIEW_1:
        emulator.reset_log()
        with pytest.raises(dt.UnsupportedOperationError):
            async for _ in live.list_batches(statuses=[dt.Status.SUCCEEDED]):
                pass
        assert emulator.requests == []
        return
    done = {b.id async for b in live.list_batches(ids=ids, statuses=[dt.Status.SUCCEEDED])}
    assert done == set(ids[:2])
    newest_first = [b.id async for b in live.list_batches(ids=ids, order_by="desc")]
    assert set(newest_first) == set(ids)
    later = datetime.now(UTC) + timedelta(days=3650)
    assert [b async for b in live.list_batches(created_after=later)] == []


async def test_batches_started_mid_listing_repeat_none(emulator: Emulator, clock: dt.VirtualClock) -> None:
    """The emulator pages by offset, newest first, as the service does: each batch started between two pages
    pushes one already listed onto the next. The raw pages show the repeats; list_batches yields none."""
    for _ in range(6):
        emulator.add_batch(seconds=0)
        clock.advance(1)

    def start_one() -> None:
        emulator.add_batch(seconds=0)
        clock.advance(1)

    async with dt.DocumentTranslationClient(emulator.endpoint, key=emulator.key, clock=clock) as client:
        paged = []
        async for page in client.iter_batch_pages(page_size=2):
            paged += [batch.id for batch in page.items]
            start_one()
        assert len(paged) > len(set(paged))  # the shift this test is about
        listed = []
        async for batch in client.list_batches(page_size=2):
            listed.append(batch.id)
            if len(listed) % 2 == 0:
                start_one()
    assert len(listed) == len(set(listed))


async def test_document_status_and_formats(emulator: Emulator, live: dt.DocumentTranslationClient) -> None:
    """get_document_status reads one document; formats list known formats; storage sources exist on v1.x only."""
    batch_id = emulator.add_batch(documents=3, seconds=0)
    documents = [d async for d in live.list_documents(batch_id)]
    first = documents[0]
    assert await live.get_document_status(batch_id, first.id) == first
    formats = await live.get_supported_formats()
    assert any(".txt" in f.file_extensions for f in formats)
    glossaries = await live.get_supported_formats("glossary")
    assert glossaries
    if live.api_version.is_v1:
        assert "AzureBlob" in await live.get_storage_sources()
    else:
        with pytest.raises(dt.UnsupportedOperationError):
            await live.get_storage_sources()


async def test_wait_all_keeps_every_outcome(emulator: Emulator, live: dt.DocumentTranslationClient) -> None:
    """wait_all returns every batch's outcome in order; an unknown batch's error does not lose the others."""
    good = [emulator.add_batch(documents=3, seconds=s) for s in (30, 5, 300)]
    outcomes = await live.wait_all([*good, "missing"], concurrency=2)
    assert [o.batch_id for o in outcomes] == [*good, "missing"]
    assert all(o.status is not None and o.status.status is dt.Status.SUCCEEDED for o in outcomes[:3])
    assert isinstance(outcomes[3].error, dt.NotFoundError)


async def test_as_completed_yields_in_finishing_order(emulator: Emulator, live: dt.DocumentTranslationClient) -> None:
    """as_completed yields the quick batch before the slow one."""
    slow = emulator.add_batch(documents=2, seconds=5000)
    quick = emulator.add_batch(documents=2, seconds=1)
    order = [o.batch_id async for o in live.as_completed([slow, quick], concurrency=2)]
    assert order == [quick, slow]


async def test_bearer_token_credential(clock: dt.VirtualClock) -> None:
    """A credential's bearer token authenticates, is fetched once for many requests, and refreshed near expiry."""

    class Token:
        def __init__(self, token: str, expires_on: int) -> None:
            self.token = token
            self.expires_on = expires_on

    class Credential:
        def __init__(self) -> None:
            self.scopes: list[tuple[str, ...]] = []

        async def get_token(self, *scopes: str) -> Token:
            self.scopes.append(scopes)
            expires = int(clock.utcnow().timestamp()) + 3600
            return Token(f"tok{len(self.scopes)}", expires)

    credential = Credential()
    async with Emulator(clock=clock, tokens=["tok1", "tok2"]) as emu:
        batch_id = emu.add_batch(documents=1, seconds=0)
        async with dt.DocumentTranslationClient(emu.endpoint, credential=credential, clock=clock) as c:
            await asyncio.gather(*(c.get_status(batch_id) for _ in range(5)))
            assert credential.scopes == [("https://cognitiveservices.azure.com/.default",)]
            clock.advance(3600 - 200)
            await c.get_status(batch_id)
        assert len(credential.scopes) == 2
        assert all(r.authorized for r in emu.requests)
        assert all("Ocp-Apim-Subscription-Key" not in r.headers for r in emu.requests)


async def test_cancelling_a_slow_request_releases_it(emulator: Emulator, clock: dt.VirtualClock) -> None:
    """Cancelling a wait while its request hangs re-raises CancelledError promptly and leaks no connection."""
    batch_id = emulator.add_batch(documents=2, seconds=60)
    emulator.faults.script("status", [Fault.slow(30)])
    async with dt.DocumentTranslationClient(emulator.endpoint, key=emulator.key, clock=clock) as c:
        task = asyncio.create_task(c.wait_for_completion(batch_id))
        # The emulator logs a request as it arrives; yield to the loop until the slow one is in flight.
        while not emulator.requests:  # noqa: ASYNC110
            await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=5)


async def test_ordered_listing_follows_raw_space_links_to_the_end(
    emulator: Emulator, live: dt.DocumentTranslationClient
) -> None:
    """An ordered listing's next links carry the order with a raw space, as the real service writes them; the
    listing follows them across every page (of 5), each batch once."""
    if live.api_version is dt.ApiVersion.V1_0_PREVIEW_1:
        return  # no order_by on that version (test_batch_listing_filters checks the refusal)
    ids = [emulator.add_batch(documents=1, seconds=0) for _ in range(12)]
    emulator.reset_log()
    listed = [b.id async for b in live.list_batches(ids=ids, order_by="asc", page_size=5)]
    assert sorted(listed) == sorted(ids)
    assert len(set(listed)) == len(listed)
    assert len(emulator.requests) == 3
    followed = emulator.requests[1:]  # the pages after the first came by next link, the order in them
    assert all(
        next(v for k, v in r.query.items() if k.lower().lstrip("$") == "orderby") == "createdDateTimeUtc asc"
        for r in followed
    )


async def test_document_listing_orders_and_filters_by_creation(
    emulator: Emulator, live: dt.DocumentTranslationClient
) -> None:
    """list_documents is newest first; order_by="asc" gives the same documents oldest first across pages, and
    created_after/created_before keep the documents created inside the window."""
    if live.api_version is dt.ApiVersion.V1_0_PREVIEW_1:
        return  # no order_by or date filters on that version (test_batch_listing_filters checks the refusal)
    batch_id = emulator.add_batch(documents=12, seconds=0)
    newest_first = [d async for d in live.list_documents(batch_id, page_size=5)]
    created = [d.created_at for d in newest_first]
    assert created == sorted(created, reverse=True)
    assert len(set(created)) == 12
    oldest_first = [d.id async for d in live.list_documents(batch_id, order_by="asc", page_size=5)]
    assert oldest_first == [d.id for d in reversed(newest_first)]
    # Bounds a microsecond past a document's created_at, which drops the seventh digit that the service compares.
    after, before = created[8] + timedelta(microseconds=1), created[3] + timedelta(microseconds=1)
    inside = [d.id async for d in live.list_documents(batch_id, created_after=after, created_before=before)]
    assert inside == [d.id for d in newest_first if after <= d.created_at <= before]
    assert len(inside) == 5


async def test_a_documents_created_at_as_both_date_bounds_lists_it(
    emulator: Emulator, live: dt.DocumentTranslationClient
) -> None:
    """created_after=d.created_at, created_before=d.created_at lists d alone, though the service stamps to 100 ns
    and created_at keeps microseconds (a stamp whose seventh digit is not 0 shows the cut)."""
    if live.api_version is dt.ApiVersion.V1_0_PREVIEW_1:
        return  # no date filters on that version
    batch_id = emulator.add_batch(documents=6, seconds=0)
    listing = f"{emulator.base_url()}/batches/{batch_id}/documents?api-version=2024-05-01"
    async with (
        aiohttp.ClientSession(headers={"Ocp-Apim-Subscription-Key": emulator.key}) as raw,
        raw.get(listing) as answer,
    ):
        stamps = [d["createdDateTimeUtc"] for d in (await answer.json())["value"]]
    assert not all(stamp.endswith("0Z") for stamp in stamps), "no stamp with a seventh digit to cut"
    documents = [d async for d in live.list_documents(batch_id)]
    for document in documents:
        at = document.created_at
        assert [d.id async for d in live.list_documents(batch_id, created_after=at, created_before=at)] == [document.id]
