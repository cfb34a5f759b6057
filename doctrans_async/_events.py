"""Instrumentation: what a client reports about its requests, retries and polls, for metrics and traces.

Pass ``on_event=`` to the client; it is called with one of these frozen objects as each thing happens
(stamina's instrumentation is the model). The same facts are logged at DEBUG on the ``doctrans_async`` logger.
URLs carry no credentials (the key travels in a header), so events are safe to export as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import attrs

from doctrans_async._models import Status

__all__ = ["Event", "EventHook", "PollEvent", "RequestEvent", "RetryEvent"]


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
    (a fraction of the time already waited).
    """

    batch_id: str
    status: Status
    wait: float
    reason: Literal["retry-after", "schedule", "age"]


Event = RequestEvent | RetryEvent | PollEvent
EventHook = Callable[[Event], object]
"""Called with every event, in the task that caused it; an exception it raises propagates to the caller."""
