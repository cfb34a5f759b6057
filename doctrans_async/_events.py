"""Instrumentation: what a client reports about its requests, retries and polls, for metrics and traces.

Pass ``on_event=`` to the client; it is called with one of these frozen objects as each thing happens, and
with a :class:`CallEvent` as each public call starts and ends.
The same facts are logged at DEBUG on the ``doctrans_async`` logger. URLs carry no credentials (the key travels
in a header), so events are safe to export as they are.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Concatenate, Literal, ParamSpec, Protocol, TypeVar

import attrs

from doctrans_async._models import BatchStatus, Status

__all__ = ["CallEvent", "Event", "EventHook", "PollEvent", "RequestEvent", "RetryEvent", "checked_hook", "reported"]


@attrs.frozen
class RequestEvent:
    """A request was answered, or failed without an answer (``status`` None, ``error`` says why)."""

    method: str
    url: str
    status: int | None
    request_id: str | None
    elapsed: float
    """Seconds from sending to the whole body received (wall clock)."""
    error: str | None = None


@attrs.frozen
class RetryEvent:
    """A failed attempt will be retried after ``wait`` seconds, chosen by the server's ``Retry-After`` or by our
    own backoff."""

    method: str
    url: str
    attempt: int
    """The attempt that failed (1 for the first)."""
    wait: float
    reason: Literal["retry-after", "backoff"]
    error: Exception


@attrs.frozen
class PollEvent:
    """A batch was seen in a non-terminal status; the next poll comes after ``wait`` seconds.

    ``reason`` is what set the wait: the server's ``Retry-After``, the backoff ``schedule``, or the ``age`` floor
    (a fraction of the batch's age). One event is reported per batch per poll, however many calls wait on it.
    """

    batch_id: str
    status: Status
    wait: float
    reason: Literal["retry-after", "schedule", "age"]
    batches: tuple[str, ...] = ()
    """Every batch the request that fetched this status served: this batch alone (its own ``GET``), or each
    batch one coalesced ``list_batches(ids=...)`` request returned. Count a request once per distinct tuple
    (or divide by its length) to count requests per batch."""


@attrs.frozen
class CallEvent:
    """A public call began (``phase="start"``) or ended (``"end"``).

    The requests, retries and polls the call causes are reported between its two events and in its
    :mod:`contextvars` context (a copy of it, for the poll stream's requests), so a tracer can nest them under one
    span; concurrent calls each have their own task, and a call made by another (``wait_all``'s waits) comes
    between that one's events. A poll shared by several waits is reported once, in the first one's context.
    Async generators (the listings, ``watch``, ``as_completed``) report none: their requests stand alone.
    """

    name: str
    """The method called: ``"wait_for_completion"``, ``"get_status"``, …"""
    phase: Literal["start", "end"]
    batch_id: str | None = None
    """The batch the call is about, if it is about one (at the end, the batch ``start_translation`` started)."""
    status: Status | None = None
    """At the end: the batch's status as the call last saw it (for ``wait_for_completion``, the final one)."""
    error: BaseException | None = None
    """At the end: what the call raised, if it raised."""


Event = RequestEvent | RetryEvent | PollEvent | CallEvent
EventHook = Callable[[Event], object]
"""Called with every event, in the context (``contextvars``) of the call that caused it (a shared poll: of the
first wait it serves)."""


def checked_hook(on_event: EventHook | None) -> EventHook | None:
    """``on_event`` if it can be one; an ``async def`` hook is a :class:`TypeError` (it would be called and its
    coroutine dropped unawaited: every event lost, type checkers none the wiser)."""
    if on_event is not None and (
        inspect.iscoroutinefunction(on_event) or inspect.iscoroutinefunction(type(on_event).__call__)
    ):
        raise TypeError("on_event is called, not awaited: pass a plain function (it may schedule async work)")
    return on_event


class _Reporting(Protocol):
    _on_event: EventHook | None

    def _emit(self, event: Event) -> None: ...


S = TypeVar("S", bound=_Reporting)
P = ParamSpec("P")
T = TypeVar("T")


def reported(
    name: str,
) -> Callable[[Callable[Concatenate[S, P], Awaitable[T]]], Callable[Concatenate[S, P], Coroutine[Any, Any, T]]]:
    """Decorate a public coroutine method so that it reports its start and end as :class:`CallEvent`.

    The batch is the method's ``batch_id`` argument if its first parameter is that; the end's status is read
    from what the call returned (a :class:`BatchStatus`) or the timeout it raised (its ``last_status``).
    """

    def decorate(
        method: Callable[Concatenate[S, P], Awaitable[T]],
    ) -> Callable[Concatenate[S, P], Coroutine[Any, Any, T]]:
        parameters = list(inspect.signature(method).parameters)
        takes_batch_id = parameters[1:2] == ["batch_id"]

        @functools.wraps(method)
        async def call(self: S, /, *args: P.args, **kwargs: P.kwargs) -> T:
            if self._on_event is None:
                return await method(self, *args, **kwargs)
            hook = self._emit  # redacted, as every event is
            batch_id = (args[0] if args else kwargs.get("batch_id")) if takes_batch_id else None
            batch_id = batch_id if isinstance(batch_id, str) else None
            hook(CallEvent(name, "start", batch_id))
            try:
                result = await method(self, *args, **kwargs)
            except BaseException as error:
                last = getattr(error, "last_status", None)
                status = last.status if isinstance(last, BatchStatus) else None
                hook(CallEvent(name, "end", batch_id, status, error))
                raise
            if isinstance(result, BatchStatus):
                hook(CallEvent(name, "end", result.id, result.status))
            elif isinstance(result, str):  # start_translation's batch id: no other call returns a string
                hook(CallEvent(name, "end", result))
            else:
                hook(CallEvent(name, "end", batch_id))
            return result

        return call

    return decorate
