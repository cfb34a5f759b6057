"""Polling at scale: requests sent by the shared poll streams and coalesced listings, beside the per-call way.

    python benchmarks/scale.py            # 20 waiters, an hour in 60 s slices, 1,000 batches (v1.0, 2024-05-01)
    python benchmarks/scale.py --quick    # the same with 200 batches
    python benchmarks/scale.py --json /tmp/scale.json

Everything runs in this process against the emulator on a virtual clock, so the figures are request counts, not
timings, and the same on every machine. "Per call" is what each wait costs when it polls on its own: a loop over
``get_status`` with its own :class:`~doctrans_async._polling.PollSchedule`, started when the wait starts (as every
wait did before the poll streams were shared), each wait on its own client.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import doctrans_async as dt
from doctrans_async._polling import PollSchedule
from doctrans_async.emulator import Emulator

Row = tuple[str, str, float | str, float | str]
"""scenario, measure, per call, shared."""


def status_requests(emulator: Emulator) -> int:
    return sum(record.route in ("status", "batches") for record in emulator.requests)


def client_of(emulator: Emulator, clock: dt.VirtualClock, **options: Any) -> dt.DocumentTranslationClient:
    return dt.DocumentTranslationClient(emulator.endpoint, key=emulator.key, clock=clock, **options)


async def per_call_wait(client: dt.DocumentTranslationClient, clock: dt.Clock, batch_id: str, timeout: float) -> bool:
    """One wait polling on its own, its schedule's age the wait's: whether the batch ended within ``timeout``."""
    started = clock.monotonic()
    schedule = PollSchedule(dt.PollPolicy(), started)
    while True:
        status = await client.get_status(batch_id)
        if status.is_terminal:
            return True
        wait = schedule.next_wait(status, retry_after=None, now=clock.monotonic())
        if clock.monotonic() + wait >= started + timeout:
            await clock.sleep(started + timeout - clock.monotonic())
            return False
        await clock.sleep(wait)


async def counted(run: Callable[[Emulator, dt.VirtualClock], Any], **emulator: Any) -> int:
    clock = dt.VirtualClock()
    async with Emulator(clock=clock, seed=5, **emulator) as emu:
        await run(emu, clock)
        return status_requests(emu)


async def twenty_waiters() -> list[Row]:
    async def one(emu: Emulator, clock: dt.VirtualClock) -> None:
        async with client_of(emu, clock) as client:
            await client.wait_for_completion(emu.add_batch(documents=4, seconds=300))

    async def shared(emu: Emulator, clock: dt.VirtualClock) -> None:
        batch_id = emu.add_batch(documents=4, seconds=300)
        async with client_of(emu, clock) as client:
            await asyncio.gather(*(client.wait_for_completion(batch_id) for _ in range(20)))

    alone = await counted(one)
    # Each of 20 waits polling on its own costs one wait: counted as that, since on one virtual clock concurrent
    # sleepers move time together (twenty of them would make the batch end twenty times sooner).
    before, after = 20 * alone, await counted(shared)
    scenario = "20 concurrent waits on one 5-minute batch"
    return [
        (scenario, "requests", before, after),
        (scenario, "× one wait's", round(before / alone, 2), round(after / alone, 2)),
    ]


async def sliced_hour() -> list[Row]:
    async def whole(emu: Emulator, clock: dt.VirtualClock) -> None:
        async with client_of(emu, clock) as client:
            await client.wait_for_completion(emu.add_batch(documents=10, seconds=3600))

    async def per_call(emu: Emulator, clock: dt.VirtualClock) -> None:
        batch_id = emu.add_batch(documents=10, seconds=3600)
        async with client_of(emu, clock) as client:
            while not await per_call_wait(client, clock, batch_id, 60):
                pass

    async def shared(emu: Emulator, clock: dt.VirtualClock) -> None:
        batch_id = emu.add_batch(documents=10, seconds=3600)
        async with client_of(emu, clock) as client:
            while True:
                try:
                    await client.wait_for_completion(batch_id, timeout=60)
                    return
                except dt.PollingTimeoutError:
                    continue

    one = await counted(whole)
    before, after = await counted(per_call), await counted(shared)
    scenario = "a one-hour batch waited in 60 s slices"
    return [
        (scenario, "requests", before, after),
        (scenario, "× one whole wait's", round(before / one, 2), round(after / one, 2)),
    ]


async def many_batches(count: int, version: str) -> list[Row]:
    """``count`` batches of 1 to 5 minutes waited at once: requests per round, and how late each wait returns
    after its batch ended, against the interval the schedule had reached for that batch."""
    lateness: list[float] = []

    async def per_call(emu: Emulator, clock: dt.VirtualClock) -> None:
        ids = [emu.add_batch(documents=1, seconds=60 + n % 240) for n in range(count)]
        async with client_of(emu, clock, api_version=version) as client:
            await asyncio.gather(*(per_call_wait(client, clock, batch_id, math.inf) for batch_id in ids))

    async def shared(emu: Emulator, clock: dt.VirtualClock) -> None:
        waits: dict[str, float] = {}

        def on_event(event: dt.Event) -> None:
            if isinstance(event, dt.PollEvent):
                waits[event.batch_id] = event.wait

        def on_status(status: dt.BatchStatus) -> None:
            # When the wait is handed the terminal status, not when its task is next scheduled: a virtual clock
            # moves with every sleep of the poller in between, which real time would not.
            if status.is_terminal:
                lateness.append((clock.monotonic() - ends[status.id]) / waits[status.id])

        ends = {emu.add_batch(documents=1, seconds=60 + n % 240): 60.0 + n % 240 for n in range(count)}
        async with client_of(emu, clock, api_version=version, on_event=on_event) as client:
            await asyncio.gather(*(client.wait_for_completion(batch_id, on_status=on_status) for batch_id in ends))

    first: list[int] = []
    average: list[float] = []

    async def then_count(emu: Emulator, clock: dt.VirtualClock, wait: Callable[..., Any]) -> None:
        await wait(emu, clock)
        first.append(_first_round(emu, count))
        average.append(status_requests(emu) / max(_per_batch(emu).values()))

    await counted(lambda emu, clock: then_count(emu, clock, per_call))
    await counted(lambda emu, clock: then_count(emu, clock, shared))
    scenario = f"{count:,} batches waited at once ({version})"
    return [
        (scenario, "status requests in the first round", first[0], first[1]),
        # Per call, later rounds are one request per batch still running, by construction; on one virtual clock
        # a thousand sleepers end the batches sooner than real time would, so its average is not shown.
        (scenario, "status requests per round, on average", "one per running batch", round(average[1], 1)),
        (scenario, "latest return after the end, in intervals", "≤ 1", round(max(lateness), 2)),
    ]


def _first_round(emu: Emulator, count: int) -> int:
    """The status requests sent until every batch had been polled once."""
    polled: set[str] = set()
    for sent, ids in enumerate(_polled_ids(emu), start=1):
        polled.update(ids)
        if len(polled) >= count:
            return sent
    raise AssertionError("not every batch was polled")


def _polled_ids(emu: Emulator) -> list[list[str]]:
    """The batches each status request polled, in order (a listing polls every id it asked for)."""
    polled = []
    for record in emu.requests:
        if record.route == "status":
            polled.append([record.path.rsplit("/", 1)[1]])
        elif record.route == "batches":
            polled.append(record.query.get("ids", "").split(","))
    return polled


def _per_batch(emu: Emulator) -> dict[str, int]:
    """How many requests polled each batch."""
    counts: dict[str, int] = {}
    for ids in _polled_ids(emu):
        for batch_id in ids:
            counts[batch_id] = counts.get(batch_id, 0) + 1
    return counts


def table(rows: list[Row]) -> str:
    lines = ["| scenario | measure | per call | shared streams |", "| --- | --- | --- | --- |"]
    last = None
    for scenario, measure, before, after in rows:
        lines.append(f"| {scenario if scenario != last else ''} | {measure} | {before} | **{after}** |")
        last = scenario
    return "\n".join(lines)


async def measure(count: int) -> list[Row]:
    rows = [*await twenty_waiters(), *await sliced_hour()]
    for version in ("v1.0", "2024-05-01"):
        rows.extend(await many_batches(count, version))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="200 batches instead of 1,000")
    parser.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    args = parser.parse_args(argv)
    rows = asyncio.run(measure(200 if args.quick else 1000))
    print(table(rows))
    if args.json:
        keys = ("scenario", "measure", "per_call", "shared")
        Path(args.json).write_text(json.dumps([dict(zip(keys, row, strict=True)) for row in rows], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
