"""Unit tests of the aiohttp transport over a mocked aiohttp layer (aioresponses), and the emulator on loopback
where a real connection's waits matter: what it sends, to whom the credentials go, how aiohttp's failures are
sorted, the deadline cut, and the session's ownership."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import traceback
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from doctrans_async import DocumentTranslationClient, Status
from doctrans_async._auth import KeyAuth
from doctrans_async._clock import Deadline, DeadlineReached, VirtualClock
from doctrans_async._errors import ClientClosedError, TransportError
from doctrans_async._sansio import Request
from doctrans_async._transport import AiohttpTransport, _Limit
from doctrans_async.emulator import Emulator
from tests.hostile_server import Seen, hostile, http
from tests.support import ENDPOINT, SECRET, FakeTransport, MockedService, batch_body, client_over, respond

PLAIN = {"Accept": "application/json", "User-Agent": "transport-test"}
URL_OK = f"{ENDPOINT}/translator/document/batches/b1?api-version=2024-05-01"
GET = Request("GET", URL_OK)
ANY_URL = re.compile(".*")
"""Matches whatever URL is requested (aioresponses compares hosts as spelt)."""
NO_DEADLINE = Deadline.after(VirtualClock(), None)


def make(session: aiohttp.ClientSession | None = None, **options: Any) -> AiohttpTransport:
    """A transport of :data:`ENDPOINT` with the key :data:`SECRET`."""
    auth = KeyAuth(SECRET, region=None, base=PLAIN)
    return AiohttpTransport(auth=auth, endpoint=ENDPOINT, plain_headers=PLAIN, session=session, **options)


@pytest.fixture
async def transport() -> AsyncIterator[AiohttpTransport]:
    """A transport that owns its session, closed after the test."""
    owned = make()
    yield owned
    await owned.close()


def only_call(mocked: MockedService) -> dict[str, Any]:
    """The keyword arguments aiohttp's request was made with (exactly one request expected)."""
    [calls] = mocked.requests.values()
    [call] = calls
    return dict(call.kwargs)


# --- what is sent and received ------------------------------------------------------------------------------


async def test_send_returns_the_response_whatever_its_status(
    mocked: MockedService, transport: AiohttpTransport
) -> None:
    """A response is returned as it came (status, headers, body): an error status is the caller's business."""
    mocked.get(URL_OK, status=503, body=b"busy", headers={"Retry-After": "3", "X-Requestid": "r-1"})
    response = await transport.send(GET, NO_DEADLINE)
    assert (response.status, response.body) == (503, b"busy")
    assert response.headers["retry-after"] == "3"
    assert response.headers["x-requestid"] == "r-1"


async def test_send_passes_the_request_as_given(mocked: MockedService, transport: AiohttpTransport) -> None:
    """Method, body and content type go out as the request says; redirects are never followed, a borrowed
    session's raise_for_status is overridden, and each attempt has the client's real-seconds limit."""
    request = Request("POST", f"{ENDPOINT}/translator/document/batches", body=b'{"inputs": []}', content_type="x/y")
    mocked.post(request.url, status=202)
    assert (await transport.send(request, NO_DEADLINE)).status == 202
    kwargs = only_call(mocked)
    assert kwargs["data"] == b'{"inputs": []}'
    assert kwargs["headers"]["Content-Type"] == "x/y"
    assert kwargs["allow_redirects"] is False
    assert kwargs["raise_for_status"] is False
    # Each attempt is bounded by its own _Limit, which a cancellation beats; aiohttp keeps a shorter connect limit.
    assert kwargs["timeout"] == aiohttp.ClientTimeout(total=None, connect=0.9 * 30.0)


