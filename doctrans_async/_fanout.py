"""Waiting on many batches at once: bounded concurrency, results as they come, no failure lost.

One batch's error (not found, timed out, service down, an invalid id) is that batch's outcome; it never cancels
or hides the others. An exception that is not the library's (a bug, a callback raising) propagates and cancels the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable

from doctrans_async._errors import DocumentTranslationError
from doctrans_async._models import BatchOutcome, BatchStatus

__all__ = ["outcomes_as_completed", "outcomes_in_order"]


async def outcomes_as_completed(
    batch_ids: Iterable[str], wait: Callable[[str], Awaitable[BatchStatus]], *, concurrency: int
) -> AsyncGenerator[BatchOutcome, None]:
    """Yield each batch's outcome as its wait ends, with at most ``concurrency`` waits running at once.

    Closing the generator early cancels the waits still running.
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be >= 1, got {concurrency}")
    slots = asyncio.Semaphore(concurrency)

    async def one(batch_id: str) -> BatchOutcome:
        async with slots:
            try:
                return BatchOutcome(batch_id, await wait(batch_id), None)
            except (DocumentTranslationError, ValueError) as error:  # ValueError: an id that cannot be one
                return BatchOutcome(batch_id, None, error)

    # Each task reports itself done on a queue: waiting on a set of N tasks would cost O(N) per result.
    finished: asyncio.Queue[asyncio.Task[BatchOutcome]] = asyncio.Queue()
    tasks = [asyncio.create_task(one(batch_id)) for batch_id in batch_ids]
    for task in tasks:
        task.add_done_callback(finished.put_nowait)
    try:
        for _ in tasks:
            yield (await finished.get()).result()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def outcomes_in_order(
    batch_ids: Iterable[str], wait: Callable[[str], Awaitable[BatchStatus]], concurrency: int
) -> list[BatchOutcome]:
    """Every batch's outcome (as :func:`outcomes_as_completed`), in the order of ``batch_ids``; an id given
    twice is waited on once."""
    ordered = list(batch_ids)
    outcomes = outcomes_as_completed(dict.fromkeys(ordered), wait, concurrency=concurrency)
    async with contextlib.aclosing(outcomes):
        done = {outcome.batch_id: outcome async for outcome in outcomes}
    return [done[batch_id] for batch_id in ordered]
