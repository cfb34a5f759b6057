"""Polling a batch until it ends: the schedule (:class:`PollSchedule`, pure) and :func:`watch`, the loop.

The loop is azure-core's, made explicit: fetch; while not terminal: wait, fetch. What it adds is a deadline
that is never overslept and this schedule, which spares the service: the wait between polls is the larger of the
server's ``Retry-After`` and our own schedule, which backs off while nothing changes, snaps back when the batch
moves, and never polls more often than a fraction of the time already spent waiting (a one-hour wait costs about
200 polls, not 3,600).
"""

from __future__ import annotations

import contextlib
import inspect
import logging
from collections.abc import AsyncGenerator, Callable
from typing import Literal

import attrs

from doctrans_async._clock import Deadline, DeadlineReached, finite, positive
from doctrans_async._errors import PollingTimeoutError
from doctrans_async._events import PollEvent
from doctrans_async._models import BatchStatus, Status, StatusSummary
from doctrans_async._pipeline import Pipeline
from doctrans_async._sansio import Request, parse_batch_poll

__all__ = ["PollPolicy", "PollReason", "PollSchedule", "StatusCallback", "wait", "watch"]

logger = logging.getLogger("doctrans_async")

StatusCallback = Callable[[BatchStatus], object]
"""A plain or async callable that sees every status fetched."""

PollReason = Literal["retry-after", "schedule", "age"]
"""What set a wait between polls: the server's hint, the backoff schedule, or the age floor."""


@attrs.frozen
class PollPolicy:
    """How often :meth:`~doctrans_async.DocumentTranslationClient.wait_for_completion` polls.

    After a poll that shows movement (a new status or new summary counts) the next wait is
    ``initial_interval``; each poll that shows no change multiplies it by ``growth``, up to ``max_interval``.
    The wait is never below ``age_fraction`` times the time already spent waiting (capped at ``max_interval``),
    nor below the server's ``Retry-After``, which is itself capped at ``max_retry_after`` (a status response
    asking for a day's pause must not stall a wait that has no deadline).
    """

    initial_interval: float = attrs.field(default=1.0, validator=positive)
    max_interval: float = attrs.field(default=30.0, validator=positive)
    growth: float = attrs.field(default=1.5, validator=[finite, attrs.validators.ge(1.0)])
    age_fraction: float = attrs.field(default=0.05, validator=[finite, attrs.validators.ge(0.0)])
    max_retry_after: float = attrs.field(default=300.0, validator=positive)

    def __attrs_post_init__(self) -> None:
        if self.initial_interval > self.max_interval:
            raise ValueError(
                f"initial_interval ({self.initial_interval}) must not exceed max_interval ({self.max_interval})"
            )


class PollSchedule:
    """The waits between polls of one batch. Pure: fed statuses and times, it returns seconds."""

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
            retry_after = min(retry_after, policy.max_retry_after)
        wait = max(self._interval, age_floor, retry_after or 0.0)
        if retry_after is not None and retry_after >= max(self._interval, age_floor):
            self.reason = "retry-after"
        else:
            self.reason = "age" if age_floor > self._interval else "schedule"
        return wait


async def watch(
    pipeline: Pipeline, request: Request, deadline: Deadline, policy: PollPolicy
) -> AsyncGenerator[BatchStatus, None]:
    """Each status ``request`` polls, until a terminal one (yielded last). No wait passes ``deadline``: when the
    next poll would come after it, the loop waits out the time left and raises :class:`PollingTimeoutError`
    with the last status seen."""
    schedule = PollSchedule(policy, pipeline.clock.monotonic())
    last: BatchStatus | None = None
    with pipeline.redacting():
        while True:
            try:
                status, retry_after = await pipeline.call(request, deadline, parse_batch_poll)
            except DeadlineReached as reached:
                cut = f" while polling ({reached.error})" if reached.error is not None else ""
                raise PollingTimeoutError(
                    f"the deadline of {deadline.seconds:g}s passed{cut}", last_status=last
                ) from reached.error
            last = status
            yield status
            if status.is_terminal:
                return
            wait = schedule.next_wait(status, retry_after=retry_after, now=pipeline.clock.monotonic())
            if logger.isEnabledFor(logging.DEBUG):
                shown = pipeline.secrets.redactor.value((status.id, status.status))
                logger.debug("batch %s is %s; next poll in %.3fs (%s)", *shown, wait, schedule.reason)
            pipeline.emit(PollEvent(status.id, status.status, wait, schedule.reason))
            if not deadline.allows(wait):
                await pipeline.clock.sleep(deadline.remaining() or 0.0)
                raise PollingTimeoutError(
                    f"batch {status.id} was still {status.status} after {deadline.seconds:g}s", last_status=status
                )
            await pipeline.clock.sleep(wait)


async def wait(
    pipeline: Pipeline, request: Request, deadline: Deadline, policy: PollPolicy, on_status: StatusCallback | None
) -> BatchStatus:
    """The terminal status :func:`watch` ends with, each status shown to ``on_status`` (plain or async) first."""
    statuses = watch(pipeline, request, deadline, policy)
    final = None
    async with contextlib.aclosing(statuses):
        async for final in statuses:
            if on_status is not None and inspect.isawaitable(result := on_status(final)):
                await result
    assert final is not None, "a status stream ends only after yielding a terminal status"
    return final