async def test_request_timeout_of_a_request_replaces_the_transports(mocked: MockedService) -> None:
    """A request's own timeout (a large upload) replaces the transport's request_timeout for that attempt: an
    answer 0.2 s away is past a 0.02 s limit, and well within a 30 s one."""

    async def late(url: URL, **kwargs: Any) -> None:
        await asyncio.sleep(0.2)

    transport = make(request_timeout=0.02)
    mocked.get(URL_OK, callback=late, repeat=True)
    try:
        with pytest.raises(TransportError, match="TimeoutError"):
            await transport.send(GET, NO_DEADLINE)
        response = await transport.send(Request("GET", URL_OK, timeout=30.0), NO_DEADLINE)
    finally:
        await transport.close()
    assert response.status == 200


async def test_url_sent_byte_for_byte(mocked: MockedService, transport: AiohttpTransport) -> None:
    """An already-encoded URL is not re-quoted (an opaque next link is followed exactly)."""
    url = f"{ENDPOINT}/translator/document/batches/a%2Fb?api-version=2024-05-01&token=x%3D%3D"
    mocked.get(URL(url, encoded=True), status=200)
    await transport.send(Request("GET", url), NO_DEADLINE)
    [(_, sent)] = mocked.requests
    assert sent == URL(url, encoded=True)
    assert "a%2Fb" in str(sent)


# --- credentials --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [URL_OK, "https://UNIT.test/translator/x", "https://unit.test:443/translator/x", f"{ENDPOINT}/other/path"],
)
async def test_key_sent_to_the_endpoints_origin(mocked: MockedService, transport: AiohttpTransport, url: str) -> None:
    """The key goes with every request to the endpoint's origin, however the URL spells it."""
    mocked.get(ANY_URL, status=200)
    await transport.send(Request("GET", url), NO_DEADLINE)
    headers = only_call(mocked)["headers"]
    assert headers["Ocp-Apim-Subscription-Key"] == SECRET
    assert headers["User-Agent"] == "transport-test"


@pytest.mark.parametrize(
    "url",
    [
        "https://other.test/translator/x",
        "http://unit.test/translator/x",
        "https://unit.test:8443/translator/x",
        "https://unit.test.evil.example/translator/x",
        "https://evil.example/https://unit.test/translator/x",
    ],
)
async def test_key_never_sent_elsewhere(mocked: MockedService, transport: AiohttpTransport, url: str) -> None:
    """A request to another origin (scheme, host or port) gets the plain headers only, whatever its path."""
    mocked.get(ANY_URL, status=200)
    await transport.send(Request("GET", url, content_type="text/plain"), NO_DEADLINE)
    headers = only_call(mocked)["headers"]
    assert dict(headers) == {**PLAIN, "Content-Type": "text/plain"}
    assert SECRET not in repr(mocked.requests)


# --- failures -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "exception",
    [
        aiohttp.ServerDisconnectedError(),
        aiohttp.ClientConnectionError("connection reset"),
        aiohttp.ClientPayloadError("cut short"),
        aiohttp.SocketTimeoutError("read timed out"),
        TimeoutError(),
    ],
    ids=type,
)
async def test_failures_after_connecting_may_have_been_sent(
    mocked: MockedService, transport: AiohttpTransport, exception: Exception
) -> None:
    """A failure once connected is a TransportError saying the request may have reached the service, naming the
    request and the failure's kind, with the failure as its cause."""
    mocked.post(URL_OK, exception=exception)
    with pytest.raises(TransportError) as info:
        await transport.send(Request("POST", URL_OK, body=b"{}"), NO_DEADLINE)
    error = info.value
    assert error.request_sent is True
    assert (error.method, error.url) == ("POST", URL_OK)
    assert type(exception).__name__ in str(error)
    assert error.__cause__ is exception


async def test_connection_timeout_was_not_sent(mocked: MockedService, transport: AiohttpTransport) -> None:
    """Timing out while connecting means nothing was sent."""
    exception = aiohttp.ConnectionTimeoutError("connect timed out")
    mocked.post(URL_OK, exception=exception)
    with pytest.raises(TransportError) as info:
        await transport.send(Request("POST", URL_OK, body=b"{}"), NO_DEADLINE)
    assert info.value.request_sent is False
    assert info.value.__cause__ is exception


