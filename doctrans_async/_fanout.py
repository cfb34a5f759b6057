"""Waiting on many batches at once: bounded concurrency, results as they come, no failure lost.

The ids come from an iterable or an async iterable (a queue, a broker's consumer): each wait starts when its id
arrives and there is room for it. One batch's error (not found, timed out, service down, an invalid id) is that
batch's outcome; it never cancels or hides the others. An exception that is not the library's (a bug, a callback
raising, the async iterable failing) propagates and cancels the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

from doctrans_async._clock import Clock, Deadline, check_seconds
from doctrans_async._errors import DocumentTranslationError
from doctrans_async._models import BatchOutcome, BatchStatus

__all__ = ["BatchIds", "fanned", "outcomes_as_completed", "outcomes_in_order"]

BatchIds = Iterable[str] | AsyncIterable[str]
"""The batches of a fan-out: known up front, or arriving one by one."""

Wait = Callable[[str], Awaitable[BatchStatus]]


async def _each(batch_ids: BatchIds) -> AsyncIterator[str]:
    if isinstance(batch_ids, AsyncIterable):
        async for batch_id in batch_ids:
            yield batch_id
    else:
        for batch_id in batch_ids:
            yield batch_id


async def _arrival(ids: AsyncIterator[str], deadline: Deadline) -> str | None:
    """The next id of an async source, or ``None`` once ``deadline`` has passed (with none, or before one came).

    The source's step is shielded from the deadline's scope, so that its own outcome (a TimeoutError of its own
    included) is told from the deadline's; however this ends without it, the step is cancelled and waited for, as
    an early end of the call cancels the source (ids its queue still holds stay there).
    """
    if deadline.at is None:
        return await anext(ids)
    if deadline.expired():
        return None
    pending = asyncio.ensure_future(anext(ids))
    try:
        async with deadline.scope():
            return await asyncio.shield(pending)
    except TimeoutError:
        if pending.done():  # the source's own outcome, not the deadline's
            return pending.result()
        return None
    finally:
        if not pending.done():
            pending.cancel()
            await asyncio.gather(pending, return_exceptions=True)


async def outcomes_as_completed(
    batch_ids: BatchIds, wait: Wait, *, concurrency: int, deadline: Deadline | None = None
) -> AsyncGenerator[BatchOutcome, None]:
    """Yield each batch's outcome as its wait ends, with at most ``concurrency`` waits running at once; the next
    id is taken only when there is room for its wait, so ids queue where they come from, not here.

    Past ``deadline``, no more ids are taken from an async iterable (a source that has none for now would
    otherwise hold the call open): it is cancelled, as when the call is left early, and the ids its queue still
    holds stay there. Every id of a plain iterable still gets its outcome (a timeout, by then).
    Closing the generator early cancels the waits still running (and stops taking ids).
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be >= 1, got {concurrency}")
    slots = asyncio.Semaphore(concurrency)
    # Each task reports itself done on a queue: waiting on a set of N tasks would cost O(N) per result.
    finished: asyncio.Queue[asyncio.Task[Any]] = asyncio.Queue()
    running: set[asyncio.Task[BatchOutcome]] = set()

    async def one(batch_id: str) -> BatchOutcome:
        try:
            return BatchOutcome(batch_id, await wait(batch_id), None)
        except (DocumentTranslationError, ValueError) as error:  # ValueError: an id that cannot be one
            return BatchOutcome(batch_id, None, error)
        finally:
            slots.release()

    async def feed() -> None:
        ids = _each(batch_ids)
        arrivals = deadline if isinstance(batch_ids, AsyncIterable) else None
        while True:
            await slots.acquire()  # room first, then an id
            try:
                batch_id = await (anext(ids) if arrivals is None else _arrival(ids, arrivals))
            except StopAsyncIteration:
                return
            if batch_id is None:
                return
            task = asyncio.create_task(one(batch_id))
            running.add(task)
            task.add_done_callback(finished.put_nowait)

    feeder = asyncio.create_task(feed())
    feeder.add_done_callback(finished.put_nowait)
    try:
        feeding = True
        while feeding or running:
            task = await finished.get()
            if task is feeder:
                feeding = False
                feeder.result()  # the ids' own failure is the caller's
                continue
            running.discard(task)
            yield task.result()
    finally:
        for left in (feeder, *running):
            left.cancel()
        await asyncio.gather(feeder, *running, return_exceptions=True)


def fanned(
    wait_for_completion: Callable[..., Awaitable[BatchStatus]],
    clock: Clock,
    timeout: float | None,
    batch_timeout: float | None,
) -> tuple[Wait, Deadline]:
    """The deadline of a fan-out (``timeout`` from now), and one wait of it: through the public call (so a
    wrapped or overridden ``wait_for_completion`` is what the fan-out runs), with the sooner of the deadline and
    the wait's own ``batch_timeout``."""
    deadline = Deadline.after(clock, timeout)
    check_seconds("batch_timeout", batch_timeout)

    def one(batch_id: str) -> Awaitable[BatchStatus]:
        left = deadline.remaining()
        timeout = batch_timeout if left is None else left if batch_timeout is None else min(left, batch_timeout)
        return wait_for_completion(batch_id, timeout=timeout)

    return one, deadline


async def outcomes_in_order(
    batch_ids: BatchIds, wait: Wait, concurrency: int, deadline: Deadline | None = None
) -> list[BatchOutcome]:
    """Every batch's outcome (as :func:`outcomes_as_completed`), in the order of ``batch_ids`` (of arrival, for an
    async iterable); an id given twice is waited on once."""
    ordered: dict[str, None] = {}

    def first_time(batch_id: str) -> bool:
        seen = batch_id in ordered
        ordered[batch_id] = None
        return not seen

    # Of batch_ids' own kind, so that outcomes_as_completed bounds the arrivals of an async source only.
    unique: BatchIds = (
        (batch_id async for batch_id in batch_ids if first_time(batch_id))
        if isinstance(batch_ids, AsyncIterable)
        else (batch_id for batch_id in batch_ids if first_time(batch_id))
    )
    outcomes = outcomes_as_completed(unique, wait, concurrency=concurrency, deadline=deadline)
    async with contextlib.aclosing(outcomes):
        done = {outcome.batch_id: outcome async for outcome in outcomes}
    return [done[batch_id] for batch_id in ordered]
