"""The client: wires the sans-I/O core, the retry loop, the paginator and the poller to aiohttp.

All protocol decisions live in :mod:`doctrans_async._sansio`; this module only sends requests, receives
responses, and owns (or borrows) the aiohttp session.
"""

from __future__ import annotations

import contextlib
import enum
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from types import TracebackType
from typing import Self, TypeVar

import aiohttp
import yarl

from doctrans_async._clock import Clock, SystemClock
from doctrans_async._errors import ClientClosedError, TransportError
from doctrans_async._models import BatchStatus, DocumentPage, DocumentStatus
from doctrans_async._paging import first_request_for_resume, iter_pages
from doctrans_async._polling import (
    PollPolicy,
    StatusCallback,
    wait_until_terminal,
    watch_statuses,
)
from doctrans_async._retry import RetryPolicy, call_with_retries
from doctrans_async._sansio import (
    Endpoint,
    Request,
    Response,
    origin_of,
    parse_batch_status,
    parse_document_page,
    parse_retry_after,
)
from doctrans_async._version import __version__
from doctrans_async._versions import ApiVersion

__all__ = ["DocumentTranslationClient"]

T = TypeVar("T")
logger = logging.getLogger("doctrans_async")

_DEFAULT_RETRY = RetryPolicy()
_USER_AGENT = f"doctrans-async/{__version__} aiohttp/{aiohttp.__version__}"


class _State(enum.Enum):
    OPEN = "open"
    CLOSED = "closed"


