"""An event-driven worker: batch ids arrive on an asyncio.Queue, and up to N batches are waited on at once.

    python examples/queue_worker.py [BATCH_ID ...] [--concurrency N]

Whatever feeds the queue (a message bus consumer, a webhook, another task) only puts ids. The worker is the
client's ``as_completed`` fed by the queue: it takes a new id only when it has room to wait on it, so a burst of
ids queues up instead of opening hundreds of polls, and the batches it waits on are polled together. Each
batch's outcome is reported the moment it ends, in whatever order that is; one batch's error (unknown id,
timeout, an impossible id such as ``..``) is that batch's outcome and never stops the others. Put ``None`` on
the queue to stop the worker once the batches it took have ended.

With DOCTRANS_ENDPOINT and DOCTRANS_KEY set it waits on the BATCH_IDs given; without them it starts an emulator in
this process and feeds the queue batches seeded there (one fails validation, one id does not exist).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Callable, Sequence

from doctrans_async import BatchOutcome, DocumentTranslationClient
from doctrans_async.emulator import Emulator

try:
    from examples._service import service
except ModuleNotFoundError:  # run as a script: the examples folder itself is on sys.path
    from _service import service  # type: ignore[import-not-found,no-redef]

BatchQueue = asyncio.Queue[str | None]
"""Batch ids to wait on; ``None`` tells the worker to finish."""


def describe(outcome: BatchOutcome) -> str:
    """One line saying how waiting on a batch ended."""
    if outcome.status is None:
        return f"{outcome.batch_id}: {type(outcome.error).__name__}: {outcome.error}"
    s = outcome.status.summary
    return f"{outcome.batch_id}: {outcome.status.status} ({s.success} succeeded, {s.failed} failed of {s.total})"


async def drain(queue: BatchQueue) -> AsyncIterator[str]:
    """The ids put on ``queue``, as they arrive, until ``None`` (marked done at once: it asks for nothing)."""
    while (batch_id := await queue.get()) is not None:
        yield batch_id
    queue.task_done()


async def work(
    client: DocumentTranslationClient,
    queue: BatchQueue,
    *,
    concurrency: int = 4,
    timeout: float | None = None,
    report: Callable[[BatchOutcome], object] = lambda outcome: print(describe(outcome)),
) -> list[BatchOutcome]:
    """Wait on the batches whose ids arrive on ``queue``, at most ``concurrency`` at once, until ``None`` arrives.

    ``timeout`` bounds each batch's wait. ``report`` sees each outcome as its batch ends; the outcomes are also
    returned, in that order, once every batch taken has ended. ``queue.task_done()`` is called as each id is dealt
    with, so producers may ``join()``. An error that is not a batch's outcome (a bug) stops the worker.
    """
    outcomes: list[BatchOutcome] = []
    waits = client.as_completed(drain(queue), concurrency=concurrency, batch_timeout=timeout)
    async with contextlib.aclosing(waits):
        async for outcome in waits:
            queue.task_done()
            outcomes.append(outcome)
            report(outcome)
    return outcomes


def seed(emulator: Emulator) -> list[str]:
    """Batches of different lengths for the emulator, one failing validation, and an id that does not exist."""
    ids = [emulator.add_batch(documents=10, seconds=seconds, failures=seconds % 2) for seconds in (4, 1, 3, 2, 5, 1)]
    ids.append(emulator.add_batch(outcome="ValidationFailed"))
    ids.append("00000000-0000-0000-0000-000000000000")
    return ids


async def main(argv: Sequence[str] | None = None) -> int:
    """Feed the worker the ids and let it wait on them; exit status 0 once every batch has its outcome."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("batch_ids", nargs="*", metavar="BATCH_ID", help="batches to wait on")
    parser.add_argument("--concurrency", type=int, default=3, help="batches waited on at once (default 3)")
    args = parser.parse_args(argv)
    async with service(seed) as (client, seeded):
        queue: BatchQueue = asyncio.Queue()
        for batch_id in [*args.batch_ids, *seeded]:
            queue.put_nowait(batch_id)
        queue.put_nowait(None)
        await work(client, queue, concurrency=args.concurrency)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
