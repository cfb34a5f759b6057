"""The client: configuration and the public calls, each a few lines over the rest.

A request's path: a public call builds its :class:`Request` (:class:`~doctrans_async._sansio.Endpoint`) and its
one :class:`Deadline` (from ``timeout=``); :class:`~doctrans_async._pipeline.Pipeline` sends it through the
:class:`Transport`, retries while the policy allows and parses the response (``_sansio.parse_*``); listings
loop over a :class:`~doctrans_async._paging.Cursor` (:func:`~doctrans_async._paging.pages`); waits join their
batch's shared poll stream (:class:`~doctrans_async._hub.PollHub`, on a :class:`~doctrans_async._polling.PollSchedule`).
Calls go one way.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncGenerator, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol, Self, TypeVar, Unpack
from urllib.parse import parse_qs, urlsplit

from doctrans_async._auth import AsyncTokenCredential, KeyLike, make_auth
from doctrans_async._clock import Clock, Deadline, SystemClock, positive_seconds
from doctrans_async._errors import ClientClosedError
from doctrans_async._events import Event, EventHook, checked_hook, reported
from doctrans_async._fanout import BatchIds, fanned, outcomes_as_completed, outcomes_in_order
from doctrans_async._hub import PollHub
from doctrans_async._models import (
    BatchOutcome,
    BatchPage,
    BatchStatus,
    DocumentPage,
    DocumentStatus,
    FileFormat,
    Glossary,
    StorageType,
    TranslationInput,
    TranslationTarget,
)
from doctrans_async._paging import ListOptions, listing
from doctrans_async._pipeline import Pipeline
from doctrans_async._polling import PollPolicy, StatusCallback, wait, watch
from doctrans_async._redact import Secrets
from doctrans_async._retry import RetryPolicy
from doctrans_async._sansio import (
    Endpoint,
    Request,
    parse_batch_page,
    parse_batch_status,
    parse_document_page,
    parse_document_status,
    parse_formats,
    parse_started_batch_id,
    parse_storage_sources,
    parse_translated_document,
    start_translation_body,
)
from doctrans_async._transport import PLAIN_HEADERS, AiohttpTransport, Transport
from doctrans_async._upload import DocumentSource, document_part
from doctrans_async._versions import ApiVersion

if TYPE_CHECKING:
    import aiohttp

__all__ = ["DocumentTranslationClient", "ListOptions"]

ItemT = TypeVar("ItemT", covariant=True)
Seconds = float | None

_DEFAULT_RETRY = RetryPolicy()


class DocumentTranslationClient:
    """An asyncio client for one Document Translation endpoint.

    Use it as an async context manager (or call :meth:`close`)::

        async with DocumentTranslationClient(endpoint, key=key) as client:
            final = await client.wait_for_completion(batch_id, timeout=3600)

    Every call takes ``timeout=`` (seconds): one budget for the whole call, retries included, never overslept;
    past it the call raises an :class:`OperationTimeoutError` (a :class:`TimeoutError`).

    :param endpoint: the resource's origin, ``https://<name>.cognitiveservices.azure.com`` (any http(s) origin).
    :param key: the subscription key, sent as ``Ocp-Apim-Subscription-Key`` and only to ``endpoint``'s origin: a
        string, or a :class:`KeyCredential` (any object with a ``key`` attribute, such as azure-core's
        ``AzureKeyCredential``) whose ``update()`` takes effect from the next request.
    :param credential: instead of ``key``, an object with an async ``get_token(*scopes)`` (an
        ``azure.identity.aio`` credential, say); its bearer token is refreshed before it expires.
    :param region: sent as ``Ocp-Apim-Subscription-Region`` when given (regional or multi-service keys).
    :param api_version: an :class:`ApiVersion` or its string value; default the newest GA version.
    :param session: an ``aiohttp.ClientSession`` to borrow; the client never closes it. Without one the client
        creates its own on first use (one that keeps no cookies) and closes it in :meth:`close`.
    :param transport: instead of the aiohttp transport, any :class:`~doctrans_async._transport.Transport`
        (a fake in tests); ``key``/``credential`` and ``session`` are then the transport's business.
    :param retry: how failed requests are retried; ``None`` turns retries off.
    :param poll: how often :meth:`wait_for_completion` and :meth:`watch` poll.
    :param request_timeout: seconds one request may take in all (connect, send, receive).
    :param max_pages: a listing that goes on past this many pages is stopped with a ``ContinuationLinkError``.
    :param clock: where time and sleeps come from; tests pass a :class:`~doctrans_async.VirtualClock`.
    :param on_event: a plain function (not ``async def``), called with a :class:`RequestEvent`, :class:`RetryEvent`,
        :class:`PollEvent` or :class:`CallEvent` as each request, retry, poll and public call happens (for
        metrics); the same facts are logged at DEBUG.
    """

    def __init__(
        self,
        endpoint: str,
        *,
        key: str | KeyLike | None = None,
        credential: AsyncTokenCredential | None = None,
        region: str | None = None,
        api_version: ApiVersion | str = ApiVersion.V2026_03_01,
        session: aiohttp.ClientSession | None = None,
        transport: Transport | None = None,
        retry: RetryPolicy | None = _DEFAULT_RETRY,
        poll: PollPolicy | None = None,
        request_timeout: float = 30.0,
        max_pages: int = 100_000,
        clock: Clock | None = None,
        on_event: EventHook | None = None,
    ) -> None:
        self._endpoint = Endpoint(endpoint, _version(api_version))
        self._poll = poll if poll is not None else PollPolicy()
        self._max_pages = max_pages
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._region = region
        self._on_event = on_event = checked_hook(on_event)
        secrets = Secrets()
        positive_seconds("request_timeout", request_timeout)
        if transport is None:
            auth = make_auth(
                key, credential, region=region, base=PLAIN_HEADERS, clock=self._clock, token_timeout=request_timeout
            )
            transport = AiohttpTransport(
                auth, self._endpoint.url, session=session, request_timeout=request_timeout, secrets=secrets
            )
        self._pipeline = Pipeline(transport, retry=retry, clock=self._clock, on_event=on_event, secrets=secrets)
        self._once = self._pipeline.once
        self._hub = PollHub(self._pipeline, self._endpoint, self._poll, max_pages)

    def __repr__(self) -> str:
        state = "closed" if self._pipeline.closed else "open"
        return (
            f"DocumentTranslationClient(endpoint={self._endpoint.url!r}, "
            f"api_version={self._endpoint.version.value!r}, region={self._region!r}, state={state!r})"
        )

    @property
    def endpoint(self) -> str:
        """The endpoint this client talks to."""
        return self._endpoint.url

    @property
    def api_version(self) -> ApiVersion:
        """The API version this client speaks."""
        return self._endpoint.version

    def _emit(self, event: Event) -> None:
        self._pipeline.emit(event)

    async def __aenter__(self) -> Self:
        if self._pipeline.closed:
            raise ClientClosedError("this DocumentTranslationClient is closed")
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the client and its own session (a borrowed one stays open); waits still running, and calls
        waiting to retry a request, end at once with :class:`ClientClosedError`."""
        self._pipeline.close()
        self._hub.close()
        await self._pipeline.transport.close()

    @reported("get_status")
    async def get_status(self, batch_id: str, *, timeout: float | None = None) -> BatchStatus:
        """The status of batch ``batch_id``: its state, summary counts and, if it failed validation, the error."""
        return await self._once(self._endpoint.batch_status(batch_id), parse_batch_status, timeout)

    @reported("get_document_status")
    async def get_document_status(self, batch_id: str, document_id: str, *, timeout: Seconds = None) -> DocumentStatus:
        """The status of one document of batch ``batch_id``."""
        return await self._once(self._endpoint.document_status(batch_id, document_id), parse_document_status, timeout)

    @reported("start_translation")
    async def start_translation(
        self,
        inputs: TranslationInput | Sequence[TranslationInput] | Mapping[str, Any] | None = None,
        *,
        source_url: str | None = None,
        target_url: str | None = None,
        target_language: str | None = None,
        source_language: str | None = None,
        category: str | None = None,
        timeout: float | None = None,
        prefix: str | None = None,
        suffix: str | None = None,
        storage_type: StorageType | str | None = None,
        glossaries: Sequence[Glossary] = (),
        deployment_name: str | None = None,
        translate_text_within_image: bool | None = None,
    ) -> str:
        """Start a batch and return its id.

        Pass ``inputs`` (one :class:`TranslationInput`, several, or a raw request body dict sent as given), or
        the simple form: ``source_url``, ``target_url``, ``target_language`` and optionally ``source_language``,
        ``category``, the ``prefix``/``suffix`` name filters, ``storage_type``, ``glossaries`` and a custom
        model's ``deployment_name``. ``translate_text_within_image`` applies to the whole batch. Options the
        API version lacks (2026-03-01 on: ``deployment_name``, ``translate_text_within_image``) raise
        :class:`UnsupportedOperationError` before any request. The POST is retried only where that cannot
        start a second batch (connection never made; 429/503 with a ``Retry-After``); after any other failure,
        check ``list_batches`` before starting again.
        """
        target = TranslationTarget(
            target_url or "", target_language or "", category, glossaries, deployment_name=deployment_name
        )
        simple = TranslationInput(source_url or "", (target,), source_language, storage_type, prefix, suffix)
        body = start_translation_body(
            _inputs_of(inputs, source_url, target_url, target_language, simple),
            self._endpoint.version,
            translate_text_within_image=translate_text_within_image,
        )
        return await self._once(self._endpoint.start_translation(body), parse_started_batch_id, timeout)

    @reported("cancel_translation")
    async def cancel_translation(self, batch_id: str, *, timeout: float | None = None) -> BatchStatus:
        """Ask the service to cancel batch ``batch_id``; returns its status (usually Cancelling).

        Documents already translated stay translated (and charged); wait for ``Status.CANCELED`` to see the end.
        """
        return await self._once(self._endpoint.cancel_translation(batch_id), parse_batch_status, timeout)

    @reported("get_supported_formats")
    async def get_supported_formats(
        self, kind: Literal["document", "glossary"] = "document", *, timeout: float | None = None
    ) -> list[FileFormat]:
        """The document (or glossary) formats the service can translate."""
        return await self._once(self._endpoint.supported_formats(kind), parse_formats, timeout)

    @reported("get_storage_sources")
    async def get_storage_sources(self, *, timeout: float | None = None) -> list[str]:
        """The storage sources the service reads from (v1.x only; later versions raise
        :class:`UnsupportedOperationError` before any request)."""
        return await self._once(self._endpoint.storage_sources(), parse_storage_sources, timeout)

    @reported("translate_document")
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
        request_timeout: float | None = None,
        timeout: float | None = None,
        deployment_name: str | None = None,
        translate_text_within_image: bool | None = None,
    ) -> bytes:
        """Translate one document synchronously and return the translated document's bytes (2024-05-01 on).

        ``document`` and ``glossaries`` are bytes, paths or binary files open for reading, streamed, never read
        whole. The content type is ``content_type`` or guessed from ``filename`` (or the path's name; so pass
        glossaries as paths or files). Retried only where the document cannot have been translated twice
        (connection never made; 429/503 with ``Retry-After``). ``request_timeout`` (seconds) bounds each
        attempt, in place of the client's (a large document may need longer); ``timeout`` the whole call.
        ``deployment_name`` (a custom model) and ``translate_text_within_image`` need API 2026-03-01; what the
        API version lacks raises :class:`UnsupportedOperationError` before any request.
        """
        parts = [document_part("document", document, content_type, filename)]
        parts.extend(document_part("glossary", glossary, None, None) for glossary in glossaries)
        request = self._endpoint.translate_document(
            parts,
            target_language=target_language,
            source_language=source_language,
            category=category,
            allow_fallback=allow_fallback,
            deployment_name=deployment_name,
            translate_text_within_image=translate_text_within_image,
        )
        if request_timeout is not None:
            limit = positive_seconds("request_timeout", request_timeout)
            request = Request(request.method, request.url, parts=request.parts, timeout=limit)
        return await self._once(request, parse_translated_document, timeout)

    def iter_document_pages(self, batch_id: str, **options: Unpack[ListOptions]) -> AsyncGenerator[DocumentPage, None]:
        """Yield the pages of batch ``batch_id``'s document listing, as the service pages it.

        ``top`` caps the documents listed, ``skip`` skips the first ones (before ``top``), ``page_size`` asks for
        pages of that many (1–100; default 100). The filters (v1.0 and later; an older version raises
        :class:`UnsupportedOperationError` before any request) keep documents with one of ``ids``, one of
        ``statuses``, created after/before the given aware datetimes, ordered by creation ``"asc"``/``"desc"``.

        Each page's ``next_link`` is checked (same origin as the endpoint, not seen before in this listing) and
        can be stored to continue later with ``resume_from=`` (the link already holds every other parameter).
        ``timeout`` (seconds) is a deadline for the whole listing, never overslept: past it,
        :class:`ListingTimeoutError` is raised, with the ``next_link`` to resume from.
        """
        first_of = functools.partial(self._endpoint.documents, batch_id)
        return listing(self._pipeline, self._endpoint, first_of, parse_document_page, options, self._max_pages)

    def list_documents(self, batch_id: str, **options: Unpack[ListOptions]) -> AsyncGenerator[DocumentStatus, None]:
        """Yield the status of every document of batch ``batch_id``, each once, across all pages.

        Arguments as for :meth:`iter_document_pages`. A page that fails is retried alone. A document coming into
        a ``statuses=`` filter mid-listing shifts the service's pages (by offset): it may be missed, never repeated."""
        return _items(self.iter_document_pages(batch_id, **options), unique=_by_status(options))

    def iter_batch_pages(self, **options: Unpack[ListOptions]) -> AsyncGenerator[BatchPage, None]:
        """Yield the pages of the listing of all batches; arguments as for :meth:`iter_document_pages`."""
        return listing(
            self._pipeline, self._endpoint, self._endpoint.batches, parse_batch_page, options, self._max_pages
        )

    def list_batches(self, **options: Unpack[ListOptions]) -> AsyncGenerator[BatchStatus, None]:
        """Yield the status of every batch of the resource, each once (one started mid-listing shifts the service's
        pages, by offset: repeats are dropped); arguments as for :meth:`iter_document_pages`."""
        return _items(self.iter_batch_pages(**options), unique=True)

    def watch(self, batch_id: str, *, timeout: float | None = None) -> AsyncGenerator[BatchStatus, None]:
        """Yield each status of batch ``batch_id`` as it is polled, the terminal one last. Polls as
        :meth:`wait_for_completion` does (on its shared stream); :class:`PollingTimeoutError` after ``timeout`` s."""
        deadline = Deadline.after(self._clock, timeout)
        return watch(self._hub, batch_id, self._endpoint.batch_status(batch_id), deadline)

    async def wait_for_completion(
        self, batch_id: str, *, timeout: float | None = None, on_status: StatusCallback | None = None
    ) -> BatchStatus:
        """Wait until batch ``batch_id`` reaches a terminal status and return that status.

        A batch that ends Failed, Canceled or ValidationFailed is a result, not an exception: check
        ``.status``. Between polls the client waits at least the server's ``Retry-After`` and otherwise follows
        its :class:`PollPolicy`. ``timeout`` (seconds) is an overall deadline, never overslept: past it,
        :class:`PollingTimeoutError` is raised with the last status seen. ``on_status`` (a plain or async
        callable) sees every status fetched, the terminal one included. Concurrent waits on one batch share one
        poll stream on this client.
        """
        return await self._wait(batch_id, Deadline.after(self._clock, timeout), on_status)

    @reported("wait_for_completion")  # here, so each wait of wait_all/as_completed is reported as its own call
    async def _wait(self, batch_id: str, deadline: Deadline, on_status: StatusCallback | None = None) -> BatchStatus:
        return await wait(self._hub, batch_id, self._endpoint.batch_status(batch_id), deadline, on_status)

    def as_completed(
        self, batch_ids: BatchIds, *, concurrency: int = 10, timeout: Seconds = None, batch_timeout: Seconds = None
    ) -> AsyncGenerator[BatchOutcome, None]:
        """Wait on many batches, yielding each one's :class:`BatchOutcome` as soon as it ends.

        ``batch_ids`` may be an async iterable (a queue drained by an async generator, a broker's consumer): each
        wait starts when its id arrives, the next id is taken only when fewer than ``concurrency`` run, and the
        call ends when the ids end and every wait is done. ``timeout`` bounds the whole call (past it, an async
        source is not waited on; each id of a plain iterable still gets its outcome), ``batch_timeout`` each wait
        from its start. One batch's error (not found, timed out, an impossible id) is its outcome and never stops
        the others. Each wait is a :meth:`wait_for_completion`, so polls are shared and batched; an id given
        twice has two outcomes (:meth:`wait_all` one)."""
        waits, deadline = fanned(self.wait_for_completion, self._clock, timeout, batch_timeout)
        return outcomes_as_completed(batch_ids, waits, concurrency=concurrency, deadline=deadline)

    @reported("wait_all")
    async def wait_all(
        self, batch_ids: BatchIds, *, concurrency: int = 10, timeout: Seconds = None, batch_timeout: Seconds = None
    ) -> list[BatchOutcome]:
        """Wait on every batch of ``batch_ids`` (as :meth:`as_completed`); the outcomes in their order (of arrival,
        for an async iterable), an id given twice waited on once."""
        waits, deadline = fanned(self.wait_for_completion, self._clock, timeout, batch_timeout)
        return await outcomes_in_order(batch_ids, waits, concurrency, deadline)


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


