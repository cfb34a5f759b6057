"""Polling a batch until it ends: the schedule (:class:`PollSchedule`, pure) and :func:`watch`, one wait on the
client's poll stream of the batch (:mod:`~doctrans_async._hub` sends the requests, one stream per batch).

Beside the plain loop (fetch; while not terminal: wait, fetch) there is a deadline that is never overslept, and
this schedule, which spares the service: the wait between polls is the larger of the server's
``Retry-After`` and our own schedule, which backs off while nothing changes, snaps back when the batch moves, and
never polls more often than a fraction of the batch's age (a one-hour batch costs about 150 polls, not 3,600,
however its waits are sliced).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import AsyncGenerator, Callable
from typing import TYPE_CHECKING, Literal

import attrs

from doctrans_async._clock import Deadline, finite, positive
from doctrans_async._errors import PollingTimeoutError
from doctrans_async._models import BatchStatus, Status, StatusSummary
from doctrans_async._sansio import Request

if TYPE_CHECKING:
    from doctrans_async._hub import PollHub

__all__ = ["PollPolicy", "PollReason", "PollSchedule", "StatusCallback", "wait", "watch"]

StatusCallback = Callable[[BatchStatus], object]
"""A plain or async callable that sees every status fetched."""

PollReason = Literal["retry-after", "schedule", "age"]
"""What set a wait between polls: the server's hint, the backoff schedule, or the age floor."""


@attrs.frozen
class PollPolicy:
    """How often :meth:`~doctrans_async.DocumentTranslationClient.wait_for_completion` polls.

    After a poll that shows movement (a new status or new summary counts) the next wait is
    ``initial_interval``; each poll that shows no change multiplies it by ``growth``, up to ``max_interval``.
    The wait is never below ``age_fraction`` times the batch's age (from its ``created_at``; capped at
    ``max_interval``), nor below the server's ``Retry-After``, which is itself capped at ``retry_after_cap`` (a
    status response asking for a day's pause must not stall a wait that has no deadline).
    """

    initial_interval: float = attrs.field(default=1.0, validator=positive)
    max_interval: float = attrs.field(default=30.0, validator=positive)
    growth: float = attrs.field(default=1.5, validator=[finite, attrs.validators.ge(1.0)])
    age_fraction: float = attrs.field(default=0.05, validator=[finite, attrs.validators.ge(0.0)])
    retry_after_cap: float = attrs.field(default=300.0, validator=positive)

    def __attrs_post_init__(self) -> None:
        if self.initial_interval > self.max_interval:
            raise ValueError(
                f"initial_interval ({self.initial_interval}) must not exceed max_interval ({self.max_interval})"
            )


class PollSchedule:
    """The waits between polls of one batch. Pure: fed statuses and times, it returns seconds.

    ``started_at`` is the :meth:`~doctrans_async._clock.Clock.monotonic` reading at which the batch was created
    (the poll stream reckons it from the first status's ``created_at``), so the age floor is the batch's age.
    """

    def __init__(self, policy: PollPolicy, started_at: float) -> None:
        self._policy = policy
        self._started_at = started_at
        self._interval = policy.initial_interval
        self._last: tuple[Status, StatusSummary] | None = None
        self.reason: PollReason = "schedule"
        """What set the last wait: the server's hint, the backoff schedule, or the age floor."""

    def next_wait(self, status: BatchStatus, *, retry_after: float | None, now: float) -> float:
        """Seconds to wait after seeing ``status`` at ``now`` (with the response's ``Retry-After``)."""
        policy = self._policy
        seen = (status.status, status.summary)
        if self._last is None or seen != self._last:
            self._interval = policy.initial_interval
        else:
            self._interval = min(self._interval * policy.growth, policy.max_interval)
        self._last = seen
        age_floor = min(policy.age_fraction * (now - self._started_at), policy.max_interval)
        if retry_after is not None:
            retry_after = min(retry_after, policy.retry_after_cap)
        wait = max(self._interval, age_floor, retry_after or 0.0)
        if retry_after is not None and retry_after >= max(self._interval, age_floor):
            self.reason = "retry-after"
        else:
            self.reason = "age" if age_floor > self._interval else "schedule"
        return wait


async def watch(hub: PollHub, batch_id: str, request: Request, deadline: Deadline) -> AsyncGenerator[BatchStatus, None]:
    """Each status of batch ``batch_id`` the client's poll stream fetches while this wait is on it (first the
    stream's latest, if it has one), until a terminal one (yielded last). The wait keeps its own deadline: past it,
    :class:`PollingTimeoutError` with the last status it saw. Leaving (closing, cancelling) never disturbs the
    other waiters of the batch; the last to leave stops the stream."""
    if deadline.expired():
        raise PollingTimeoutError(f"the deadline of {deadline.seconds or 0:g}s passed", last_status=None)
    stream, waiter = hub.join(batch_id, request, deadline)
    try:
        with hub.pipeline.redacting():
            while True:
                if waiter.inbox:
                    status = waiter.inbox.popleft()
                    yield status
                    if status.is_terminal:
                        return
                    continue
                if waiter.end is not None:
                    raise waiter.end
                waiter.ready.clear()
                try:
                    await _until_ready(waiter.ready, deadline)
                except TimeoutError:
                    if waiter.end is None:  # else the stream's own account of the deadline, with its cause
                        raise stream.timeout_error(waiter) from None
    finally:
        hub.leave(stream, waiter)


async def _until_ready(ready: asyncio.Event, deadline: Deadline) -> None:
    if deadline.at is None:
        await ready.wait()
        return
    async with deadline.scope():
        await ready.wait()


async def wait(
    hub: PollHub, batch_id: str, request: Request, deadline: Deadline, on_status: StatusCallback | None
) -> BatchStatus:
    """The terminal status :func:`watch` ends with, each status shown to ``on_status`` (plain or async) first."""
    statuses = watch(hub, batch_id, request, deadline)
    final = None
    async with contextlib.aclosing(statuses):
        async for final in statuses:
            if on_status is not None and inspect.isawaitable(result := on_status(final)):
                await result
    assert final is not None, "a status stream ends only after yielding a terminal status"
    return final
