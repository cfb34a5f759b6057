"""Deadlines on listings and polls: never overslept, raised as timeouts, and a listing resumable where it stopped."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import doctrans_async as dt
from doctrans_async.emulator import Emulator, Fault
from tests.support import ENDPOINT, MockedService


async def test_listing_deadline_during_retries_is_resumable(
    emulator: Emulator, clock: dt.VirtualClock, live: dt.DocumentTranslationClient
) -> None:
    """A page whose retry would pass the deadline raises ListingTimeoutError; resuming lists the rest, once each."""
    batch_id = emulator.add_batch(documents=23, seconds=0)
    everything = [d.id async for d in live.list_documents(batch_id, page_size=5)]
    # 30 s is within the retry policy's limits; only the 20 s deadline forbids the wait.
    emulator.faults.script("documents", [None, Fault.http(503, retry_after=30)])
    seen: list[str] = []

    async def consume() -> None:
        async for document in live.list_documents(batch_id, page_size=5, timeout=20):
            seen.append(document.id)

    with pytest.raises(dt.ListingTimeoutError) as caught:
        await consume()
    assert isinstance(caught.value, TimeoutError)
    assert isinstance(caught.value.__cause__, dt.ServerError)
    assert caught.value.next_link is not None
    assert sum(clock.sleeps) < 20
    rest = [d.id async for d in live.list_documents(batch_id, resume_from=caught.value.next_link)]
    assert seen + rest == everything


async def test_listing_deadline_between_pages(emulator: Emulator, clock: dt.VirtualClock) -> None:
    """A consumer that spends the listing's time between pages gets ListingTimeoutError before the next request."""
    batch_id = emulator.add_batch(documents=12, seconds=0)
    async with dt.DocumentTranslationClient(emulator.endpoint, key=emulator.key, clock=clock) as client:
        emulator.reset_log()

        async def slow_consumer() -> None:
            async for _ in client.iter_document_pages(batch_id, page_size=5, timeout=10):
                clock.advance(11)

        with pytest.raises(dt.ListingTimeoutError):
            await slow_consumer()
    assert len(emulator.requests) == 1


async def test_slow_page_cut_by_the_listing_deadline(emulator: Emulator, clock: dt.VirtualClock) -> None:
    """A page still in flight when the listing's deadline passes is abandoned: the listing raises
    ListingTimeoutError, not a hang. The deadline is virtual: it passes when the clock moves, whoever moves it."""
    batch_id = emulator.add_batch(documents=3, seconds=0)
    emulator.faults.script("documents", [Fault.slow(30)])
    emulator.reset_log()
    async with dt.DocumentTranslationClient(emulator.endpoint, key=emulator.key, clock=clock) as client:

        async def listing() -> None:
            async for _ in client.list_documents(batch_id, timeout=10):
                pass

        task = asyncio.create_task(listing())
        while not emulator.requests:  # noqa: ASYNC110 - the page is in flight once logged
            await asyncio.sleep(0)
        clock.advance(10)
        with pytest.raises(dt.ListingTimeoutError) as caught:
            await task
    assert isinstance(caught.value.__cause__, dt.TransportError)
    assert len(emulator.requests) == 1


async def test_poll_deadline_during_retries(emulator: Emulator, clock: dt.VirtualClock) -> None:
    """When a failing poll's retry would pass the deadline, wait_for_completion raises PollingTimeoutError with the
    last status seen and the failure as its cause."""
    batch_id = emulator.add_batch(documents=5, seconds=3600)
    emulator.faults.script("status", [None, Fault.http(503, retry_after=30)])
    async with dt.DocumentTranslationClient(emulator.endpoint, key=emulator.key, clock=clock) as client:
        with pytest.raises(dt.PollingTimeoutError) as caught:
            await client.wait_for_completion(batch_id, timeout=20)
    assert caught.value.last_status is not None
    assert caught.value.last_status.id == batch_id
    assert isinstance(caught.value.__cause__, dt.ServerError)
    assert sum(clock.sleeps) < 20


async def test_non_retryable_error_is_not_a_timeout(emulator: Emulator, clock: dt.VirtualClock) -> None:
    """A 404 near the deadline is still a NotFoundError: only failures the deadline cut short become timeouts."""
    async with dt.DocumentTranslationClient(emulator.endpoint, key=emulator.key, clock=clock) as client:
        with pytest.raises(dt.NotFoundError):
            await client.wait_for_completion("missing", timeout=0.001)


async def test_hanging_token_refresh_bounded_by_the_deadline(mocked: MockedService, clock: dt.VirtualClock) -> None:
    """A credential that never answers cannot make wait_for_completion outlive its deadline."""

    class Stuck:
        async def get_token(self, *scopes: str) -> Any:
            await asyncio.Event().wait()

    async with dt.DocumentTranslationClient(
        ENDPOINT, credential=Stuck(), clock=clock, request_timeout=0.05, retry=dt.RetryPolicy(jitter=False)
    ) as client:
        # The first retry would wait 0.5 s: past the deadline, so the stuck credential ends the call as a timeout.
        with pytest.raises(dt.PollingTimeoutError) as caught:
            await asyncio.wait_for(client.wait_for_completion("b1", timeout=0.1), timeout=30)
    assert isinstance(caught.value.__cause__, dt.TransportError)
    assert "Stuck.get_token()" in str(caught.value.__cause__)
    assert not caught.value.__cause__.request_sent
    assert mocked.sent() == []
