"""An event-driven worker: batch ids arrive on an asyncio.Queue, and up to N batches are waited on at once.

    python examples/queue_worker.py [BATCH_ID ...] [--concurrency N]

Whatever feeds the queue (a message bus consumer, a webhook, another task) only puts ids; the worker takes a new
id only when it has room to wait on it, so a burst of ids queues up instead of opening hundreds of polls. Each
batch's outcome is reported the moment it ends, in whatever order that is; one batch's error (unknown id,
timeout, an impossible id such as ``..``) is that batch's outcome and never stops the others. Put ``None`` on
the queue to stop the worker once the batches it took have ended.

With DOCTRANS_ENDPOINT and DOCTRANS_KEY set it waits on the BATCH_IDs given; without them it starts an emulator in
this process and feeds the queue batches seeded there (one fails validation, one id does not exist).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Sequence

from doctrans_async import BatchOutcome, DocumentTranslationClient, DocumentTranslationError
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


async def outcome_of(client: DocumentTranslationClient, batch_id: str, timeout: float | None) -> BatchOutcome:
    """Wait on one batch; its error, if the library raised one, is its outcome.

    A ``ValueError`` is the library refusing the id itself (``..``, an id with a ``/``) before sending: that id's
    outcome too, as :meth:`~doctrans_async.DocumentTranslationClient.as_completed` has it.
    """
    try:
        return BatchOutcome(batch_id, await client.wait_for_completion(batch_id, timeout=timeout), None)
    except (DocumentTranslationError, ValueError) as error:
        return BatchOutcome(batch_id, None, error)


async def work(
    client: DocumentTranslationClient,
    queue: BatchQueue,
    *,
    concurrency: int = 4,
    timeout: float | None = None,
    report: Callable[[BatchOutcome], object] = lambda outcome: print(describe(outcome)),
) -> list[BatchOutcome]:
    """Wait on the batches whose ids arrive on ``queue``, at most ``concurrency`` at once, until ``None`` arrives.

    ``report`` sees each outcome as its batch ends; the outcomes are also returned, in that order, once every
    batch taken has ended. ``queue.task_done()`` is called as each id is dealt with, so producers may ``join()``.
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be >= 1, got {concurrency}")
    slots = asyncio.Semaphore(concurrency)
    outcomes: list[BatchOutcome] = []

    async def handle(batch_id: str) -> None:
        try:
            outcome = await outcome_of(client, batch_id, timeout)
        finally:
            slots.release()
            queue.task_done()
        outcomes.append(outcome)
        report(outcome)

    # A TaskGroup: a bug (an exception that is not a batch's outcome) cancels the other waits instead of hiding.
    async with asyncio.TaskGroup() as waits:
        while True:
            await slots.acquire()  # room first, then an id: ids wait in the queue, not in memory here
            batch_id = await queue.get()
            if batch_id is None:
                slots.release()
                queue.task_done()
                break
            waits.create_task(handle(batch_id))
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
