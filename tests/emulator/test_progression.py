"""Batches progress in simulated time: a shared VirtualClock moves them, nothing else does."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from doctrans_async._clock import VirtualClock

from . import TIMESTAMP, Probe, serve


async def _status(probe: Probe, batch_id: str) -> dict[str, Any]:
    body: dict[str, Any] = (await probe.get(probe.emulator.batch_url(batch_id))).json()
    return body


async def _documents(probe: Probe, batch_id: str) -> list[dict[str, Any]]:
    return [d for page in await probe.documents("2024-05-01", batch_id) for d in page.json()["value"]]


async def test_a_batch_goes_not_started_running_succeeded_as_the_clock_moves() -> None:
    """With 10 documents over 10 s: NotStarted at first, Running midway, Succeeded at 10 s with full counts."""
    clock = VirtualClock()
    async with serve(clock=clock) as probe:
        batch_id = probe.emulator.add_batch(documents=10, seconds=10)
        at_start = await _status(probe, batch_id)
        clock.advance(5)
        midway = await _status(probe, batch_id)
        clock.advance(5)
        done = await _status(probe, batch_id)
        documents = await _documents(probe, batch_id)
    assert at_start["status"] == "NotStarted"
    assert at_start["summary"]["notYetStarted"] == 10
    assert midway["status"] == "Running"
    assert midway["summary"]["inProgress"] > 0
    assert done["status"] == "Succeeded"
    assert done["summary"] | {"totalCharacterCharged": 0} == {
        "total": 10,
        "failed": 0,
        "success": 10,
        "inProgress": 0,
        "notYetStarted": 0,
        "cancelled": 0,
        "totalCharacterCharged": 0,
    }
    assert done["summary"]["totalCharacterCharged"] == sum(d["characterCharged"] for d in documents)


async def test_the_clock_only_moves_through_sleeps_on_it() -> None:
    """A client sleeping on the shared VirtualClock is what moves the emulator's batches on."""
    clock = VirtualClock()
    async with serve(clock=clock) as probe:
        batch_id = probe.emulator.add_batch(documents=3, seconds=3600)
        polls = 0
        while (await _status(probe, batch_id))["status"] != "Succeeded":
            polls += 1
            await clock.sleep(600)
    assert polls == 6


@pytest.mark.parametrize("seconds", [1.0, 7.5, 100.0])
async def test_summary_counts_always_add_up_and_match_the_document_list(seconds: float) -> None:
    """At every moment the summary's counts sum to total and equal the statuses in the document list."""
    clock = VirtualClock()
    async with serve(clock=clock, page_size=4) as probe:
        batch_id = probe.emulator.add_batch(documents=13, seconds=seconds, failures=3)
        for _ in range(12):
            body = await _status(probe, batch_id)
            counted = Counter(d["status"] for d in await _documents(probe, batch_id))
            summary = body["summary"]
            parts = ("failed", "success", "inProgress", "notYetStarted", "cancelled")
            assert sum(summary[k] for k in parts) == summary["total"] == 13
            assert counted["Succeeded"] == summary["success"]
            assert counted["Failed"] == summary["failed"]
            assert counted["Running"] == summary["inProgress"]
            assert counted["NotStarted"] == summary["notYetStarted"]
            clock.advance(seconds / 10)
    assert body["status"] == "Succeeded"


async def test_running_documents_show_progress_rising_between_zero_and_one() -> None:
    """A running document's progress is a JSON number strictly between 0 and 1 that rises over time."""
    clock = VirtualClock()
    async with serve(clock=clock) as probe:
        batch_id = probe.emulator.add_batch(documents=1, seconds=10)
        seen = []
        for _ in range(9):
            clock.advance(1)
            seen.append((await _documents(probe, batch_id))[0])
    running = [d["progress"] for d in seen if d["status"] == "Running"]
    assert len(running) >= 3
    assert running == sorted(running)
    assert all(0 <= p < 1 for p in running)
    assert all(isinstance(p, (int, float)) for p in running)


