"""Instrumentation: on_event hears every request, retry and poll with the details a user would graph."""

from __future__ import annotations

import logging

import pytest

import doctrans_async as dt
from doctrans_async.emulator import Emulator, Fault


async def test_request_retry_and_poll_events(emulator: Emulator, clock: dt.VirtualClock) -> None:
    """A wait through a 503 reports the failed request, the retry and its reason, and each poll's wait and why."""
    events: list[dt.Event] = []
    batch_id = emulator.add_batch(documents=3, seconds=30)
    emulator.faults.script("status", [Fault.http(503, retry_after=2)])
    async with dt.DocumentTranslationClient(
        emulator.endpoint, key=emulator.key, clock=clock, on_event=events.append
    ) as client:
        final = await client.wait_for_completion(batch_id)
    requests = [e for e in events if isinstance(e, dt.RequestEvent)]
    retries = [e for e in events if isinstance(e, dt.RetryEvent)]
    polls = [e for e in events if isinstance(e, dt.PollEvent)]
    assert requests[0].status == 503
    assert requests[0].request_id
    assert requests[0].elapsed >= 0
    assert requests[-1].status == 200
    assert [(r.attempt, r.wait, r.reason) for r in retries] == [(1, 2.0, "retry-after")]
    assert isinstance(retries[0].error, dt.ServerError)
    assert len(polls) == len(requests) - 2  # every poll but the failed attempt and the terminal one waits
    assert all(p.batch_id == batch_id and not p.status.is_terminal for p in polls)
    assert {p.reason for p in polls} <= {"schedule", "age", "retry-after"}
    assert final.is_terminal


async def test_backoff_reason_and_transport_failures(emulator: Emulator, clock: dt.VirtualClock) -> None:
    """A 500 without Retry-After is retried for 'backoff'; a dropped connection is a request event with no status."""
    events: list[dt.Event] = []
    batch_id = emulator.add_batch(documents=1, seconds=0)
    emulator.faults.script("status", [Fault.http(500), Fault.drop(), Fault.drop()])
    async with dt.DocumentTranslationClient(
        emulator.endpoint, key=emulator.key, clock=clock, on_event=events.append
    ) as client:
        await client.get_status(batch_id)
    reasons = [e.reason for e in events if isinstance(e, dt.RetryEvent)]
    assert reasons[0] == "backoff"
    failed = [e for e in events if isinstance(e, dt.RequestEvent) and e.status is None]
    assert failed
    assert failed[0].error


async def test_poll_reason_follows_the_server_hint(clock: dt.VirtualClock) -> None:
    """When the server's Retry-After is longer than the schedule, the poll event says the wait is the server's."""
    events: list[dt.Event] = []
    async with Emulator(clock=clock, retry_after=7) as emu:
        batch_id = emu.add_batch(documents=2, seconds=20)
        async with dt.DocumentTranslationClient(emu.endpoint, key=emu.key, clock=clock, on_event=events.append) as c:
            await c.wait_for_completion(batch_id)
    polls = [e for e in events if isinstance(e, dt.PollEvent)]
    assert polls
    assert all(p.reason == "retry-after" and p.wait == 7 for p in polls)


async def test_hook_errors_propagate(emulator: Emulator, clock: dt.VirtualClock) -> None:
    """An exception raised by the hook is not swallowed: it reaches the caller."""

    def broken(event: dt.Event) -> None:
        raise RuntimeError("metrics backend down")

    batch_id = emulator.add_batch(documents=1, seconds=0)
    async with dt.DocumentTranslationClient(emulator.endpoint, key=emulator.key, clock=clock, on_event=broken) as c:
        with pytest.raises(RuntimeError, match="metrics backend down"):
            await c.get_status(batch_id)


class _AsyncCallable:
    async def __call__(self, event: dt.Event) -> None:
        pass


async def _async_hook(event: dt.Event) -> None:
    pass


@pytest.mark.parametrize("hook", [_async_hook, _AsyncCallable()], ids=["function", "callable-object"])
def test_an_async_hook_is_refused(hook: dt.EventHook) -> None:
    """An ``async def`` hook would be called and its coroutine dropped unawaited (every event lost, a
    RuntimeWarning at best): the client refuses it when it is made."""
    with pytest.raises(TypeError, match="not awaited"):
        dt.DocumentTranslationClient("https://x.example", key="k", on_event=hook)


async def test_events_and_debug_logs_carry_no_key(
    emulator: Emulator, clock: dt.VirtualClock, caplog: pytest.LogCaptureFixture
) -> None:
    """Nothing an event or a DEBUG line holds contains the key."""
    caplog.set_level(logging.DEBUG, logger="doctrans_async")
    events: list[dt.Event] = []
    batch_id = emulator.add_batch(documents=4, seconds=10)
    emulator.faults.script("status", [Fault.http(429, retry_after=1)])
    async with dt.DocumentTranslationClient(
        emulator.endpoint, key=emulator.key, clock=clock, on_event=events.append
    ) as client:
        await client.wait_for_completion(batch_id)
        async for _ in client.list_documents(batch_id):
            pass
    assert "next poll in" in caplog.text
    assert all(emulator.key not in repr(e) for e in events)
    assert emulator.key not in caplog.text
