"""Wait for a batch with a deadline, printing its progress as it goes.

    python examples/wait_for_batch.py [BATCH_ID] [--timeout SECONDS]

With DOCTRANS_ENDPOINT and DOCTRANS_KEY set it waits on BATCH_ID of that resource; without them it starts an
emulator in this process and waits on a batch seeded there.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Sequence

from doctrans_async import BatchStatus, DocumentTranslationClient, PollingTimeoutError, Status

try:
    from examples._service import service
except ModuleNotFoundError:  # run as a script: the examples folder itself is on sys.path
    from _service import service  # type: ignore[import-not-found,no-redef]


def progress_line(status: BatchStatus) -> str:
    """One line of progress: status, documents finished of total, and how many failed."""
    s = status.summary
    return f"{status.status!s:<12} {s.finished:>4}/{s.total} documents finished, {s.failed} failed"


async def wait_for_batch(
    client: DocumentTranslationClient, batch_id: str, *, timeout: float, out: Callable[[str], object] = print
) -> BatchStatus | None:
    """Wait for ``batch_id`` to finish, at most ``timeout`` seconds, telling ``out`` about each status polled.

    Returns the final status (whatever the outcome: Failed is a result, not an exception), or None when the
    deadline passed first.
    """
    try:
        final = await client.wait_for_completion(
            batch_id, timeout=timeout, on_status=lambda status: out(progress_line(status))
        )
    except PollingTimeoutError as late:
        # The batch goes on running on the service; only our wait is over.
        out(f"gave up waiting: {late}")
        return None
    out(f"batch {batch_id} ended {final.status}")
    return final


async def main(argv: Sequence[str] | None = None) -> int:
    """Run the example; exit status 0 when the batch succeeded."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("batch_id", nargs="?", help="the batch to wait on (default: one seeded in the emulator)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait at most (default 60)")
    args = parser.parse_args(argv)
    async with service(lambda emulator: [emulator.add_batch(documents=20, seconds=5, failures=2)]) as (client, ids):
        batch_id = args.batch_id or next(iter(ids), None)
        if batch_id is None:
            parser.error("give a BATCH_ID of your resource")
        final = await wait_for_batch(client, batch_id, timeout=args.timeout)
    return 0 if final is not None and final.status is Status.SUCCEEDED else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