async def test_failed_documents_carry_an_error_and_the_batch_still_succeeds() -> None:
    """With failures=2 two documents end Failed with an error; the batch ends Succeeded, 2 failed."""
    clock = VirtualClock()
    async with serve(clock=clock) as probe:
        batch_id = probe.emulator.add_batch(documents=6, seconds=6, failures=2)
        clock.advance(6)
        body = await _status(probe, batch_id)
        failed = [d for d in await _documents(probe, batch_id) if d["status"] == "Failed"]
    assert body["status"] == "Succeeded"
    assert body["summary"]["failed"] == 2
    assert len(failed) == 2
    assert all(d["error"]["code"] == "InvalidRequest" and d["characterCharged"] == 0 for d in failed)


async def test_a_batch_whose_every_document_fails_ends_failed() -> None:
    """outcome='Failed' fails every document, and the batch status is Failed."""
    clock = VirtualClock()
    async with serve(clock=clock) as probe:
        batch_id = probe.emulator.add_batch(documents=4, seconds=4, outcome="Failed")
        clock.advance(4)
        body = await _status(probe, batch_id)
    assert body["status"] == "Failed"
    assert body["summary"]["failed"] == 4
    assert body["summary"]["totalCharacterCharged"] == 0


async def test_validation_failed_is_immediate_and_has_no_documents() -> None:
    """outcome='ValidationFailed' is the status at once, with no documents listed."""
    async with serve(clock=VirtualClock()) as probe:
        batch_id = probe.emulator.add_batch(documents=5, outcome="ValidationFailed")
        body = await _status(probe, batch_id)
        documents = await _documents(probe, batch_id)
    assert body["status"] == "ValidationFailed"
    assert documents == []


async def test_cancel_moves_through_cancelling_to_cancelled() -> None:
    """DELETE answers Cancelling; after cancel_seconds the batch and its unfinished documents are Cancelled."""
    clock = VirtualClock()
    async with serve(clock=clock, cancel_seconds=2) as probe:
        batch_id = probe.emulator.add_batch(documents=10, seconds=10)
        clock.advance(5)
        before = (await _status(probe, batch_id))["summary"]
        cancelled = await probe.send("DELETE", probe.emulator.batch_url(batch_id))
        cancelling_documents = Counter(d["status"] for d in await _documents(probe, batch_id))
        clock.advance(2)
        after = await _status(probe, batch_id)
        final_documents = Counter(d["status"] for d in await _documents(probe, batch_id))
    assert cancelled.status == 200
    assert cancelled.json()["status"] == "Cancelling"
    unfinished = before["inProgress"] + before["notYetStarted"]
    assert cancelling_documents["Cancelling"] == unfinished
    assert after["status"] == "Cancelled"
    assert after["summary"]["cancelled"] == final_documents["Cancelled"] == unfinished
    assert after["summary"]["success"] == before["success"]


async def test_v1_cancel_answers_the_status_the_batch_had() -> None:
    """v1.x DELETE answers the batch's status as it was (recorded: NotStarted, not Cancelling), its last action
    moved to the cancel; polls then show Cancelling, then Cancelled."""
    clock = VirtualClock()
    async with serve(clock=clock, cancel_seconds=2) as probe:
        batch_id = probe.emulator.add_batch(documents=10, seconds=10)
        url = probe.url("v1.0", f"/batches/{batch_id}")
        clock.advance(0.5)
        before = (await probe.get(url)).json()
        answered = (await probe.send("DELETE", url)).json()
        polled = (await probe.get(url)).json()
        clock.advance(2)
        final = (await probe.get(url)).json()
    assert before["status"] == answered["status"] == "NotStarted"
    assert answered["lastActionDateTimeUtc"] > before["lastActionDateTimeUtc"]
    assert answered["summary"] == before["summary"]
    assert (polled["status"], final["status"]) == ("Cancelling", "Cancelled")


async def test_cancelling_a_finished_or_cancelling_batch_is_400() -> None:
    """The service refuses to cancel a batch that already finished or is cancelling, with 400 InvalidRequest."""
    clock = VirtualClock()
    async with serve(clock=clock) as probe:
        finished = probe.emulator.add_batch(seconds=1)
        busy = probe.emulator.add_batch(seconds=100)
        clock.advance(1)
        refused_finished = await probe.send("DELETE", probe.emulator.batch_url(finished))
        await probe.send("DELETE", probe.emulator.batch_url(busy))
        refused_again = await probe.send("DELETE", probe.emulator.batch_url(busy))
    for answer in (refused_finished, refused_again):
        assert answer.status == 400
        assert answer.json()["error"]["code"] == "InvalidRequest"
        assert answer.json()["error"]["target"] == "Operation"


