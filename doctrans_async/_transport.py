"""The transport: sends one :class:`Request` and returns its :class:`Response`. The only aiohttp code of the client.

A :class:`Transport` is anything with ``send(request, deadline)`` and ``close()``; the client is given one (tests
inject fakes) and otherwise makes an :class:`AiohttpTransport`. What belongs here and nowhere else:

- the session: borrowed (never closed, its ``raise_for_status`` ignored) or owned (made on first use, keeping
  no cookies);
- credentials, added at send time and only for the endpoint's origin, whatever URL a request names (and
  taught to the client's :class:`Secrets`, so that no text shown can carry them);
- sorting aiohttp's failures into :class:`TransportError`, and whether the request may have been sent;
- cutting a request off at the call's :class:`Deadline` (:class:`DeadlineReached`); the client's own
  ``request_timeout`` is a real-seconds limit of each attempt, never derived from a (possibly virtual) clock;
- streaming multipart uploads: paths opened per attempt, callers' open files read through a generator.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Coroutine, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import aiohttp
import yarl

from doctrans_async._auth import Auth
from doctrans_async._clock import Deadline, DeadlineReached
from doctrans_async._errors import ClientClosedError, TransportError
from doctrans_async._redact import Secrets
from doctrans_async._sansio import Origin, Part, Request, Response, origin_of
from doctrans_async._version import __version__

__all__ = ["PLAIN_HEADERS", "USER_AGENT", "AiohttpTransport", "Transport"]

USER_AGENT = f"doctrans-async/{__version__} aiohttp/{aiohttp.__version__}"
PLAIN_HEADERS = {"Accept": "application/json", "User-Agent": USER_AGENT}
"""What every request carries; credentials come on top, for the endpoint's origin only."""

# What a request without parts opens its files with: nothing (a nullcontext is reusable, and cheaper).
_NO_FILES: contextlib.nullcontext[None] = contextlib.nullcontext()

# Failures that happen before any byte of the request can have reached the service.
_NOT_SENT = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)


class Transport(Protocol):
    """Sends requests: anything with these two coroutines, typed with the public :class:`Request`,
    :class:`Response` and :class:`Deadline`, can be passed as ``DocumentTranslationClient(transport=...)`` (a
    scripted fake in tests). ``send`` returns the response whatever its status, and raises
    :class:`TransportError` when there is no usable response.

    The aiohttp transport also cuts a request in flight off at ``deadline`` (raising the internal
    ``DeadlineReached``); another transport may leave the deadline alone: the call's deadline still bounds each
    wait between requests.
    """

    async def send(self, request: Request, deadline: Deadline) -> Response: ...

    async def close(self) -> None: ...