class DocumentTranslationClient:
    """An asyncio client for one Document Translation endpoint.

    Use it as an async context manager (or call :meth:`close`)::

        async with DocumentTranslationClient(endpoint, key=key) as client:
            final = await client.wait_for_completion(batch_id, timeout=3600)

    :param endpoint: the resource's origin, ``https://<name>.cognitiveservices.azure.com`` (any http(s) origin).
    :param key: the subscription key, sent as ``Ocp-Apim-Subscription-Key`` and only to ``endpoint``'s origin.
    :param region: sent as ``Ocp-Apim-Subscription-Region`` when given (regional or multi-service keys).
    :param api_version: an :class:`ApiVersion` or its string value; default the newest GA version.
    :param session: an ``aiohttp.ClientSession`` to borrow; the client never closes it. Without one the client
        creates its own on first use and closes it in :meth:`close`.
    :param retry: how failed requests are retried; ``None`` turns retries off.
    :param poll: how often :meth:`wait_for_completion` and :meth:`watch` poll.
    :param request_timeout: seconds one request may take in all (connect, send, receive).
    :param max_pages: a listing that goes on past this many pages is stopped with a ``ContinuationLinkError``.
    :param clock: where time and sleeps come from; tests pass a :class:`~doctrans_async.VirtualClock`.
    """

    def __init__(
        self,
        endpoint: str,
        *,
        key: str,
        region: str | None = None,
        api_version: ApiVersion | str = ApiVersion.V2026_03_01,
        session: aiohttp.ClientSession | None = None,
        retry: RetryPolicy | None = _DEFAULT_RETRY,
        poll: PollPolicy | None = None,
        request_timeout: float = 30.0,
        max_pages: int = 100_000,
        clock: Clock | None = None,
    ) -> None:
        if not isinstance(key, str) or not key:
            raise ValueError("key must be a non-empty string")
        try:
            version = ApiVersion(api_version)
        except ValueError:
            known = ", ".join(v.value for v in ApiVersion)
            raise ValueError(f"unknown api_version {api_version!r}; known: {known}") from None
        self._endpoint = Endpoint(endpoint, version)
        self._retry = retry
        self._poll = poll if poll is not None else PollPolicy()
        self._request_timeout = request_timeout
        self._max_pages = max_pages
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._region = region
        self._plain_headers = {"Accept": "application/json", "User-Agent": _USER_AGENT}
        self._auth_headers = {**self._plain_headers, "Ocp-Apim-Subscription-Key": key}
        if region:
            self._auth_headers["Ocp-Apim-Subscription-Region"] = region
        self._borrowed = session
        self._owned: aiohttp.ClientSession | None = None
        self._state = _State.OPEN

    def __repr__(self) -> str:
        return (
            f"DocumentTranslationClient(endpoint={self._endpoint.url!r}, "
            f"api_version={self._endpoint.version.value!r}, region={self._region!r}, "
            f"state={self._state.value!r})"
        )

    @property
    def endpoint(self) -> str:
        """The endpoint this client talks to."""
        return self._endpoint.url

    @property
    def api_version(self) -> ApiVersion:
        """The API version this client speaks."""
        return self._endpoint.version

    # --- lifecycle ---------------------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        self._session()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the client and the session it owns (a borrowed session is left open). Idempotent."""
        self._state = _State.CLOSED
        owned, self._owned = self._owned, None
        if owned is not None:
            await owned.close()

    def _session(self) -> aiohttp.ClientSession:
        if self._state is _State.CLOSED:
            raise ClientClosedError("this DocumentTranslationClient is closed")
        if self._borrowed is not None:
            if self._borrowed.closed:
                raise ClientClosedError("the borrowed aiohttp session is closed")
            return self._borrowed
        if self._owned is None:
            self._owned = aiohttp.ClientSession()
        return self._owned

    # --- transport ---------------------------------------------------------------------------------------

    async def _send(self, request: Request, deadline: float | None) -> Response:
        session = self._session()
        # Credentials go to the configured origin only, whatever URL a request names.
        same_origin = origin_of(request.url) == self._endpoint.origin
        headers = self._auth_headers if same_origin else self._plain_headers
        timeout = self._request_timeout
        if deadline is not None:
            timeout = max(0.001, min(timeout, deadline - self._clock.monotonic()))
        try:
            async with session.request(
                request.method,
                yarl.URL(request.url, encoded=True),
                headers=headers,
                data=request.body,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as resp:
                body = await resp.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            detail = str(exc) or type(exc).__name__
            raise TransportError(f"no usable response: {detail}", method=request.method, url=request.url) from exc
        logger.debug("%s %s -> %d (%d bytes)", request.method, request.url, resp.status, len(body))
        return Response.build(resp.status, resp.headers.items(), body)

    async def _call(
        self,
        request: Request,
        parse: Callable[[Response], T],
        deadline: float | None = None,
    ) -> T:
        async def attempt() -> T:
            return parse(await self._send(request, deadline))

        return await call_with_retries(attempt, policy=self._retry, clock=self._clock, deadline=deadline)

    # --- operations --------------------------------------------------------------------------------------

    async def get_status(self, batch_id: str) -> BatchStatus:
        """The status of batch ``batch_id``: its state, summary counts and, if it failed validation, the error."""
        status, _ = await self._fetch_status(batch_id, None)
        return status

    async def _fetch_status(self, batch_id: str, deadline: float | None) -> tuple[BatchStatus, float | None]:
        request = self._endpoint.batch_status(batch_id)

        def parse(response: Response) -> tuple[BatchStatus, float | None]:
            now = self._clock.utcnow()
            return (
                parse_batch_status(request, response, now),
                parse_retry_after(response.headers, now),
            )

        return await self._call(request, parse, deadline)

    async def iter_document_pages(
        self,
        batch_id: str,
        *,
        top: int | None = None,
        skip: int | None = None,
        page_size: int | None = None,
        resume_from: str | None = None,
    ) -> AsyncGenerator[DocumentPage, None]:
        """Yield the pages of batch ``batch_id``'s document listing, as the service pages it.

        Each page's ``next_link`` is checked (same origin as the endpoint, never seen before in this listing) and
        can be stored to continue later with ``resume_from=`` (``top``, ``skip`` and ``page_size`` are then
        already part of the link). ``top`` caps the documents listed, ``skip`` skips the first ones (applied
        before ``top``), ``page_size`` asks for pages of that many (1–100; v1.0 and later).
        """
        seen: set[str] = set()
        if resume_from is not None:
            if (top, skip, page_size) != (None, None, None):
                raise ValueError("resume_from carries top/skip/page_size already; pass none of them")
            first = first_request_for_resume(self._endpoint, resume_from, seen)
        else:
            first = self._endpoint.documents(batch_id, top=top, skip=skip, page_size=page_size)
        version = self._endpoint.version

        async def fetch(request: Request) -> DocumentPage:
            return await self._call(
                request,
                lambda response: parse_document_page(request, response, self._clock.utcnow(), version),
            )

        pages = iter_pages(fetch, first, endpoint=self._endpoint, top=top, max_pages=self._max_pages, seen=seen)
        async with contextlib.aclosing(pages):
            async for page in pages:
                yield page

    async def list_documents(
        self,
        batch_id: str,
        *,
        top: int | None = None,
        skip: int | None = None,
        page_size: int | None = None,
        resume_from: str | None = None,
    ) -> AsyncGenerator[DocumentStatus, None]:
        """Yield the status of every document of batch ``batch_id``, each exactly once, across all pages.

        Arguments as for :meth:`iter_document_pages`. A page that fails is retried alone.
        """
        pages = self.iter_document_pages(batch_id, top=top, skip=skip, page_size=page_size, resume_from=resume_from)
        async with contextlib.aclosing(pages):
            async for page in pages:
                for document in page.items:
                    yield document

    async def watch(self, batch_id: str, *, timeout: float | None = None) -> AsyncGenerator[BatchStatus, None]:
        """Yield each status of batch ``batch_id`` as it is polled; the terminal status is the last one.

        Polls as :meth:`wait_for_completion` does; raises :class:`PollingTimeoutError` after ``timeout`` seconds.
        """

        def fetch(deadline: float | None) -> Awaitable[tuple[BatchStatus, float | None]]:
            return self._fetch_status(batch_id, deadline)

        statuses = watch_statuses(fetch, policy=self._poll, clock=self._clock, timeout=timeout)
        async with contextlib.aclosing(statuses):
            async for status in statuses:
                yield status

    async def wait_for_completion(
        self,
        batch_id: str,
        *,
        timeout: float | None = None,
        on_status: StatusCallback | None = None,
    ) -> BatchStatus:
        """Wait until batch ``batch_id`` reaches a terminal status and return that status.

        A batch that ends Failed, Canceled or ValidationFailed is a result, not an exception: check
        ``.status``. Between polls the client waits at least the server's ``Retry-After`` and otherwise follows
        its :class:`PollPolicy`. ``timeout`` (seconds) is an overall deadline, never overslept: past it,
        :class:`PollingTimeoutError` is raised with the last status seen. ``on_status`` (a plain or async
        callable) sees every status fetched, the terminal one included.
        """
        statuses = self.watch(batch_id, timeout=timeout)
        async with contextlib.aclosing(statuses):
            return await wait_until_terminal(statuses, on_status)