async def test_cancel_batch_from_python_matches_delete() -> None:
    """Emulator.cancel_batch cancels as DELETE would, and batch_status reads the status without a request."""
    clock = VirtualClock()
    async with serve(clock=clock, cancel_seconds=1) as probe:
        batch_id = probe.emulator.add_batch(seconds=10)
        probe.emulator.cancel_batch(batch_id)
        cancelling = probe.emulator.batch_status(batch_id)
        clock.advance(1)
        body = await _status(probe, batch_id)
    assert cancelling == "Cancelling"
    assert body["status"] == "Cancelled"
    assert body["summary"]["cancelled"] == 10


async def test_timestamps_have_seven_digits_and_last_action_never_precedes_creation() -> None:
    """Every timestamp has seven fractional digits and Z; lastActionDateTimeUtc moves with the batch."""
    clock = VirtualClock()
    async with serve(clock=clock) as probe:
        batch_id = probe.emulator.add_batch(documents=4, seconds=8)
        first = await _status(probe, batch_id)
        clock.advance(8)
        last = await _status(probe, batch_id)
        documents = await _documents(probe, batch_id)
    stamps = [first["lastActionDateTimeUtc"], last["lastActionDateTimeUtc"]]
    stamps += [d[k] for d in documents for k in ("createdDateTimeUtc", "lastActionDateTimeUtc")]
    assert all(TIMESTAMP.match(s) for s in stamps)
    assert first["createdDateTimeUtc"] == first["lastActionDateTimeUtc"] < last["lastActionDateTimeUtc"]
    assert last["lastActionDateTimeUtc"].startswith("2026-01-01T00:00:08.")


async def test_named_documents_keep_their_names_in_paths() -> None:
    """add_batch(documents=[names]) puts each name at the end of sourcePath and path."""
    clock = VirtualClock()
    async with serve(clock=clock) as probe:
        batch_id = probe.emulator.add_batch(documents=["a.docx", "b.pdf"], seconds=1, target_language="ja")
        clock.advance(1)
        documents = await _documents(probe, batch_id)
    assert [d["sourcePath"].rsplit("/", 1)[1] for d in documents] == ["a.docx", "b.pdf"]
    assert [d["path"].rsplit("/", 1)[1] for d in documents] == ["a.docx", "b.pdf"]
    assert {d["to"] for d in documents} == {"ja"}


async def test_the_same_seed_gives_the_same_ids() -> None:
    """Two emulators with one seed give the same batch ids, document ids and failing documents."""
    seen = []
    for _ in range(2):
        clock = VirtualClock()
        async with serve(clock=clock, seed=42) as probe:
            batch_id = probe.emulator.add_batch(documents=8, seconds=1, failures=3)
            clock.advance(1)
            seen.append((batch_id, [(d["id"], d["status"]) for d in await _documents(probe, batch_id)]))
    assert seen[0] == seen[1]


@pytest.mark.parametrize(
    "arguments",
    [{"documents": 0}, {"failures": 11}, {"seconds": -1}, {"outcome": "Maybe"}, {"batch_id": "not-a-guid"}],
)
async def test_add_batch_rejects_impossible_batches(arguments: dict[str, Any]) -> None:
    """add_batch refuses no documents, more failures than documents, negative time, unknown outcomes, bad ids."""
    async with serve() as probe:
        with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
            probe.emulator.add_batch(**({"documents": 10} | arguments))


async def test_add_batch_refuses_an_unknown_keyword() -> None:
    """A misspelt keyword (its options are one TypedDict, unchecked at run time by Python) is a TypeError."""
    options: dict[str, Any] = {"document": 5}
    async with serve() as probe:
        with pytest.raises(TypeError, match="document"):
            probe.emulator.add_batch(**options)
