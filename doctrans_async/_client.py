"""The client: wires the sans-I/O core, the retry loop, the paginator and the poller to aiohttp.

All protocol decisions live in :mod:`doctrans_async._sansio`; this module only sends requests, receives
responses, and owns (or borrows) the aiohttp session.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, Literal, Protocol, Self, TypeVar

import aiohttp
import yarl

from doctrans_async._auth import AsyncTokenCredential, Auth, KeyAuth, TokenAuth
from doctrans_async._clock import Clock, SystemClock
from doctrans_async._errors import ClientClosedError, DocumentTranslationError, ServiceError, TransportError
from doctrans_async._events import Event, EventHook, PollEvent, RequestEvent, RetryEvent
from doctrans_async._fanout import outcomes_as_completed
from doctrans_async._models import (
    BatchOutcome,
    BatchPage,
    BatchStatus,
    DocumentPage,
    DocumentStatus,
    FileFormat,
    Status,
    TranslationInput,
    TranslationTarget,
)
from doctrans_async._paging import P, first_request_for_resume, iter_pages
from doctrans_async._polling import (
    PollPolicy,
    StatusCallback,
    wait_until_terminal,
    watch_statuses,
)
from doctrans_async._redact import Redactor, secrets_of
from doctrans_async._retry import DeadlineReached, RetryPolicy, call_with_retries, resend_is_safe
from doctrans_async._sansio import (
    Endpoint,
    ListFilters,
    Part,
    Request,
    Response,
    origin_of,
    parse_batch_page,
    parse_batch_status,
    parse_document_page,
    parse_document_status,
    parse_formats,
    parse_retry_after,
    parse_started_batch_id,
    parse_storage_sources,
    parse_translated_document,
    request_id_of,
    start_translation_body,
)
from doctrans_async._upload import DocumentSource, document_part
from doctrans_async._version import __version__
from doctrans_async._versions import ApiVersion

__all__ = ["DocumentTranslationClient"]

T = TypeVar("T")
logger = logging.getLogger("doctrans_async")

_DEFAULT_RETRY = RetryPolicy()
# Failures that happen before any byte of the request can have reached the service.
_NOT_SENT = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)
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
    :param credential: instead of ``key``, an object with an async ``get_token(*scopes)`` (an
        ``azure.identity.aio`` credential, say); its bearer token is refreshed before it expires.
    :param region: sent as ``Ocp-Apim-Subscription-Region`` when given (regional or multi-service keys).
    :param api_version: an :class:`ApiVersion` or its string value; default the newest GA version.
    :param session: an ``aiohttp.ClientSession`` to borrow; the client never closes it. Without one the client
        creates its own on first use and closes it in :meth:`close`.
    :param retry: how failed requests are retried; ``None`` turns retries off.
    :param poll: how often :meth:`wait_for_completion` and :meth:`watch` poll.
    :param request_timeout: seconds one request may take in all (connect, send, receive).
    :param max_pages: a listing that goes on past this many pages is stopped with a ``ContinuationLinkError``.
    :param clock: where time and sleeps come from; tests pass a :class:`~doctrans_async.VirtualClock`.
    :param on_event: called with a :class:`RequestEvent`, :class:`RetryEvent` or :class:`PollEvent` as each
        request, retry and poll happens (for metrics); the same facts are logged at DEBUG.
    """

    def __init__(
        self,
        endpoint: str,
        *,
        key: str | None = None,
        credential: AsyncTokenCredential | None = None,
        region: str | None = None,
        api_version: ApiVersion | str = ApiVersion.V2026_03_01,
        session: aiohttp.ClientSession | None = None,
        retry: RetryPolicy | None = _DEFAULT_RETRY,
        poll: PollPolicy | None = None,
        request_timeout: float = 30.0,
        max_pages: int = 100_000,
        clock: Clock | None = None,
        on_event: EventHook | None = None,
    ) -> None:
        try:
            version = ApiVersion(api_version)
        except ValueError:
            known = ", ".join(v.value for v in ApiVersion)
            raise ValueError(f"unknown api_version {api_version!r}; known: {known}") from None
        self._endpoint = Endpoint(endpoint, version)
        self._same_origin_prefix = self._endpoint.url + "/"
        self._retry = retry
        self._poll = poll if poll is not None else PollPolicy()
        self._request_timeout = request_timeout
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)
        self._max_pages = max_pages
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._region = region
        self._plain_headers = {"Accept": "application/json", "User-Agent": _USER_AGENT}
        self._auth = self._make_auth(key, credential)
        self._on_event = on_event
        self._redactor = Redactor()
        self._borrowed = session
        self._owned: aiohttp.ClientSession | None = None
        self._state = _State.OPEN

    def _make_auth(self, key: str | None, credential: AsyncTokenCredential | None) -> Auth:
        if (key is None) == (credential is None):
            raise ValueError("pass exactly one of key= and credential=")
        if credential is not None:
            return TokenAuth(credential, region=self._region, base=self._plain_headers, clock=self._clock)
        return KeyAuth(key or "", region=self._region, base=self._plain_headers)

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

    async def _headers(self, request: Request) -> Mapping[str, str]:
        # Credentials go to the configured origin only, whatever URL a request names. Most URLs are built under
        # the endpoint, which the prefix test settles without parsing.
        same_origin = request.url.startswith(self._same_origin_prefix) or (
            origin_of(request.url) == self._endpoint.origin
        )
        headers = await self._auth.headers() if same_origin else self._plain_headers
        self._redactor = self._redactor.including(secrets_of(headers))  # a refreshed token is new
        if request.content_type is not None:
            headers = {**headers, "Content-Type": request.content_type}
        return headers

    def _emit(self, event: Event) -> None:
        if self._on_event is not None:
            self._on_event(self._redactor.value(event))

    @contextlib.contextmanager
    def _redacting(self) -> Iterator[None]:
        """Every library error leaving the block is redacted: no credential the client holds is in its text.

        Wraps every path by which an error reaches the caller (requests, listings, polls); events are redacted
        in :meth:`_emit`, error bodies in :meth:`_send` before a snippet of them can cut a key in two."""
        try:
            yield
        except DocumentTranslationError as error:
            self._redactor.error(error)
            raise

    async def _send(self, request: Request, deadline: float | None, limit: float | None = None) -> Response:
        session = self._session()
        limit = self._request_timeout if limit is None else limit
        remaining = None if deadline is None else deadline - self._clock.monotonic()
        cut_by_deadline = remaining is not None and remaining < limit
        total = limit if remaining is None else max(0.001, min(limit, remaining))
        timeout = self._timeout if total == self._request_timeout else aiohttp.ClientTimeout(total=total)
        sent_at = time.perf_counter()
        failure: TransportError | None = None
        try:
            # A token refresh is part of the request: it too must not outlast the deadline.
            async with asyncio.timeout(total if cut_by_deadline else None):
                headers = await self._headers(request)
            with contextlib.ExitStack() as files:
                async with session.request(
                    request.method,
                    yarl.URL(request.url, encoded=True),
                    headers=headers,
                    data=_form(request.parts, files) if request.parts else request.body,
                    allow_redirects=False,
                    raise_for_status=False,  # a borrowed session's setting must not replace our errors
                    timeout=timeout,
                ) as resp:
                    body = await resp.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            failure = self._transport_error(request, exc, sent_at)
            cut_by_deadline = cut_by_deadline and isinstance(exc, TimeoutError)
        if failure is not None:
            # Raised outside the except block, so the aiohttp exception is not even the implicit context.
            if cut_by_deadline:
                raise DeadlineReached(failure) from failure.__cause__
            raise failure from failure.__cause__
        if not 200 <= resp.status < 300:
            body = self._redactor.bytes(body)
        if logger.isEnabledFor(logging.DEBUG):
            url = self._redactor.text(request.url)
            logger.debug("%s %s -> %d (%d bytes)", request.method, url, resp.status, len(body))
        # aiohttp's headers are already case-insensitive, as the sans-I/O layer's lower-case lookups need.
        response = Response(resp.status, resp.headers, body)
        if self._on_event is not None:
            elapsed = time.perf_counter() - sent_at
            self._emit(RequestEvent(request.method, request.url, resp.status, request_id_of(resp.headers), elapsed))
        return response

    def _transport_error(self, request: Request, exc: BaseException, sent_at: float) -> TransportError:
        detail = str(exc) or type(exc).__name__
        error = TransportError(
            f"no usable response: {detail} ({type(exc).__name__})",
            request_sent=not isinstance(exc, _NOT_SENT),
            method=request.method,
            url=request.url,
        )
        # aiohttp's response errors hold the request's headers, the key among them: those are never chained.
        error.__cause__ = None if isinstance(exc, aiohttp.ClientResponseError) else exc
        self._emit(RequestEvent(request.method, request.url, None, None, time.perf_counter() - sent_at, detail))
        return error

    async def _call(
        self,
        request: Request,
        parse: Callable[[Response], T],
        deadline: float | None = None,
        limit: float | None = None,
    ) -> T:
        async def attempt() -> T:
            # Redacted per attempt: the retry loop logs and reports every failed attempt's error.
            with self._redacting():
                return parse(await self._send(request, deadline, limit))

        # A request that may change state is sent again only where the service cannot have acted on it, and
        # a stream that cannot be rewound only if none of it was read.
        retryable = resend_is_safe if request.method == "POST" else None
        if any(part.start is None and not isinstance(part.source, bytes | Path) for part in request.parts):
            retryable = _never_sent

        def on_retry(number: int, wait: float, error: Exception) -> None:
            hinted = isinstance(error, ServiceError) and error.retry_after is not None
            reason: Literal["retry-after", "backoff"] = "retry-after" if hinted else "backoff"
            self._emit(RetryEvent(request.method, request.url, number, wait, reason, error))

        return await call_with_retries(
            attempt,
            policy=self._retry,
            clock=self._clock,
            deadline=deadline,
            retryable=retryable,
            on_retry=on_retry if self._on_event is not None else None,
        )

    async def _get(
        self, request: Request, parse: Callable[[Request, Response, datetime], T], limit: float | None = None
    ) -> T:
        return await self._call(request, lambda response: parse(request, response, self._clock.utcnow()), None, limit)

    # --- operations --------------------------------------------------------------------------------------

    async def get_status(self, batch_id: str) -> BatchStatus:
        """The status of batch ``batch_id``: its state, summary counts and, if it failed validation, the error."""
        status, _ = await self._fetch_status(self._endpoint.batch_status(batch_id), None)
        return status

    async def _fetch_status(self, request: Request, deadline: float | None) -> tuple[BatchStatus, float | None]:
        def parse(response: Response) -> tuple[BatchStatus, float | None]:
            now = self._clock.utcnow()
            return (
                parse_batch_status(request, response, now),
                parse_retry_after(response.headers, now),
            )

        return await self._call(request, parse, deadline)

    async def get_document_status(self, batch_id: str, document_id: str) -> DocumentStatus:
        """The status of one document of batch ``batch_id``."""
        return await self._get(self._endpoint.document_status(batch_id, document_id), parse_document_status)

    async def start_translation(
        self,
        inputs: TranslationInput | Sequence[TranslationInput] | Mapping[str, Any] | None = None,
        *,
        source_url: str | None = None,
        target_url: str | None = None,
        target_language: str | None = None,
        source_language: str | None = None,
        category: str | None = None,
    ) -> str:
        """Start a batch and return its id.

        Either pass ``inputs`` (one :class:`TranslationInput`, several, or a raw request body dict sent as
        given), or the simple form: ``source_url``, ``target_url`` and ``target_language`` (plus optionally
        ``source_language`` and ``category``) for one source container into one target.

        The POST is retried only where that cannot start a second batch: when the connection was never made,
        or the service refused it with 429/503 and a ``Retry-After``. Any other failure is raised, and the
        caller should check (``list_batches``) before starting again.
        """
        body = start_translation_body(
            _inputs_of(inputs, source_url, target_url, target_language, source_language, category)
        )
        return await self._get(self._endpoint.start_translation(body), parse_started_batch_id)

    async def cancel_translation(self, batch_id: str) -> BatchStatus:
        """Ask the service to cancel batch ``batch_id``; returns its status (usually Cancelling).

        Documents already translated stay translated (and charged); wait for ``Status.CANCELED`` to see the end.
        """
        return await self._get(self._endpoint.cancel_translation(batch_id), parse_batch_status)

    async def get_supported_formats(self, kind: Literal["document", "glossary"] = "document") -> list[FileFormat]:
        """The document (or glossary) formats the service can translate."""
        return await self._get(self._endpoint.supported_formats(kind), parse_formats)

    async def translate_document(
        self,
        document: DocumentSource,
        *,
        target_language: str,
        source_language: str | None = None,
        glossaries: Sequence[DocumentSource] = (),
        category: str | None = None,
        allow_fallback: bool | None = None,
        content_type: str | None = None,
        filename: str | None = None,
        timeout: float | None = None,
    ) -> bytes:
        """Translate one document synchronously and return the translated document's bytes (2024-05-01 on).

        ``document`` is bytes, a path, or a binary file open for reading; files are streamed, never read whole
        into memory. Its content type is ``content_type`` or guessed from ``filename`` (or the path's name).
        ``glossaries`` are glossary files (bytes, paths or open files; bytes need a path-like name to guess the
        format from, so pass paths or files there). Older API versions raise
        :class:`UnsupportedOperationError` before any request. Retried only where the document cannot have
        been translated twice (connection never made; 429/503 with ``Retry-After``).

        ``timeout`` (seconds) bounds the upload and the translation together, in place of the client's
        ``request_timeout``: a large document may need longer, and a timed-out translation is not retried.
        """
        parts = [document_part("document", document, content_type, filename)]
        parts.extend(document_part("glossary", glossary, None, None) for glossary in glossaries)
        request = self._endpoint.translate_document(
            parts,
            target_language=target_language,
            source_language=source_language,
            category=category,
            allow_fallback=allow_fallback,
        )
        return await self._get(request, parse_translated_document, timeout)

    async def get_storage_sources(self) -> list[str]:
        """The storage sources the service reads from (v1.x only; later versions raise
        :class:`UnsupportedOperationError` before any request)."""
        return await self._get(self._endpoint.storage_sources(), parse_storage_sources)

    # --- listings ----------------------------------------------------------------------------------------

    async def _pages(
        self,
        build: Callable[[], Request],
        *,
        given: bool,
        top: int | None,
        resume_from: str | None,
        timeout: float | None,
        parse: Callable[[Request, Response, datetime, Any], P],
    ) -> AsyncGenerator[P, None]:
        seen: set[str] = set()
        if resume_from is None:
            first = build()
        elif given:
            raise ValueError("resume_from carries the listing's parameters already; pass no others")
        else:
            first = first_request_for_resume(self._endpoint, resume_from, seen)
        version = self._endpoint.version
        deadline = None if timeout is None else self._clock.monotonic() + timeout

        async def fetch(request: Request) -> P:
            return await self._call(
                request, lambda response: parse(request, response, self._clock.utcnow(), version), deadline
            )

        pages = iter_pages(
            fetch,
            first,
            endpoint=self._endpoint,
            top=top,
            max_pages=self._max_pages,
            seen=seen,
            clock=self._clock,
            deadline=deadline,
        )
        async with contextlib.aclosing(pages):
            with self._redacting():
                async for page in pages:
                    yield page

    def iter_document_pages(
        self,
        batch_id: str,
        *,
        top: int | None = None,
        skip: int | None = None,
        page_size: int | None = None,
        ids: Sequence[str] | None = None,
        statuses: Sequence[Status | str] | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        order_by: Literal["asc", "desc"] | None = None,
        resume_from: str | None = None,
        timeout: float | None = None,
    ) -> AsyncGenerator[DocumentPage, None]:
        """Yield the pages of batch ``batch_id``'s document listing, as the service pages it.

        ``top`` caps the documents listed, ``skip`` skips the first ones (applied before ``top``), ``page_size``
        asks for pages of that many (1–100; v1.0 and later). The filters (v1.0 and later; an older version
        raises :class:`UnsupportedOperationError` before any request) keep documents with one of ``ids``, one of
        ``statuses``, created after/before the given aware datetimes, ordered by creation ``"asc"``/``"desc"``.

        Each page's ``next_link`` is checked (same origin as the endpoint, not seen before in this listing) and
        can be stored to continue later with ``resume_from=`` (the link already holds every other parameter).

        ``timeout`` (seconds) is a deadline for the whole listing, never overslept: past it,
        :class:`ListingTimeoutError` is raised, with the ``next_link`` to resume from.
        """
        filters = ListFilters(ids, statuses, created_after, created_before, order_by)
        return self._pages(
            lambda: self._endpoint.documents(batch_id, top=top, skip=skip, page_size=page_size, filters=filters),
            given=_listing_given(top, skip, page_size, filters),
            top=top,
            resume_from=resume_from,
            timeout=timeout,
            parse=parse_document_page,
        )

    def list_documents(
        self,
        batch_id: str,
        *,
        top: int | None = None,
        skip: int | None = None,
        page_size: int | None = None,
        ids: Sequence[str] | None = None,
        statuses: Sequence[Status | str] | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        order_by: Literal["asc", "desc"] | None = None,
        resume_from: str | None = None,
        timeout: float | None = None,
    ) -> AsyncGenerator[DocumentStatus, None]:
        """Yield the status of every document of batch ``batch_id``, each exactly once, across all pages.

        Arguments as for :meth:`iter_document_pages`. A page that fails is retried alone.
        """
        pages = self.iter_document_pages(
            batch_id,
            top=top,
            skip=skip,
            page_size=page_size,
            ids=ids,
            statuses=statuses,
            created_after=created_after,
            created_before=created_before,
            order_by=order_by,
            resume_from=resume_from,
            timeout=timeout,
        )
        return _items(pages)

    def iter_batch_pages(
        self,
        *,
        top: int | None = None,
        skip: int | None = None,
        page_size: int | None = None,
        ids: Sequence[str] | None = None,
        statuses: Sequence[Status | str] | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        order_by: Literal["asc", "desc"] | None = None,
        resume_from: str | None = None,
        timeout: float | None = None,
    ) -> AsyncGenerator[BatchPage, None]:
        """Yield the pages of the listing of all batches; arguments as for :meth:`iter_document_pages`."""
        filters = ListFilters(ids, statuses, created_after, created_before, order_by)
        return self._pages(
            lambda: self._endpoint.batches(top=top, skip=skip, page_size=page_size, filters=filters),
            given=_listing_given(top, skip, page_size, filters),
            top=top,
            resume_from=resume_from,
            timeout=timeout,
            parse=parse_batch_page,
        )

    def list_batches(
        self,
        *,
        top: int | None = None,
        skip: int | None = None,
        page_size: int | None = None,
        ids: Sequence[str] | None = None,
        statuses: Sequence[Status | str] | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        order_by: Literal["asc", "desc"] | None = None,
        resume_from: str | None = None,
        timeout: float | None = None,
    ) -> AsyncGenerator[BatchStatus, None]:
        """Yield the status of every batch of the resource, each once; arguments as for
        :meth:`iter_document_pages`."""
        pages = self.iter_batch_pages(
            top=top,
            skip=skip,
            page_size=page_size,
            ids=ids,
            statuses=statuses,
            created_after=created_after,
            created_before=created_before,
            order_by=order_by,
            resume_from=resume_from,
            timeout=timeout,
        )
        return _items(pages)

    # --- polling -----------------------------------------------------------------------------------------

    async def watch(self, batch_id: str, *, timeout: float | None = None) -> AsyncGenerator[BatchStatus, None]:
        """Yield each status of batch ``batch_id`` as it is polled; the terminal status is the last one.

        Polls as :meth:`wait_for_completion` does; raises :class:`PollingTimeoutError` after ``timeout`` seconds.
        """
        request = self._endpoint.batch_status(batch_id)  # built once: every poll sends the same request

        def fetch(deadline: float | None) -> Awaitable[tuple[BatchStatus, float | None]]:
            return self._fetch_status(request, deadline)

        def on_wait(status: BatchStatus, wait: float, reason: Literal["retry-after", "schedule", "age"]) -> None:
            if logger.isEnabledFor(logging.DEBUG):
                shown = self._redactor.value((status.id, status.status))
                logger.debug("batch %s is %s; next poll in %.3fs (%s)", *shown, wait, reason)
            self._emit(PollEvent(status.id, status.status, wait, reason))

        statuses = watch_statuses(fetch, policy=self._poll, clock=self._clock, timeout=timeout, on_wait=on_wait)
        async with contextlib.aclosing(statuses):
            with self._redacting():
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

    async def as_completed(
        self, batch_ids: Iterable[str], *, concurrency: int = 10, timeout: float | None = None
    ) -> AsyncGenerator[BatchOutcome, None]:
        """Wait on many batches, yielding each one's :class:`BatchOutcome` as soon as it ends.

        At most ``concurrency`` batches are polled at once; ``timeout`` applies to each batch. One batch's
        error (not found, timed out) is its outcome and never stops the others.
        """

        def wait(batch_id: str) -> Awaitable[BatchStatus]:
            return self.wait_for_completion(batch_id, timeout=timeout)

        outcomes = outcomes_as_completed(batch_ids, wait, concurrency=concurrency)
        async with contextlib.aclosing(outcomes):
            async for outcome in outcomes:
                yield outcome

    async def wait_all(
        self, batch_ids: Iterable[str], *, concurrency: int = 10, timeout: float | None = None
    ) -> list[BatchOutcome]:
        """Wait on every batch of ``batch_ids`` (as :meth:`as_completed`) and return the outcomes in their order."""
        ordered = list(batch_ids)
        done = {
            outcome.batch_id: outcome
            async for outcome in self.as_completed(dict.fromkeys(ordered), concurrency=concurrency, timeout=timeout)
        }
        return [done[batch_id] for batch_id in ordered]


