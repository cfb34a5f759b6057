"""Helpers shared by the tests: constants, a mocked aiohttp layer that works on aiohttp 3.14, a scripted
transport, body and response builders."""

from __future__ import annotations

import asyncio
import inspect
import json
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from aiohttp import ClientResponse
from aioresponses import aioresponses

from doctrans_async import ApiVersion, DocumentTranslationClient
from doctrans_async._clock import Clock, Deadline, DeadlineReached, VirtualClock
from doctrans_async._errors import TransportError
from doctrans_async._sansio import Request, Response

ENDPOINT = "https://unit.test"
"""A host that does not exist: aioresponses answers for it, nothing leaves the machine."""

SECRET = "s3cr3t-key-0123456789abcdef"
"""A recognisable key, so tests can assert it appears nowhere it must not."""

BASE = f"{ENDPOINT}/translator/document"
"""Where the 2024-05-01 and later routes of ENDPOINT start."""

V1 = f"{ENDPOINT}/translator/text/batch/v1.0"
"""Where the v1.0 routes of ENDPOINT start."""

Q = "api-version=2024-05-01"
"""The query every request at API 2024-05-01 carries."""


class _NoStreamWriter:
    output_size = 0


class _CompatResponse(ClientResponse):
    # aiohttp 3.14 made ClientResponse's 'stream_writer' required and aioresponses 0.7.9 does not pass it
    # (pnuckowski/aioresponses#289); a finished, empty writer is what a mocked response has.
    def __init__(self, method: str, url: Any, **kwargs: Any) -> None:
        if "stream_writer" in inspect.signature(ClientResponse.__init__).parameters:
            kwargs.setdefault("stream_writer", _NoStreamWriter())
        super().__init__(method, url, **kwargs)


