"""Hardening found in review: secrets out of causes and locals, borrowed sessions, odd inputs, pickling."""

from __future__ import annotations

import asyncio
import copy
import pickle
import socket
import traceback
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

import doctrans_async as dt
from doctrans_async.emulator import Emulator, Fault
from tests.support import ENDPOINT, SECRET, MockedService


@pytest.fixture
async def garbled_http() -> AsyncIterator[str]:
    """A loopback server answering every request with a malformed HTTP header (aiohttp's parser refuses it)."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nBad Header\x01: x\r\n\r\n{}")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    async with server:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"


async def test_parser_errors_do_not_carry_the_key(garbled_http: str) -> None:
    """aiohttp's response errors hold the request headers: they are neither the cause nor the context."""
    async with dt.DocumentTranslationClient(garbled_http, key=SECRET, retry=None) as client:
        with pytest.raises(dt.TransportError) as caught:
            await client.get_status("b1")
    error = caught.value
    assert error.__cause__ is None
    assert error.__context__ is None
    shown = "".join(traceback.format_exception(error))
    assert SECRET not in shown
    assert "ClientResponseError" in str(error)


async def test_key_hidden_from_captured_locals() -> None:
    """A traceback rendered with every frame's locals (pytest -l, rich, Sentry) does not show the key."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with dt.DocumentTranslationClient(f"http://127.0.0.1:{port}", key=SECRET, retry=None) as client:
        with pytest.raises(dt.TransportError) as caught:
            await client.get_status("b1")
    rendered = "".join(traceback.TracebackException.from_exception(caught.value, capture_locals=True).format())
    assert "Ocp-Apim-Subscription-Key" in rendered  # the locals were captured...
    assert SECRET not in rendered  # ...and the key in them is hidden


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


@pytest.mark.parametrize(("field", "value"), [("key", SECRET + "\n"), ("key", ""), ("region", "west\r\nX: y")])
def test_control_characters_refused_at_construction(field: str, value: str) -> None:
    """A key or region with a line break (read from a file unstripped) is a clear error up front, key not shown."""
    kwargs: dict[str, Any] = {"key": SECRET, field: value}
    with pytest.raises(ValueError, match=field) as caught:
        dt.DocumentTranslationClient(ENDPOINT, **kwargs)
    assert SECRET not in str(caught.value)


async def test_started_batch_id_survives_an_unreadable_body(
    client: dt.DocumentTranslationClient, mocked: MockedService
) -> None:
    """A 202 whose body is cut off still gives the new batch's id from Operation-Location (the POST is not resent)."""
    location = f"{ENDPOINT}/translator/document/batches/new-one?api-version=2024-05-01"
    mocked.post(
        f"{ENDPOINT}/translator/document/batches?api-version=2024-05-01",
        status=202,
        body='{"id": "new-',
        headers={"Operation-Location": location},
    )
    assert await client.start_translation(source_url="s", target_url="t", target_language="fr") == "new-one"
    assert len(mocked.sent()) == 1


async def test_huge_retry_after_on_a_poll_is_capped(clock: dt.VirtualClock) -> None:
    """A status response asking for a day's pause waits at most the poll policy's max_retry_after."""
    async with Emulator(clock=clock, retry_after=86400) as emu:
        batch_id = emu.add_batch(documents=2, seconds=600)
        async with dt.DocumentTranslationClient(emu.endpoint, key=emu.key, clock=clock) as client:
            final = await client.wait_for_completion(batch_id)
    assert final.status is dt.Status.SUCCEEDED
    assert max(clock.sleeps) == dt.PollPolicy().max_retry_after


def every_error() -> list[dt.DocumentTranslationError]:
    """One instance of each library error, attributes filled in."""
    status = dt.BatchStatus(
        "b1",
        dt.Status.RUNNING,
        dt.VirtualClock().utcnow(),
        dt.VirtualClock().utcnow(),
        dt.StatusSummary(1, 0, 0, 1, 0, 0),
    )
    service: dict[str, Any] = {
        "code": "C",
        "message": "m",
        "request_id": "r",
        "retry_after": 2.0,
        "method": "GET",
        "url": "u",
    }
    return [
        dt.ServiceError(status=418, **service),
        dt.NotFoundError(status=404, inner_error=dt.ErrorDetail("I", "inner"), **service),
        dt.RateLimitError(status=429, **service),
        dt.TransportError("down", request_sent=False, method="GET", url="u"),
        dt.MalformedResponseError("bad", status=200, transient=True, method="GET", url="u"),
        dt.ContinuationLinkError("loop", method="GET", url="u"),
        dt.UnsupportedOperationError("no"),
        dt.ClientClosedError("closed"),
        dt.PollingTimeoutError("late", last_status=status),
        dt.ListingTimeoutError("late", next_link="https://h/x"),
    ]


@pytest.mark.parametrize("error", every_error(), ids=lambda e: type(e).__name__)
def test_errors_pickle_and_copy(error: dt.DocumentTranslationError) -> None:
    """Every error survives pickling (process pools, task queues) and copying, message and attributes alike."""
    for clone in (pickle.loads(pickle.dumps(error)), copy.copy(error)):
        assert type(clone) is type(error)
        assert str(clone) == str(error)
        assert vars(clone) == vars(error)


async def test_invalid_id_is_one_outcome_among_others(emulator: Emulator, live: dt.DocumentTranslationClient) -> None:
    """An id that cannot be one ('..') is that batch's outcome; the other batches are still waited on."""
    good = emulator.add_batch(documents=1, seconds=5)
    outcomes = await live.wait_all(["..", good])
    assert isinstance(outcomes[0].error, ValueError)
    assert outcomes[1].status is not None


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


@pytest.mark.parametrize(
    "kwargs", [{"growth": 0.5}, {"initial_interval": 60, "max_interval": 30}, {"max_retry_after": 0}]
)
def test_poll_policy_refuses_policies_that_would_hammer(kwargs: dict[str, Any]) -> None:
    """A policy that would poll faster while nothing changes, or cap hints at nothing, is refused."""
    with pytest.raises(ValueError, match=r"growth|initial_interval|max_retry_after"):
        dt.PollPolicy(**kwargs)


async def test_translate_document_timeout(emulator: Emulator, clock: dt.VirtualClock) -> None:
    """translate_document's request_timeout replaces the client's for that call: too short fails, long enough
    works."""
    emulator.faults.script("translate", [Fault.slow(0.3), Fault.slow(0.3)])
    async with dt.DocumentTranslationClient(
        emulator.endpoint, key=emulator.key, clock=clock, request_timeout=0.05
    ) as client:
        with pytest.raises(dt.TransportError):
            await client.translate_document(b"hello", target_language="fr", filename="a.txt")
        translated = await client.translate_document(
            b"hello", target_language="fr", filename="a.txt", request_timeout=5
        )
    assert b"hello" in translated
