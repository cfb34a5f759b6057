"""The soak: many concurrent waits on one client against the emulator with seeded random faults.

CI runs a small size; ``nox -s soak`` runs 1,000 batches (``DOCTRANS_SOAK_BATCHES``) and prints the figures.
"""

from __future__ import annotations

import asyncio
import gc
import os
import random
import time
import tracemalloc
import urllib.parse
from pathlib import Path

import attrs
import pytest
import yarl

import doctrans_async as dt
from doctrans_async.emulator import Emulator

BATCHES = int(os.environ.get("DOCTRANS_SOAK_BATCHES", "40"))
FAULT_RATE = 0.05


@attrs.frozen
class Planned:
    batch_id: str
    documents: int
    expected: dt.Status


def open_sockets() -> int:
    """Sockets this process holds open (Linux), the client's and the in-process emulator's alike."""
    fds = Path("/proc/self/fd")
    count = 0
    for fd in fds.iterdir():
        try:
            count += os.readlink(fd).startswith("socket:")
        except OSError:
            continue
    return count


def library_memory(snapshot: tracemalloc.Snapshot) -> int:
    """Bytes still held that the client library allocated (the in-process emulator is the service, not us).

    What else stays is the interpreter's and aiohttp's bounded caches (task sets, URL caches), the same at any size.
    """
    # orjson interns the keys it decodes in a bounded cache of its own; the allocation is charged to our call.
    ours = [
        tracemalloc.Filter(True, "*/doctrans_async/*"),
        tracemalloc.Filter(False, "*/emulator/*"),
        tracemalloc.Filter(False, "*/doctrans_async/_json.py"),
    ]
    return sum(stat.size for stat in snapshot.filter_traces(ours).statistics("filename"))


def plan(emu: Emulator, rng: random.Random) -> list[Planned]:
    """Seed batches of every outcome: mostly Succeeded (some documents failing), some Failed, ValidationFailed
    and Canceled."""
    planned = []
    for _ in range(BATCHES):
        documents = rng.randint(1, 30)
        seconds = rng.uniform(0, 3600)
        kind = rng.random()
        if kind < 0.1:
            batch_id, expected = emu.add_batch(outcome="ValidationFailed"), dt.Status.VALIDATION_FAILED
            documents = 0
        elif kind < 0.2:
            batch_id = emu.add_batch(documents=documents, seconds=seconds, failures=documents)
            expected = dt.Status.FAILED
        elif kind < 0.25:
            batch_id = emu.add_batch(documents=documents, seconds=seconds + 60)
            emu.cancel_batch(batch_id)
            expected = dt.Status.CANCELED
        else:
            failures = rng.randint(0, documents - 1)
            batch_id = emu.add_batch(documents=documents, seconds=seconds, failures=failures)
            expected = dt.Status.SUCCEEDED
        planned.append(Planned(batch_id, documents, expected))
    return planned


async def listing(client: dt.DocumentTranslationClient, batch_id: str) -> list[dt.DocumentStatus]:
    """Every document of a batch."""
    return [d async for d in client.list_documents(batch_id)]


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts sockets through /proc")
async def test_soak(clock: dt.VirtualClock) -> None:
    """Every concurrent wait ends in its batch's terminal status, every document is listed once through random
    faults, and no socket or memory is left behind."""
    started = time.perf_counter()
    rng = random.Random(2026)
    async with Emulator(clock=clock, page_size=7, seed=5) as emu:
        batches = plan(emu, rng)
        emu.faults.random(rate=FAULT_RATE, seed=11)
        gc.collect()
        sockets_before = open_sockets()
        tracemalloc.start()
        # On a VirtualClock every concurrent sleeper moves the shared time, so a call's elapsed time includes
        # the others' waits: bound retries by attempts here, not by time.
        retry = dt.RetryPolicy(max_attempts=8, max_time=1e12)
        async with dt.DocumentTranslationClient(emu.endpoint, key=emu.key, clock=clock, retry=retry) as client:
            finals = await asyncio.gather(*(client.wait_for_completion(b.batch_id) for b in batches))
            listed = await asyncio.gather(*(listing(client, b.batch_id) for b in batches))
        assert [f.status for f in finals] == [b.expected for b in batches]
        for batch, final, documents in zip(batches, finals, listed, strict=True):
            assert final.id == batch.batch_id
            assert len(documents) == final.summary.total == batch.documents
            assert len({d.id for d in documents}) == len(documents)
        requests = len(emu.requests)
        faults = sum(1 for r in emu.requests if r.fault is not None)
        # What is left once the results and the emulator's log are dropped is what the client kept.
        del finals, listed
        emu.reset_log()
        # Bounded caches are not growth: urlsplit's own LRU cache.
        urllib.parse.urlsplit.cache_clear()  # type: ignore[attr-defined]
        # yarl (under aiohttp) keeps the last 128 URLs it parsed in lru caches of its own, bounded like urlsplit's;
        # a coalesced status listing's URL carries up to 25 ids, so those entries alone would read as retained.
        for module in (yarl._url, yarl._parse):
            for cached in vars(module).values():
                if callable(getattr(cached, "cache_clear", None)):
                    cached.cache_clear()
        gc.collect()
        retained, peak = library_memory(tracemalloc.take_snapshot()), tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        for _ in range(200):  # the emulator closes its side of each connection on the next loop turns
            if open_sockets() <= sockets_before:
                break
            await asyncio.sleep(0.005)
        leaked = open_sockets() - sockets_before

    assert faults > 0
    assert leaked <= 0
    assert retained < 50_000
    print(
        f"\nsoak: {BATCHES} batches, {requests} requests, {faults} faults injected, "
        f"{time.perf_counter() - started:.2f} s wall, peak traced memory {peak / 1e6:.1f} MB, "
        f"library memory retained after close {retained / 1e3:.1f} kB, leaked sockets {max(leaked, 0)}"
    )
