"""CallEvent: each public coroutine call reports its start and end around the events it causes."""

from __future__ import annotations

import pytest

import doctrans_async as dt
from doctrans_async.emulator import Emulator

UNKNOWN = "00000000-0000-0000-0000-000000000000"


def calls(events: list[dt.Event]) -> list[tuple[str, str, str | None, str | None]]:
    return [
        (e.name, e.phase, e.batch_id, None if e.status is None else str(e.status))
        for e in events
        if isinstance(e, dt.CallEvent)
    ]


async def test_a_wait_brackets_its_requests(emulator: Emulator, clock: dt.VirtualClock) -> None:
    """Start first, end last with the final status; every request and poll comes between them."""
    events: list[dt.Event] = []
    batch_id = emulator.add_batch(documents=2, seconds=20)
    async with dt.DocumentTranslationClient(
        emulator.endpoint, key=emulator.key, clock=clock, on_event=events.append
    ) as client:
        await client.wait_for_completion(batch_id)
    assert isinstance(events[0], dt.CallEvent)
    assert isinstance(events[-1], dt.CallEvent)
    assert calls(events) == [
        ("wait_for_completion", "start", batch_id, None),
        ("wait_for_completion", "end", batch_id, "Succeeded"),
    ]
    assert any(isinstance(e, dt.PollEvent) for e in events[1:-1])


async def test_the_end_names_what_the_call_learnt(emulator: Emulator, clock: dt.VirtualClock) -> None:
    """start_translation's end carries the new batch id; a failing call's end carries its error."""
    events: list[dt.Event] = []
    async with dt.DocumentTranslationClient(
        emulator.endpoint, key=emulator.key, clock=clock, on_event=events.append
    ) as client:
        batch_id = await client.start_translation(
            source_url="https://store.example/s", target_url="https://store.example/t", target_language="fr"
        )
        with pytest.raises(dt.NotFoundError) as caught:
            await client.get_document_status(batch_id, UNKNOWN)
    assert calls(events) == [
        ("start_translation", "start", None, None),
        ("start_translation", "end", batch_id, None),
        ("get_document_status", "start", batch_id, None),
        ("get_document_status", "end", batch_id, None),
    ]
    ends = [e for e in events if isinstance(e, dt.CallEvent) and e.phase == "end"]
    assert ends[0].error is None
    assert ends[1].error is caught.value


async def test_listings_report_no_call(emulator: Emulator, clock: dt.VirtualClock) -> None:
    """An async generator reports requests only: its start and end would be in the consumer's hands."""
    events: list[dt.Event] = []
    batch_id = emulator.add_batch(documents=3, seconds=0)
    async with dt.DocumentTranslationClient(
        emulator.endpoint, key=emulator.key, clock=clock, on_event=events.append
    ) as client:
        assert len([d async for d in client.list_documents(batch_id)]) == 3
    assert calls(events) == []
    assert events