class AiohttpTransport:
    """A :class:`Transport` over an ``aiohttp.ClientSession``.

    :param auth: the credential headers, sent only to ``origin``; other URLs get ``plain_headers``.
    :param session: a session to borrow (never closed here); without one, one is made on first use.
    :param request_timeout: seconds one attempt may take in all (connect, send, receive), in real time.
    :param secrets: taught every credential sent; an error body is redacted with it before anything reads it
        (a snippet of the body cut to length could otherwise keep half a key).
    """

    def __init__(
        self,
        auth: Auth,
        endpoint: str,
        *,
        plain_headers: Mapping[str, str] = PLAIN_HEADERS,
        session: aiohttp.ClientSession | None = None,
        request_timeout: float = 30.0,
        secrets: Secrets | None = None,
    ) -> None:
        self._auth = auth
        self._secrets = secrets if secrets is not None else Secrets()
        self._origin: Origin = origin_of(endpoint)
        self._prefix = endpoint.rstrip("/") + "/"
        self._plain = plain_headers
        self._borrowed = session
        self._owned: aiohttp.ClientSession | None = None
        self._owned_loop: asyncio.AbstractEventLoop | None = None
        self._closer: AsyncGenerator[None, None] | None = None
        self._request_timeout = request_timeout
        # aiohttp's own total timer can swallow a cancellation that lands at the moment it fires (the task would go
        # on retrying): each attempt is bounded by a _Limit instead, which lets a cancellation win. aiohttp
        # keeps a connect limit, which tells a request never sent from one that may have arrived.
        self._aiohttp_timeout = _connect_limit(request_timeout)
        self._closed = False

    def __repr__(self) -> str:
        return f"AiohttpTransport(borrowed={self._borrowed is not None}, closed={self._closed})"

    async def close(self) -> None:
        """Close the session this transport owns (a borrowed one is left open). Idempotent."""
        self._closed = True
        await self._drop_owned()

    async def _drop_owned(self) -> None:
        closer, self._closer, self._owned = self._closer, None, None
        if closer is not None:
            with contextlib.suppress(RuntimeError):  # its loop may be gone: nothing is left to close there
                await closer.aclose()

    def _open_session(self, loop: asyncio.AbstractEventLoop) -> aiohttp.ClientSession | None:
        """The session to send on, if there is one for this event loop (``None``: :meth:`_new_session`)."""
        if self._closed:
            raise ClientClosedError("this DocumentTranslationClient is closed")
        if self._borrowed is not None:
            if self._borrowed.closed:
                raise ClientClosedError("the borrowed aiohttp session is closed")
            return self._borrowed
        owned = self._owned
        if owned is not None and self._owned_loop is loop and not owned.closed:
            return owned
        return None

    async def _new_session(self, loop: asyncio.AbstractEventLoop) -> aiohttp.ClientSession:
        # First use, or a new event loop (a second asyncio.run()): a session cannot move between loops.
        await self._drop_owned()
        if self._closed:  # closed while the old session was closing
            raise ClientClosedError("this DocumentTranslationClient is closed")
        # No cookie jar: the service sets cookies that no request needs (the official SDK keeps none either), and
        # a jar would keep them from every response (parsing them, on recent aiohttp) and send them back.
        session = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar())
        self._owned, self._owned_loop = session, loop
        self._closer = _close_with_loop(self._owned)
        return self._owned

    def _headers(self, request: Request, credentials: Mapping[str, str]) -> Mapping[str, str]:
        self._secrets.learn(credentials)
        if request.content_type is not None:
            return {**credentials, "Content-Type": request.content_type}
        return credentials

    def _same_origin(self, url: str) -> bool:
        # Most URLs are built under the endpoint, which the prefix test settles without parsing.
        return url.startswith(self._prefix) or origin_of(url) == self._origin

    def send(self, request: Request, deadline: Deadline) -> Coroutine[Any, Any, Response]:
        # Without a deadline, the exchange's own coroutine: one frame fewer for every resumption to pass through.
        if deadline.at is None:
            return self._exchange(request)
        return self._exchange_until(request, deadline)

    async def _exchange_until(self, request: Request, deadline: Deadline) -> Response:
        try:
            async with deadline.scope():
                return await self._exchange(request)
        except TimeoutError:
            # Only the scope raises TimeoutError here: the exchange turns its own timeouts into TransportError.
            cut = TransportError(
                "the call's deadline passed with the request in flight", method=request.method, url=request.url
            )
            raise DeadlineReached(cut) from None

    async def _exchange(self, request: Request) -> Response:
        failure: TransportError | None = None
        limit = self._request_timeout if request.timeout is None else request.timeout
        # A token refresh is bounded by the deadline around us, and by the credential's own limit (which names it).
        if self._same_origin(request.url):
            credentials = self._auth.ready() or await self._auth.headers()
        else:
            credentials = self._plain
        headers = self._headers(request, credentials)
        # One running-loop lookup per attempt, for the session and the limit (on Python 3.11 each is a system call).
        loop = asyncio.get_running_loop()
        # No await between taking the session and using it: a close() meanwhile must not meet a closed session.
        session = self._open_session(loop) or await self._new_session(loop)
        connect = self._aiohttp_timeout if request.timeout is None else _connect_limit(request.timeout)
        resp: aiohttp.ClientResponse | None = None
        body, complete = b"", False
        try:
            # Bounded however the attempt ends; aiohttp arms no timer of its own beside this one (total=None, and
            # its connect limit only while a connection is being made), so this costs what the floor's does.
            # The upload machinery only for an upload: a status request is sent without an ExitStack.
            with _Limit(limit, loop), contextlib.ExitStack() if request.parts else _NO_FILES as files:
                async with session.request(
                    request.method,
                    yarl.URL(request.url, encoded=True),
                    headers=headers,
                    data=_form(request.parts, files) if files is not None else request.body,
                    allow_redirects=False,
                    raise_for_status=False,  # a borrowed session's setting must not replace our errors
                    timeout=connect,
                ) as resp:
                    # A body cut off after the status and headers arrived still leaves those to read: a
                    # 202's Operation-Location names the batch it started, and a POST is not sent twice.
                    # So is one the attempt's limit cuts off (a body that stalls).
                    try:
                        body, complete = await resp.read(), True
                    except aiohttp.ClientPayloadError:
                        complete = False
        except (aiohttp.ClientError, TimeoutError) as exc:
            if resp is None or not isinstance(exc, TimeoutError):
                failure = _transport_error(request, exc)
        if failure is not None:
            # Raised outside the except block, so the aiohttp exception is not even the implicit context.
            raise failure from failure.__cause__
        assert resp is not None
        # aiohttp's headers are already case-insensitive, as the sans-I/O layer's lower-case lookups need.
        if not 200 <= resp.status < 300:
            body = self._secrets.redactor.bytes(body)
        return Response(resp.status, resp.headers, body, complete)


