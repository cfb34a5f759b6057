"""The fault matrix: every fault the emulator injects × every reading operation, over real sockets.

Each cell asserts the outcome a user relies on: transparent recovery with exactly the result a clean run gives,
or the right typed error. Faults on listings hit the second page, so recovery must resume mid-listing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

import doctrans_async as dt
from doctrans_async.emulator import Emulator, Fault

Operation = Callable[[dt.DocumentTranslationClient, str], Awaitable[Any]]


async def get_status(client: dt.DocumentTranslationClient, batch_id: str) -> Any:
    """The status."""
    return await client.get_status(batch_id)


async def list_documents(client: dt.DocumentTranslationClient, batch_id: str) -> Any:
    """Every document, in order (in the emulator fixture's pages of 5, so there is a second page)."""
    return [d async for d in client.list_documents(batch_id, page_size=5)]


async def watch(client: dt.DocumentTranslationClient, batch_id: str) -> Any:
    """The last status watched."""
    return [s async for s in client.watch(batch_id)][-1]


async def wait(client: dt.DocumentTranslationClient, batch_id: str) -> Any:
    """The terminal status."""
    return await client.wait_for_completion(batch_id, timeout=600)


OPERATIONS: dict[str, tuple[Operation, str]] = {
    "status": (get_status, "status"),
    "list": (list_documents, "documents"),
    "watch": (watch, "status"),
    "wait": (wait, "status"),
}

RECOVERED = "recovered"
# Sent as a date one second into the VirtualClock's day, so the wait it asks for is short and known.
HTTP_DATE = "Thu, 01 Jan 2026 00:00:01 GMT"

# fault name -> (what is scripted on the route, expected outcome on status-like routes, on listings)
FAULTS: dict[str, tuple[list[Fault | None], object, object]] = {
    "429 Retry-After": ([Fault.http(429, retry_after=1)], RECOVERED, RECOVERED),
    "429 HTTP-date": ([Fault.http(429, retry_after=HTTP_DATE)], RECOVERED, RECOVERED),
    "503 Retry-After": ([Fault.http(503, retry_after=2)], RECOVERED, RECOVERED),
    "503 retry-after-ms": ([Fault.http(503, retry_after_ms=250)], RECOVERED, RECOVERED),
    "500": ([Fault.http(500)], RECOVERED, RECOVERED),
    "504": ([Fault.http(504)], RECOVERED, RECOVERED),
    "html 502": ([Fault.html_502()], RECOVERED, RECOVERED),
    "dropped connection": ([Fault.drop()], RECOVERED, RECOVERED),
    "slow": ([Fault.slow(0.02)], RECOVERED, RECOVERED),
    "truncated body": ([Fault.truncated()], RECOVERED, RECOVERED),
    "non-JSON body": ([Fault.not_json()], RECOVERED, RECOVERED),
    "empty body": ([Fault.empty()], RECOVERED, RECOVERED),
    "mixed burst": (
        [Fault.http(429, retry_after=1), Fault.drop(), Fault.truncated(), Fault.http(503, retry_after=1)],
        RECOVERED,
        RECOVERED,
    ),
    "400": ([Fault.http(400)], dt.InvalidRequestError, dt.InvalidRequestError),
    "401": ([Fault.http(401)], dt.AuthenticationError, dt.AuthenticationError),
    "404": ([Fault.http(404)], dt.NotFoundError, dt.NotFoundError),
    "503 until spent": ([Fault.http(503, retry_after=1)] * 5, dt.ServerError, dt.ServerError),
    "429 until spent": ([Fault.http(429, retry_after=1)] * 5, dt.RateLimitError, dt.RateLimitError),
    # aiohttp itself resends an idempotent request once when a reused connection drops: twice the attempts.
    "drops until spent": ([Fault.drop()] * 10, dt.TransportError, dt.TransportError),
    "Retry-After of a day": ([Fault.http(429, retry_after=86400)], dt.RateLimitError, dt.RateLimitError),
    "repeated next link": ([Fault.repeat_next_link()], None, dt.ContinuationLinkError),
    "cycling next links": ([Fault.cycle_next_link()], None, dt.ContinuationLinkError),
    "foreign next link": ([Fault.foreign_next_link()], None, dt.ContinuationLinkError),
}


@pytest.fixture
async def matrix_client(emulator: Emulator, clock: dt.VirtualClock) -> AsyncIterator[dt.DocumentTranslationClient]:
    """A client of the emulator at the default API version."""
    async with dt.DocumentTranslationClient(emulator.endpoint, key=emulator.key, clock=clock) as client:
        yield client


def _cells() -> list[tuple[str, str]]:
    # Next-link faults only exist on listings; every other fault meets every operation.
    return [
        (fault, operation)
        for fault, (_, on_status, _) in FAULTS.items()
        for operation, (_, route) in OPERATIONS.items()
        if route == "documents" or on_status is not None
    ]


@pytest.mark.parametrize(("fault", "operation"), _cells())
async def test_fault_matrix(
    emulator: Emulator, matrix_client: dt.DocumentTranslationClient, fault: str, operation: str
) -> None:
    """Each fault on each operation ends in the clean result or in the documented typed error."""
    run, route = OPERATIONS[operation]
    outcomes, on_status, on_listing = FAULTS[fault]
    expected = on_listing if route == "documents" else on_status
    batch_id = emulator.add_batch(documents=12, seconds=0, failures=2)
    clean = await run(matrix_client, batch_id)
    # Listings take the fault on their second page, so recovery has to resume mid-listing.
    emulator.faults.script(route, [None, *outcomes] if route == "documents" else outcomes)
    if expected is RECOVERED:
        assert await run(matrix_client, batch_id) == clean
    else:
        assert isinstance(expected, type)
        with pytest.raises(expected):
            await run(matrix_client, batch_id)
    assert emulator.faults.pending(route) == 0


async def test_server_hint_beyond_the_cap_is_reported(
    emulator: Emulator, matrix_client: dt.DocumentTranslationClient
) -> None:
    """A Retry-After above the policy's cap fails at once, and the error tells the caller the server's hint."""
    batch_id = emulator.add_batch(documents=1, seconds=0)
    emulator.faults.script("status", [Fault.http(429, retry_after=86400)])
    with pytest.raises(dt.RateLimitError) as caught:
        await matrix_client.get_status(batch_id)
    assert caught.value.retry_after == 86400
    assert len(emulator.requests) == 1


async def test_slow_response_past_the_request_timeout(emulator: Emulator, clock: dt.VirtualClock) -> None:
    """A response slower than request_timeout is abandoned as a TransportError and retried."""
    batch_id = emulator.add_batch(documents=1, seconds=0)
    emulator.faults.script("status", [Fault.slow(0.5)])
    async with dt.DocumentTranslationClient(
        emulator.endpoint, key=emulator.key, clock=clock, request_timeout=0.05
    ) as client:
        assert (await client.get_status(batch_id)).status is dt.Status.SUCCEEDED
    assert len(clock.sleeps) == 1  # one retry after the abandoned attempt
