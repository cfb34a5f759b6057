"""One request, start to end: send it through the transport, parse the answer, retry while the policy and the
call's deadline allow; report each request and retry, and redact every credential from what it shows.

The only loop that sends. The listing loop (:mod:`~doctrans_async._paging`) and the poll loop
(:mod:`~doctrans_async._polling`) call :meth:`Pipeline.call`; nothing here calls back into them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Literal, TypeVar

from doctrans_async._clock import Clock, Deadline, DeadlineReached, slept
from doctrans_async._errors import (
    ClientClosedError,
    DocumentTranslationError,
    MalformedResponseError,
    OperationTimeoutError,
    ServiceError,
    TransportError,
)
from doctrans_async._events import Event, EventHook, RequestEvent, RetryEvent
from doctrans_async._redact import Secrets
from doctrans_async._retry import RetryPolicy, may_resend, retry_wait
from doctrans_async._sansio import Request, Response, request_id_of
from doctrans_async._transport import Transport

__all__ = ["Parse", "Pipeline"]

T = TypeVar("T")
Parse = Callable[[Request, Response, datetime], T]
"""A ``_sansio.parse_*`` function: the model of a response, or the typed error it stands for."""

logger = logging.getLogger("doctrans_async")


class Pipeline:
    """What every call of one client shares: its transport, retry policy, clock, event hook and secrets."""

    def __init__(
        self,
        transport: Transport,
        *,
        retry: RetryPolicy | None,
        clock: Clock,
        on_event: EventHook | None,
        secrets: Secrets,
    ) -> None:
        self.transport = transport
        self.clock = clock
        self.on_event = on_event
        self.secrets = secrets
        self.closed = False
        # One per retry's wait in progress: close() sets them, so that no call sleeps out a wait whose request
        # would not be sent (made in the sleeping call's loop: a client may serve one asyncio.run() after another).
        self._wakes: set[asyncio.Event] = set()
        self._retry = retry
        self._redacting = _Redacting(secrets)
        # What a call without timeout= runs under; a Deadline is immutable, so every such call shares this one.
        self._unbounded = Deadline(clock, None)

    def close(self) -> None:
        """No call sends from now on; calls waiting out a retry's wait end with :class:`ClientClosedError` now."""
        self.closed = True
        for wake in self._wakes:
            wake.set()

    async def _pause(self, wait: float) -> None:
        """Sleep ``wait`` seconds before a retry, unless the client is (or gets) closed."""
        wake = asyncio.Event()
        self._wakes.add(wake)
        try:
            if self.closed or not await slept(self.clock.sleep(wait), wake):
                raise ClientClosedError("the DocumentTranslationClient was closed before the request was retried")
        finally:
            self._wakes.discard(wake)

    def emit(self, event: Event) -> None:
        """Hand ``event`` to the hook, redacted (servers echo keys in ids, messages and links)."""
        if self.on_event is not None:
            self.on_event(self.secrets.redactor.value(event))

    def redacting(self) -> _Redacting:
        """Every library error leaving the block is redacted in place: no credential the client holds is in any
        of its texts. Wraps each way an error reaches the caller: each attempt (its error is logged and reported
        on retry), and the listing and poll loops (a refused next link, a timeout's last status)."""
        return self._redacting

    def _send(self, request: Request, deadline: Deadline) -> Awaitable[Response]:
        # Without a hook there is nothing to time or report: the transport's own coroutine, one frame fewer on
        # the stack every resumption of the request passes through.
        if self.on_event is None:
            return self.transport.send(request, deadline)
        return self._send_reported(request, deadline)

    async def _send_reported(self, request: Request, deadline: Deadline) -> Response:
        started = time.perf_counter()
        try:
            response = await self.transport.send(request, deadline)
        except (TransportError, DeadlineReached) as exc:
            failure = exc.error if isinstance(exc, DeadlineReached) else exc
            elapsed = time.perf_counter() - started
            self.emit(RequestEvent(request.method, request.url, None, None, elapsed, str(failure)))
            raise
        elapsed = time.perf_counter() - started
        self.emit(RequestEvent(request.method, request.url, response.status, request_id_of(response.headers), elapsed))
        return response

    async def call(self, request: Request, deadline: Deadline, parse: Parse[T]) -> T:
        """``parse`` of ``request``'s response, sent again while the retry policy (and the deadline) allow.

        Raises the last failure when the policy gives up, and :class:`DeadlineReached` (with that failure) when
        only the deadline stopped it; a deadline already passed sends nothing (``timeout=0``, or a listing's
        time spent between pages).
        """
        if self.closed:
            raise ClientClosedError("this DocumentTranslationClient is closed")
        if deadline.expired():
            raise DeadlineReached(None)
        started = self.clock.monotonic()
        waits = None
        attempt = 0
        while True:
            attempt += 1
            try:
                with self.redacting():
                    response = await self._send(request, deadline)
                    if logger.isEnabledFor(logging.DEBUG):
                        url = self.secrets.redactor.text(request.url)
                        logger.debug("%s %s -> %d (%d bytes)", request.method, url, response.status, len(response.body))
                    return parse(request, response, self.clock.utcnow())
            except (ServiceError, TransportError, MalformedResponseError) as error:
                if self._retry is None or not may_resend(request, error):
                    raise
                waits = waits if waits is not None else self._retry.backoff_waits()
                elapsed = self.clock.monotonic() - started
                wait = retry_wait(self._retry, error, attempt=attempt, elapsed=elapsed, backoff_wait=next(waits))
                if wait is None:
                    raise
                if not deadline.allows(wait):
                    raise DeadlineReached(error) from error
                logger.debug("retry %d after %.3fs: %s", attempt, wait, error)
                hinted = isinstance(error, ServiceError) and error.retry_after is not None
                reason: Literal["retry-after", "backoff"] = "retry-after" if hinted else "backoff"
                self.emit(RetryEvent(request.method, request.url, attempt, wait, reason, error))
            await self._pause(wait)

    def once(self, request: Request, parse: Parse[T], timeout: float | None) -> Awaitable[T]:
        """:meth:`call` under a deadline of ``timeout`` seconds, past which it raises
        :class:`OperationTimeoutError` (with what the deadline cut short as its cause)."""
        if timeout is None:  # no deadline, so no DeadlineReached to translate: call's own coroutine will do
            return self.call(request, self._unbounded, parse)
        return self._once_bounded(request, parse, timeout)

    async def _once_bounded(self, request: Request, parse: Parse[T], timeout: float) -> T:
        try:
            return await self.call(request, Deadline.after(self.clock, timeout), parse)
        except DeadlineReached as reached:
            raise OperationTimeoutError(f"{request} did not complete within {timeout:g}s") from reached.error


class _Redacting:
    """:meth:`Pipeline.redacting`'s scope: a plain class, entered once per attempt (a generator-based context
    manager costs several times as much to enter and leave), and reusable, since it keeps no state of its own."""

    __slots__ = ("_secrets",)

    def __init__(self, secrets: Secrets) -> None:
        self._secrets = secrets

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, error: BaseException | None, traceback: object) -> Literal[False]:
        if isinstance(error, DocumentTranslationError):
            self._secrets.redactor.error(error)
        return False