class _Limit:
    """``with _Limit(seconds, loop):`` cancels the task running its body when ``seconds`` pass and raises
    :class:`TimeoutError` out of it, as ``asyncio.timeout`` does, unless the task was cancelled from elsewhere
    too: then the cancellation goes on (the timeout's own is taken back), so a cancellation always wins.

    ``asyncio.timeout`` would do, at 1.7 times the instructions on every request (its scope is entered and left
    through two coroutines, and on Python 3.11 each of its three running-loop lookups is a system call): this is
    one timer handle, armed on entry and cancelled on exit. It runs in a task, in real time.
    """

    __slots__ = ("_cancelling", "_expired", "_handle", "_loop", "_seconds", "_task")

    def __init__(self, seconds: float, loop: asyncio.AbstractEventLoop) -> None:
        self._seconds = seconds
        self._loop = loop

    def __enter__(self) -> None:
        self._expired = False
        loop = self._loop
        task = asyncio.current_task(loop)
        if task is None:
            raise RuntimeError("a request's time limit needs a task to cancel")
        self._task = task
        self._cancelling = task.cancelling()  # cancellations already asked for are not ours to take back
        self._handle = loop.call_at(loop.time() + self._seconds, self._expire)

    def _expire(self) -> None:
        self._expired = True
        self._task.cancel()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        self._handle.cancel()
        # Our own cancellation is taken back however the body ended (uncancel comes first); only if no other
        # is pending is the CancelledError ours to turn into a TimeoutError.
        if (
            self._expired
            and self._task.uncancel() <= self._cancelling
            and exc_type is not None
            and issubclass(exc_type, asyncio.CancelledError)
        ):
            raise TimeoutError from exc


def _connect_limit(limit: float) -> aiohttp.ClientTimeout:
    # Shorter than the attempt's limit, so that a connection never made is told as such (ConnectionTimeoutError:
    # a POST may be sent again) before the attempt's own timeout ends it; aiohttp rounds limits of 5 s and more
    # up to the next second, and 90 % stays below the attempt's limit however it rounds.
    return aiohttp.ClientTimeout(total=None, connect=0.9 * limit)


def _close_with_loop(session: aiohttp.ClientSession) -> AsyncGenerator[None, None]:
    """An async generator, started here, whose ``finally`` closes ``session``.

    asyncio closes the async generators a loop started when ``asyncio.run()`` (or any loop's
    ``shutdown_asyncgens``) ends it, so a client its user never closed still closes its session in the loop
    that owns the session's sockets, and a later loop starts with a fresh one.
    """

    async def closer() -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            await session.close()

    started = closer()
    with contextlib.suppress(StopIteration):
        started.asend(None).send(None)
    return started


def _transport_error(request: Request, exc: BaseException) -> TransportError:
    detail = str(exc) or type(exc).__name__
    error = TransportError(
        f"no usable response: {detail} ({type(exc).__name__})",
        request_sent=not isinstance(exc, _NOT_SENT),
        method=request.method,
        url=request.url,
    )
    # aiohttp's response errors hold the request's headers, the key among them: those are never chained.
    error.__cause__ = None if isinstance(exc, aiohttp.ClientResponseError) else exc
    return error


_CHUNK = 256 * 1024


async def _chunks(file: BinaryIO, start: int | None) -> AsyncIterator[bytes]:
    if start is not None:
        file.seek(start)
    while chunk := file.read(_CHUNK):
        yield chunk


async def _slices(data: bytes) -> AsyncIterator[bytes]:
    view = memoryview(data)
    for at in range(0, len(view), _CHUNK):
        yield view[at : at + _CHUNK].tobytes()


def _form(parts: Sequence[Part], files: contextlib.ExitStack) -> aiohttp.FormData:
    """A multipart body; paths are opened here (and closed with ``files``) so each attempt reads them afresh.

    A caller's open file is streamed through a generator, never handed to aiohttp, which closes the files it
    is given once they are sent; so are large bytes, in slices.
    """
    form = aiohttp.FormData()
    for part in parts:
        value: Any = part.source
        if isinstance(value, Path):
            value = files.enter_context(value.open("rb"))
        elif isinstance(value, bytes):
            # Handed over whole, a large body is written in one go (aiohttp warns that it blocks the loop).
            value = value if len(value) <= _CHUNK else _slices(value)
        else:
            value = _chunks(value, part.start)
        form.add_field(part.name, value, filename=part.filename, content_type=part.content_type)
    return form
