"""Lifecycle: cancellation, early exits and redirects leave nothing running, leaked or sent where it must not go;
a borrowed session's own settings do not change what the client raises."""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest

import doctrans_async as dt
from doctrans_async.emulator import Emulator, Fault
from tests.support import ENDPOINT, SECRET, MockedService


async def test_cancelling_a_listing_mid_page(emulator: Emulator, clock: dt.VirtualClock) -> None:
    """Cancelling the task that consumes a listing while a page is in flight re-raises CancelledError at once."""
    batch_id = emulator.add_batch(documents=12, seconds=0)
    emulator.faults.script("documents", [None, Fault.slow(30)])
    seen: list[str] = []
    async with dt.DocumentTranslationClient(emulator.endpoint, key=emulator.key, clock=clock) as client:

        async def consume() -> None:
            async for document in client.list_documents(batch_id, page_size=5):
                seen.append(document.id)

        task = asyncio.create_task(consume())
        while len(emulator.requests) < 2:  # noqa: ASYNC110 - the second page is in flight once logged
            await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=5)
    assert len(seen) == 5  # the first page (the emulator fixture pages by 5), nothing after


async def test_leaving_as_completed_early_cancels_the_rest(emulator: Emulator, clock: dt.VirtualClock) -> None:
    """Breaking out of as_completed cancels the waits still running: no task outlives the loop."""
    quick = emulator.add_batch(documents=1, seconds=1)
    slow = [emulator.add_batch(documents=1, seconds=10_000) for _ in range(5)]
    async with dt.DocumentTranslationClient(emulator.endpoint, key=emulator.key, clock=clock) as client:
        outcomes = client.as_completed([quick, *slow], concurrency=6)
        first = await anext(outcomes)
        await outcomes.aclose()
        assert first.batch_id == quick
        assert client_tasks() == []


def client_tasks() -> list[asyncio.Task[object]]:
    """Tasks still running code of the client library (the in-process emulator's own are the service's)."""
    return [
        task
        for task in asyncio.all_tasks()
        if (module := getattr(task.get_coro(), "cr_code", None)) is not None
        and "doctrans_async" in module.co_filename
        and "emulator" not in module.co_filename
    ]


async def test_redirect_to_another_origin_not_followed(
    client: dt.DocumentTranslationClient, mocked: MockedService
) -> None:
    """A redirect is not followed (it could lead the key elsewhere): it surfaces as a ServiceError with its status."""
    url = f"{ENDPOINT}/translator/document/batches/b1?api-version=2024-05-01"
    mocked.get(url, status=302, headers={"Location": "https://evil.test/steal"}, body="")
    with pytest.raises(dt.ServiceError) as caught:
        await client.get_status("b1")
    assert caught.value.status == 302
    assert SECRET not in str(caught.value)
    assert [sent_url for _, sent_url, _ in mocked.sent()] == [url]


def test_one_client_in_two_event_loops() -> None:
    """A client used in one asyncio.run() and then another (a script's pattern) works in both, and leaves no
    session or socket unclosed, even though its user never closed it in the first loop."""
    ready = threading.Event()
    stop: list[Callable[[], object]] = []
    found: dict[str, str] = {}

    def serve() -> None:
        async def main() -> None:
            async with Emulator() as emu:
                found.update(endpoint=emu.endpoint, key=emu.key, batch=emu.add_batch(documents=2, seconds=0))
                done = asyncio.Event()
                loop = asyncio.get_running_loop()
                stop.append(lambda: loop.call_soon_threadsafe(done.set))
                ready.set()
                await done.wait()

        asyncio.run(main())

    server = threading.Thread(target=serve)
    server.start()
    try:
        assert ready.wait(10)
        client = dt.DocumentTranslationClient(found["endpoint"], key=found["key"])

        async def status() -> dt.Status:
            return (await client.get_status(found["batch"])).status

        assert asyncio.run(status()) is dt.Status.SUCCEEDED  # the client is not closed at the end of this loop
        assert asyncio.run(status()) is dt.Status.SUCCEEDED
        asyncio.run(client.close())
        gc.collect()  # an unclosed session or socket would warn here, and warnings are errors
    finally:
        stop[0]()
        server.join(10)


