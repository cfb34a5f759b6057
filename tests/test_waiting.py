"""Waiting on batches: wait_for_completion paced within the poll policy (over the emulator), and wait_all and
as_completed keeping every outcome (aioresponses)."""

from __future__ import annotations

import doctrans_async as dt
from doctrans_async.emulator import Emulator
from tests.support import BASE, MockedService, Q, batch_body


async def test_huge_retry_after_on_a_poll_is_capped(clock: dt.VirtualClock) -> None:
    """A status response asking for a day's pause waits at most the poll policy's retry_after_cap."""
    async with Emulator(clock=clock, retry_after=86400) as emu:
        batch_id = emu.add_batch(documents=2, seconds=600)
        async with dt.DocumentTranslationClient(emu.endpoint, key=emu.key, clock=clock) as client:
            final = await client.wait_for_completion(batch_id)
    assert final.status is dt.Status.SUCCEEDED
    assert max(clock.sleeps) == dt.PollPolicy().retry_after_cap


async def test_as_completed_and_wait_all(client: dt.DocumentTranslationClient, mocked: MockedService) -> None:
    """wait_all keeps input order and every outcome; as_completed yields each as it ends, errors included."""
    mocked.get(f"{BASE}/batches/done?{Q}", payload=batch_body("Succeeded", batch_id="done"), repeat=True)
    mocked.get(f"{BASE}/batches/gone?{Q}", status=404, payload={"error": {"code": "ResourceNotFound", "message": "x"}})
    mocked.get(f"{BASE}/batches/gone?{Q}", status=404, payload={"error": {"code": "ResourceNotFound", "message": "x"}})
    outcomes = await client.wait_all(["gone", "done"], concurrency=1)
    assert [o.batch_id for o in outcomes] == ["gone", "done"]
    assert isinstance(outcomes[0].error, dt.NotFoundError)
    assert outcomes[1].status is not None
    streamed = {o.batch_id: o async for o in client.as_completed(["done", "gone"], concurrency=2)}
    assert set(streamed) == {"done", "gone"}