class MockedService(aioresponses):
    """aioresponses, working on aiohttp 3.14, with the requests it saw easy to read."""

    def add(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("response_class", _CompatResponse)
        super().add(*args, **kwargs)

    def sent(self) -> list[tuple[str, str, dict[str, str]]]:
        """(method, URL, headers) of every request made, in order of first registration."""
        return [
            (method, str(url), dict(call.kwargs.get("headers") or {}))
            for (method, url), calls in self.requests.items()
            for call in calls
        ]


def batch_body(status: str = "Running", *, batch_id: str = "b1", success: int = 0, total: int = 4) -> dict[str, Any]:
    """A batch status body as the service sends it."""
    return {
        "id": batch_id,
        "createdDateTimeUtc": "2024-10-11T02:18:42.6957534Z",
        "lastActionDateTimeUtc": "2024-10-11T02:19:42.1234567Z",
        "status": status,
        "summary": {
            "total": total,
            "failed": 0,
            "success": success,
            "inProgress": total - success,
            "notYetStarted": 0,
            "cancelled": 0,
            "totalCharacterCharged": 10 * success,
        },
    }


def document_body(doc_id: str, status: str = "Succeeded") -> dict[str, Any]:
    """A document status body as the service sends it."""
    return {
        "path": f"https://store.blob.core.windows.net/target/{doc_id}.txt",
        "sourcePath": f"https://store.blob.core.windows.net/source/{doc_id}.txt",
        "createdDateTimeUtc": "2024-10-11T02:18:42.6957534Z",
        "lastActionDateTimeUtc": "2024-10-11T02:19:42.1234567Z",
        "status": status,
        "to": "fr",
        "progress": 1,
        "id": doc_id,
        "characterCharged": 27,
    }


Responder = Callable[[Request, Deadline], Awaitable[Response]]
"""A scripted answer computed when the request arrives (to move a clock, or to answer from state)."""

Outcome = Response | BaseException | Responder
"""What a :class:`FakeTransport` does with one request: return a response, raise, or ask a responder."""


class FakeTransport:
    """A scripted :class:`~doctrans_async._transport.Transport`: no sockets, no aiohttp.

    Each request takes the next outcome of its URL's queue (:meth:`script`) if it has one, else of the shared
    queue given at construction, else asks ``fallback``; a request with nothing scripted fails the test with an
    ``AssertionError`` (which no retry policy retries). Every ``(request, deadline)`` sent is recorded in
    ``sent``, before ``on_send`` (if given) is called with them: a test can inspect the call stack there.

    The deadline is honoured as :class:`~doctrans_async._transport.AiohttpTransport` honours it: a request sent
    with its deadline passed, or still being answered when the clock passes it, raises :class:`DeadlineReached`
    carrying a :class:`TransportError`.
    """

    def __init__(
        self,
        *outcomes: Outcome,
        fallback: Responder | None = None,
        on_send: Callable[[Request, Deadline], object] | None = None,
    ) -> None:
        self._queue: deque[Outcome] = deque(outcomes)
        self._routes: dict[str, deque[Outcome]] = {}
        self._fallback = fallback
        self._on_send = on_send
        self.sent: list[tuple[Request, Deadline]] = []
        self.closed = False

    def script(self, url: str, *outcomes: Outcome) -> None:
        """Queue ``outcomes`` for requests to exactly ``url``, ahead of the shared queue."""
        self._routes.setdefault(url, deque()).extend(outcomes)

    def add(self, *outcomes: Outcome) -> None:
        """Queue more outcomes on the shared queue."""
        self._queue.extend(outcomes)

    @property
    def requests(self) -> list[Request]:
        """The requests sent, in order."""
        return [request for request, _ in self.sent]

    @property
    def urls(self) -> list[str]:
        """The URLs requested, in order."""
        return [request.url for request, _ in self.sent]

    async def send(self, request: Request, deadline: Deadline) -> Response:
        self.sent.append((request, deadline))
        if self._on_send is not None:
            self._on_send(request, deadline)
        outcome = self._next(request)
        if deadline.at is None:
            return await self._answer(outcome, request, deadline)
        try:
            async with deadline.scope():
                # A real exchange waits at least once: where a deadline already passed cuts it off.
                await asyncio.sleep(0)
                return await self._answer(outcome, request, deadline)
        except TimeoutError:
            if not deadline.expired():
                raise  # a scripted TimeoutError, not the deadline's
            cut = TransportError("the call's deadline passed with the request in flight", url=request.url)
            raise DeadlineReached(cut) from None

    @staticmethod
    async def _answer(outcome: Outcome, request: Request, deadline: Deadline) -> Response:
        if isinstance(outcome, BaseException):
            raise outcome
        if isinstance(outcome, Response):
            return outcome
        return await outcome(request, deadline)

    def _next(self, request: Request) -> Outcome:
        for queue in (self._routes.get(request.url), self._queue):
            if queue:
                return queue.popleft()
        if self._fallback is not None:
            return self._fallback
        raise AssertionError(f"FakeTransport: nothing scripted for {request}")

    async def close(self) -> None:
        self.closed = True


def respond(
    status: int = 200, body: Any = None, *, headers: Mapping[str, str] | Iterable[tuple[str, str]] = ()
) -> Response:
    """A response with ``body`` as JSON (bytes are sent as they are; ``None`` is an empty body)."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    raw = body if isinstance(body, bytes) else b"" if body is None else json.dumps(body).encode()
    return Response.build(status, [("content-type", "application/json"), *pairs], raw)


def error_response(status: int, retry_after: str | None = None) -> Response:
    """An error response as the service sends it, with an optional ``Retry-After``."""
    headers = {"retry-after": retry_after} if retry_after is not None else {}
    return respond(status, {"error": {"code": "Code", "message": "message"}}, headers=headers)


def page_response(items: list[dict[str, Any]], next_link: str | None, *, key: str = "nextLink") -> Response:
    """A listing page: ``items`` under ``value`` and the continuation link under ``key`` (2024-05-01's name)."""
    return respond(200, {"value": items, key: next_link})


def client_over(transport: FakeTransport, clock: Clock, **options: Any) -> DocumentTranslationClient:
    """A client of :data:`ENDPOINT` at API 2024-05-01 that sends through ``transport`` on ``clock``."""
    options.setdefault("api_version", ApiVersion.V2024_05_01)
    return DocumentTranslationClient(ENDPOINT, transport=transport, clock=clock, **options)


def stalls(clock: VirtualClock, seconds: float = 3600.0) -> Responder:
    """A responder that takes ``seconds`` of ``clock``'s time: past the call's deadline, the transport cuts it off."""

    async def respond_slowly(request: Request, deadline: Deadline) -> Response:
        await clock.sleep(seconds)
        raise AssertionError(f"the deadline did not cut {request} off")

    return respond_slowly