async def test_borrowed_session_raise_for_status_ignored(mocked: MockedService, clock: dt.VirtualClock) -> None:
    """A borrowed session created with raise_for_status=True still gives the library's typed errors."""
    mocked.get(
        f"{ENDPOINT}/translator/document/batches/b1?api-version=2024-05-01",
        status=404,
        payload={"error": {"code": "ResourceNotFound", "message": "no"}},
    )
    async with (
        aiohttp.ClientSession(raise_for_status=True) as session,
        dt.DocumentTranslationClient(
            ENDPOINT, key=SECRET, api_version="2024-05-01", session=session, clock=clock
        ) as client,
    ):
        with pytest.raises(dt.NotFoundError):
            await client.get_status("b1")


async def test_close_ends_the_waits_still_running(emulator: Emulator) -> None:
    """Closing the client ends every wait still running with ClientClosedError at once, not at its next poll (a
    minute away here, in real time: waiting for it would fail the 5 s bound below)."""
    batch_id = emulator.add_batch(documents=2, seconds=3600)
    slow = dt.PollPolicy(initial_interval=60, max_interval=60)
    client = dt.DocumentTranslationClient(emulator.endpoint, key=emulator.key, poll=slow)
    seen = asyncio.Event()
    waits = [
        asyncio.create_task(client.wait_for_completion(batch_id, on_status=lambda _: seen.set())) for _ in range(3)
    ]
    await seen.wait()  # the first poll answered: the stream now sleeps a minute before the next
    polled = len(emulator.requests)
    await client.close()
    outcomes = await asyncio.wait_for(asyncio.gather(*waits, return_exceptions=True), timeout=5)
    assert all(isinstance(outcome, dt.ClientClosedError) for outcome in outcomes), outcomes
    assert len(emulator.requests) == polled


@pytest.mark.parametrize("route", ["status", "documents"])
async def test_close_ends_the_calls_waiting_to_retry(emulator: Emulator, route: str) -> None:
    """A call sleeping out a Retry-After (half a minute here, in real time) when the client closes ends with
    ClientClosedError at once; it slept the whole wait first, to be refused by the closed transport."""
    batch_id = emulator.add_batch(documents=2, seconds=0)
    emulator.faults.script(route, [Fault.http(429, retry_after=30)])
    retrying = asyncio.Event()

    def hook(event: dt.Event) -> None:
        if isinstance(event, dt.RetryEvent):
            retrying.set()

    client = dt.DocumentTranslationClient(emulator.endpoint, key=emulator.key, on_event=hook)
    calls: dict[str, Callable[[], Awaitable[object]]] = {
        "status": lambda: client.get_status(batch_id),
        "documents": lambda: client.list_documents(batch_id).__anext__(),
    }
    call = asyncio.ensure_future(calls[route]())
    await asyncio.wait([call, asyncio.ensure_future(retrying.wait())], return_when=asyncio.FIRST_COMPLETED)
    assert retrying.is_set()
    assert not call.done()
    sent = len(emulator.requests)
    await client.close()
    with pytest.raises(dt.ClientClosedError):
        await asyncio.wait_for(call, timeout=5)
    assert len(emulator.requests) == sent


async def test_close_during_a_token_refresh_is_a_library_error(emulator: Emulator) -> None:
    """A request whose token is being fetched when the client closes ends ClientClosedError, never aiohttp's
    RuntimeError about a closed session."""
    fetching = asyncio.Event()
    release = asyncio.Event()

    class Slow:
        async def get_token(self, *scopes: str) -> Any:
            fetching.set()
            await release.wait()
            return SimpleNamespace(token="tok", expires_on=2**31)

    client = dt.DocumentTranslationClient(emulator.endpoint, credential=Slow())
    call = asyncio.create_task(client.get_status(emulator.add_batch()))
    await fetching.wait()
    await client.close()
    release.set()
    with pytest.raises(dt.ClientClosedError):
        await call