async def test_refused_connection_was_not_sent() -> None:
    """A refused connection (a real one, on loopback) is a TransportError that was not sent."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    endpoint = f"http://127.0.0.1:{port}"
    transport = AiohttpTransport(auth=KeyAuth(SECRET, region=None, base=PLAIN), endpoint=endpoint, plain_headers=PLAIN)
    try:
        with pytest.raises(TransportError) as info:
            await transport.send(Request("GET", f"{endpoint}/x"), NO_DEADLINE)
    finally:
        await transport.close()
    assert info.value.request_sent is False
    assert isinstance(info.value.__cause__, aiohttp.ClientConnectorError)


async def test_response_errors_never_chained(mocked: MockedService, transport: AiohttpTransport) -> None:
    """aiohttp's response errors hold the request's headers (the key): neither cause nor context, not shown."""
    info_ = aiohttp.RequestInfo(
        URL(URL_OK), "GET", CIMultiDictProxy(CIMultiDict({"Ocp-Apim-Subscription-Key": SECRET})), URL(URL_OK)
    )
    mocked.get(URL_OK, exception=aiohttp.ClientResponseError(info_, (), status=400, message="bad header"))
    with pytest.raises(TransportError) as info:
        await transport.send(GET, NO_DEADLINE)
    error = info.value
    assert error.__cause__ is None
    assert error.__context__ is None
    assert "ClientResponseError" in str(error)
    assert SECRET not in "".join(traceback.format_exception(error))


async def test_foreign_exceptions_pass_through(mocked: MockedService, transport: AiohttpTransport) -> None:
    """An exception that is not a network failure (a bug) is not disguised as a TransportError."""
    mocked.get(URL_OK, exception=ZeroDivisionError("bug"))
    with pytest.raises(ZeroDivisionError):
        await transport.send(GET, NO_DEADLINE)


# --- the deadline -------------------------------------------------------------------------------------------


async def test_deadline_cuts_a_request_in_flight(mocked: MockedService, transport: AiohttpTransport) -> None:
    """A request still waiting when the call's (virtual) deadline passes is cut off: DeadlineReached, carrying a
    TransportError naming the request. Whoever moves the clock past the deadline triggers it."""
    clock = VirtualClock()
    arrived = asyncio.Event()

    async def stall(url: URL, **kwargs: Any) -> None:
        arrived.set()
        await asyncio.Event().wait()

    mocked.get(URL_OK, callback=stall)
    send = asyncio.create_task(transport.send(GET, Deadline.after(clock, 10.0)))
    await arrived.wait()
    clock.advance(9.0)
    await asyncio.sleep(0)
    assert not send.done()
    clock.advance(1.0)
    with pytest.raises(DeadlineReached) as info:
        await send
    assert isinstance(info.value.error, TransportError)
    assert (info.value.error.method, info.value.error.url) == ("GET", URL_OK)
    assert "deadline" in str(info.value.error)


async def test_deadline_already_passed_cuts_the_request(emulator: Emulator, clock: VirtualClock) -> None:
    """Over a real (loopback) connection, a request sent with its deadline already passed (timeout=0) is cut
    off at its first wait: DeadlineReached. FakeTransport does the same, so client tests on it see this too."""
    transport = AiohttpTransport(
        auth=KeyAuth(emulator.key, region=None, base=PLAIN), endpoint=emulator.endpoint, plain_headers=PLAIN
    )
    request = Request("GET", f"{emulator.endpoint}/translator/document/formats?api-version=2024-05-01")
    try:
        assert (await transport.send(request, Deadline.after(clock, 10.0))).status == 200
        with pytest.raises(DeadlineReached) as info:
            await transport.send(request, Deadline.after(clock, 0.0))
    finally:
        await transport.close()
    assert isinstance(info.value.error, TransportError)


async def test_deadline_not_reached_leaves_the_response(mocked: MockedService, transport: AiohttpTransport) -> None:
    """Within its deadline a request is answered as without one."""
    clock = VirtualClock()
    mocked.get(URL_OK, status=200, body=b"{}")
    response = await transport.send(GET, Deadline.after(clock, 10.0))
    assert (response.status, response.body) == (200, b"{}")


async def test_cancellation_is_not_a_deadline(mocked: MockedService, transport: AiohttpTransport) -> None:
    """A request cancelled by its caller is cancelled, not reported as the deadline."""
    arrived = asyncio.Event()

    async def stall(url: URL, **kwargs: Any) -> None:
        arrived.set()
        await asyncio.Event().wait()

    mocked.get(URL_OK, callback=stall)
    send = asyncio.create_task(transport.send(GET, Deadline.after(VirtualClock(), 10.0)))
    await arrived.wait()
    send.cancel()
    with pytest.raises(asyncio.CancelledError):
        await send


# --- the session --------------------------------------------------------------------------------------------


async def test_borrowed_session_is_never_closed(mocked: MockedService) -> None:
    """Closing the transport leaves a borrowed session open (and its raise_for_status does not turn a 503 into
    aiohttp's exception); the closed transport refuses to send."""
    mocked.get(URL_OK, status=503)
    async with aiohttp.ClientSession(raise_for_status=True) as session:
        transport = make(session)
        assert (await transport.send(GET, NO_DEADLINE)).status == 503
        await transport.close()
        assert not session.closed
        with pytest.raises(ClientClosedError):
            await transport.send(GET, NO_DEADLINE)


async def test_borrowed_session_closed_by_its_owner(mocked: MockedService) -> None:
    """A borrowed session its owner closed is a ClientClosedError saying so, not aiohttp's RuntimeError."""
    session = aiohttp.ClientSession()
    await session.close()
    with pytest.raises(ClientClosedError, match="borrowed"):
        await make(session).send(GET, NO_DEADLINE)
    assert mocked.requests == {}


async def test_use_after_close_is_client_closed(mocked: MockedService) -> None:
    """Once closed (idempotently), the transport refuses to send, before any request."""
    transport = make()
    await transport.close()
    await transport.close()
    with pytest.raises(ClientClosedError, match="closed"):
        await transport.send(GET, NO_DEADLINE)
    assert mocked.requests == {}
    assert "closed=True" in repr(transport)


async def test_zero_request_timeout_refused_everywhere(clock: VirtualClock) -> None:
    """A per-attempt limit of 0 would mean no limit to aiohttp: it is refused by the constructor and by
    translate_document alike, before any request."""
    with pytest.raises(ValueError, match="request_timeout"):
        DocumentTranslationClient(ENDPOINT, key=SECRET, request_timeout=0)
    fake = FakeTransport(respond(200, b"translated"))
    client = client_over(fake, clock)
    with pytest.raises(ValueError, match="request_timeout"):
        await client.translate_document(b"x", target_language="fr", content_type="text/plain", request_timeout=0)
    assert fake.sent == []


# --- the attempt's time limit ------------------------------------------------------------------------------------
# A limit of 0 s fires at the loop's next turn, so each of these is settled by the order of the loop's own steps,
# never by how fast the machine is.


async def test_a_limit_left_in_time_never_fires_later() -> None:
    """The limit's timer goes with its scope: a task that left it carries on uncancelled, whatever it does next."""
    with _Limit(0.0, asyncio.get_running_loop()):
        pass
    for _ in range(3):
        await asyncio.sleep(0)  # the turns in which a timer left behind would cancel this task
    task = asyncio.current_task()
    assert task is not None
    assert task.cancelling() == 0


async def test_a_limit_reached_raises_timeout_error_and_leaves_the_task_uncancelled() -> None:
    never = asyncio.get_running_loop().create_future()
    with pytest.raises(TimeoutError) as caught, _Limit(0.0, asyncio.get_running_loop()):
        await never
    assert isinstance(caught.value.__cause__, asyncio.CancelledError)
    task = asyncio.current_task()
    assert task is not None
    assert task.cancelling() == 0
    await asyncio.sleep(0)  # and no cancellation is left pending for its next await


@pytest.mark.parametrize("cancel_first", [True, False], ids=["cancelled-then-limit", "limit-then-cancelled"])
async def test_a_cancellation_racing_the_limit_wins(cancel_first: bool) -> None:
    """Cancelled from outside in the very turn the limit fires, in either order: the task ends cancelled (a
    TimeoutError would have its caller retry)."""
    loop = asyncio.get_running_loop()
    outcome: list[str] = []

    async def attempt() -> None:
        task = asyncio.current_task()
        assert task is not None
        with _Limit(0.0, asyncio.get_running_loop()):
            if cancel_first:
                loop.call_soon(task.cancel)  # already queued when the limit's timer comes due
            else:
                loop.call_at(loop.time(), task.cancel)  # due with the limit's timer, queued after it
            try:
                await loop.create_future()
            finally:
                outcome.append("left")

    task = asyncio.create_task(attempt())
    with pytest.raises(asyncio.CancelledError):
        await task
    assert outcome == ["left"]
    assert task.cancelled()


async def test_a_limit_takes_back_only_its_own_cancellation() -> None:
    """A task already cancelling when it entered (it caught a cancellation and went on, say, to clean up) still
    gets the limit's TimeoutError, and is left exactly as cancelling as it was."""
    task = asyncio.current_task()
    assert task is not None
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.sleep(0)
    assert task.cancelling() == 1
    try:
        with pytest.raises(TimeoutError), _Limit(0.0, asyncio.get_running_loop()):
            await asyncio.get_running_loop().create_future()
        assert task.cancelling() == 1
    finally:
        task.uncancel()


async def test_a_limit_passes_on_what_the_body_raised_instead_of_its_cancellation() -> None:
    """The body turned the limit's cancellation into an error of its own: that error comes out, not a
    TimeoutError, and the task is not left cancelling."""

    async def turned() -> None:
        try:
            await asyncio.get_running_loop().create_future()
        except asyncio.CancelledError:
            raise ValueError("mine") from None

    with pytest.raises(ValueError, match="mine"), _Limit(0.0, asyncio.get_running_loop()):
        await turned()
    task = asyncio.current_task()
    assert task is not None
    assert task.cancelling() == 0


async def test_a_limit_needs_a_task() -> None:
    loop = asyncio.get_running_loop()
    limit = _Limit(1.0, loop)
    # Entered from a plain callback, which has no task to cancel.
    failure: list[BaseException] = []
    done = loop.create_future()

    def enter() -> None:
        try:
            limit.__enter__()
        except RuntimeError as exc:
            failure.append(exc)
        done.set_result(None)

    loop.call_soon(enter)
    await done
    assert [str(e) for e in failure] == ["a request's time limit needs a task to cancel"]


async def test_the_services_cookies_are_neither_kept_nor_sent_back() -> None:
    """The real service sets cookies (its recordings drop them); the client, like the official SDK, keeps none:
    none kept from a response, none sent with a request."""
    seen: list[Seen] = []

    def answer(request: Seen) -> bytes:
        seen.append(request)
        return http(200, json.dumps(batch_body("Running")), {"Set-Cookie": "affinity=node-7; Path=/"}, reason="OK")

    async with hostile(answer) as origin:
        # By name: aiohttp's default jar would drop a cookie set by an IP address anyway.
        endpoint = origin.replace("127.0.0.1", "localhost")
        async with DocumentTranslationClient(endpoint, key=SECRET) as client:
            for _ in range(2):
                assert (await client.get_status("b1")).status is Status.RUNNING
    assert len(seen) == 2
    assert [request.headers.get("cookie") for request in seen] == [None, None]