ItemT = TypeVar("ItemT", covariant=True)


class _Page(Protocol[ItemT]):
    @property
    def items(self) -> Sequence[ItemT]: ...


def _listing_given(top: int | None, skip: int | None, page_size: int | None, filters: ListFilters) -> bool:
    return (top, skip, page_size) != (None, None, None) or filters != ListFilters()


async def _items(pages: AsyncGenerator[_Page[ItemT], None]) -> AsyncGenerator[ItemT, None]:
    """The items of every page, in order; closing it closes the listing."""
    async with contextlib.aclosing(pages):
        async for page in pages:
            for item in page.items:
                yield item


def _inputs_of(
    inputs: TranslationInput | Sequence[TranslationInput] | Mapping[str, Any] | None,
    source_url: str | None,
    target_url: str | None,
    target_language: str | None,
    source_language: str | None,
    category: str | None,
) -> Sequence[TranslationInput] | Mapping[str, Any]:
    simple = (source_url, target_url, target_language)
    if inputs is not None:
        if simple != (None, None, None) or source_language is not None or category is not None:
            raise ValueError("pass either inputs or source_url/target_url/target_language, not both")
        return [inputs] if isinstance(inputs, TranslationInput) else inputs
    if source_url is None or target_url is None or target_language is None:
        raise ValueError("pass inputs, or all of source_url, target_url and target_language")
    target = TranslationTarget(target_url, target_language, category=category)
    return [TranslationInput(source_url, (target,), source_language=source_language)]


def _never_sent(error: Exception) -> bool:
    return isinstance(error, TransportError) and not error.request_sent


async def _chunks(file: BinaryIO, start: int | None) -> AsyncIterator[bytes]:
    if start is not None:
        file.seek(start)
    while chunk := file.read(256 * 1024):
        yield chunk


def _form(parts: Sequence[Part], files: contextlib.ExitStack) -> aiohttp.FormData:
    """A multipart body; paths are opened here (and closed with ``files``) so each attempt reads them afresh.

    A caller's open file is streamed through a generator, never handed to aiohttp, which closes the files it
    is given once they are sent.
    """
    form = aiohttp.FormData()
    for part in parts:
        value: Any = part.source
        if isinstance(value, Path):
            value = files.enter_context(value.open("rb"))
        elif not isinstance(value, bytes):
            value = _chunks(value, part.start)
        form.add_field(part.name, value, filename=part.filename, content_type=part.content_type)
    return form