IdentifiedT = TypeVar("IdentifiedT", bound=_Identified)


class _Page(Protocol[ItemT]):
    @property
    def items(self) -> Sequence[ItemT]: ...


async def _items(pages: AsyncGenerator[_Page[IdentifiedT], None], *, unique: bool) -> AsyncGenerator[IdentifiedT, None]:
    """The items of every page, in order, those already yielded left out if ``unique``; closing it closes the
    listing.

    The service pages by offset, so an item entering the listed set before the offset reached (a batch started,
    a document coming into a status filter) pushes one already seen onto the next page. Dropping repeats costs
    a set of ids, so it is done only where the listed set can change: batches, and documents filtered by status.
    """
    seen: set[str] = set()
    async with contextlib.aclosing(pages):
        async for page in pages:
            for item in _unseen(page.items, seen) if unique else page.items:
                yield item


def _unseen(items: Sequence[IdentifiedT], seen: set[str]) -> Iterator[IdentifiedT]:
    for item in items:
        if item.id not in seen:
            seen.add(item.id)
            yield item


def _by_status(options: ListOptions) -> bool:
    link = options.get("resume_from")
    return options.get("statuses") is not None or (link is not None and "statuses" in parse_qs(urlsplit(link).query))


def _version(api_version: ApiVersion | str) -> ApiVersion:
    try:
        return ApiVersion(api_version)
    except ValueError:
        known = ", ".join(v.value for v in ApiVersion)
        raise ValueError(f"unknown api_version {api_version!r}; known: {known}") from None


def _inputs_of(
    inputs: TranslationInput | Sequence[TranslationInput] | Mapping[str, Any] | None,
    source_url: str | None,
    target_url: str | None,
    target_language: str | None,
    simple: TranslationInput,
) -> Sequence[TranslationInput] | Mapping[str, Any]:
    """``inputs``, or the one input of the simple form (``simple``, with every simple-form option in it)."""
    if inputs is not None:
        if (source_url, target_url, target_language) != (None, None, None) or simple != _NO_SIMPLE_FORM:
            raise ValueError("pass either inputs or source_url/target_url/target_language and options, not both")
        return [inputs] if isinstance(inputs, TranslationInput) else inputs
    if source_url is None or target_url is None or target_language is None:
        raise ValueError("pass inputs, or all of source_url, target_url and target_language")
    return [simple]


_NO_SIMPLE_FORM = TranslationInput("", (TranslationTarget("", ""),))
