"""CallEvent: each public coroutine call reports its start and end around the events it causes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import doctrans_async as dt
from doctrans_async.emulator import Emulator

UNKNOWN = "00000000-0000-0000-0000-000000000000"


class Recorded:
    """A client of the emulator and the events it reported."""

    def __init__(self, client: dt.DocumentTranslationClient, events: list[dt.Event]) -> None:
        self.client = client
        self.events = events


@pytest.fixture
async def recorded(emulator: Emulator, clock: dt.VirtualClock) -> AsyncIterator[Recorded]:
    events: list[dt.Event] = []
    async with dt.DocumentTranslationClient(
        emulator.endpoint, key=emulator.key, clock=clock, on_event=events.append
    ) as client:
        yield Recorded(client, events)


def calls(events: list[dt.Event]) -> list[tuple[str, str, str | None, str | None]]:
    return [
        (e.name, e.phase, e.batch_id, None if e.status is None else str(e.status))
        for e in events
        if isinstance(e, dt.CallEvent)
    ]


async def test_a_wait_brackets_its_requests(emulator: Emulator, recorded: Recorded) -> None:
    """Start first, end last with the final status; every request and poll comes between them."""
    batch_id = emulator.add_batch(documents=2, seconds=20)
    await recorded.client.wait_for_completion(batch_id)
    events = recorded.events
    assert isinstance(events[0], dt.CallEvent)
    assert isinstance(events[-1], dt.CallEvent)
    assert calls(events) == [
        ("wait_for_completion", "start", batch_id, None),
        ("wait_for_completion", "end", batch_id, "Succeeded"),
    ]
    assert any(isinstance(e, dt.PollEvent) for e in events[1:-1])


async def test_the_end_names_what_the_call_learnt(recorded: Recorded) -> None:
    """start_translation's end carries the new batch id; a failing call's end carries its error."""
    batch_id = await recorded.client.start_translation(
        source_url="https://store.example/s", target_url="https://store.example/t", target_language="fr"
    )
    with pytest.raises(dt.NotFoundError) as caught:
        await recorded.client.get_document_status(batch_id, UNKNOWN)
    events = recorded.events
    assert calls(events) == [
        ("start_translation", "start", None, None),
        ("start_translation", "end", batch_id, None),
        ("get_document_status", "start", batch_id, None),
        ("get_document_status", "end", batch_id, None),
    ]
    ends = [e for e in events if isinstance(e, dt.CallEvent) and e.phase == "end"]
    assert ends[0].error is None
    assert ends[1].error is caught.value


async def test_listings_report_no_call(emulator: Emulator, recorded: Recorded) -> None:
    """An async generator reports requests only: its start and end would be in the consumer's hands."""
    batch_id = emulator.add_batch(documents=3, seconds=0)
    assert len([d async for d in recorded.client.list_documents(batch_id)]) == 3
    assert calls(recorded.events) == []
    assert recorded.events
