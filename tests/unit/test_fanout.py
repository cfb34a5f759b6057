"""Unit tests of waiting on many batches: bounded concurrency, outcomes as they come, no failure lost."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from datetime import UTC, datetime

import pytest

from doctrans_async._clock import Deadline, VirtualClock
from doctrans_async._errors import NotFoundError, PollingTimeoutError
from doctrans_async._fanout import outcomes_as_completed, outcomes_in_order
from doctrans_async._models import BatchOutcome, BatchStatus, Status, StatusSummary

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def done(batch_id: str) -> BatchStatus:
    """A succeeded batch ``batch_id``."""
    return BatchStatus(batch_id, Status.SUCCEEDED, T0, T0, StatusSummary(1, 0, 1, 0, 0, 0))


class Waits:
    """Waits released by the test, one event per batch; records which are running at once and which ended."""

    def __init__(self, *batch_ids: str) -> None:
        self.release = {batch_id: asyncio.Event() for batch_id in batch_ids}
        self.failures: dict[str, BaseException] = {}
        self.running: set[str] = set()
        self.most_at_once = 0
        self.started: list[str] = []
        self.cancelled: list[str] = []

    async def __call__(self, batch_id: str) -> BatchStatus:
        self.started.append(batch_id)
        self.running.add(batch_id)
        self.most_at_once = max(self.most_at_once, len(self.running))
        try:
            await self.release[batch_id].wait()
        except asyncio.CancelledError:
            self.cancelled.append(batch_id)
            raise
        finally:
            self.running.discard(batch_id)
        if batch_id in self.failures:
            raise self.failures[batch_id]
        return done(batch_id)


async def settle() -> None:
    """Let every ready task run until none is left to run (no time passes)."""
    for _ in range(10):
        await asyncio.sleep(0)


async def test_outcomes_come_in_the_order_batches_end() -> None:
    """Each outcome is yielded as its batch ends, not in the order given."""
    waits = Waits("a", "b", "c")
    outcomes = outcomes_as_completed(["a", "b", "c"], waits, concurrency=3)
    order: list[str] = []
    async with contextlib.aclosing(outcomes):
        for batch_id in ["c", "a", "b"]:
            waits.release[batch_id].set()
            outcome = await anext(outcomes)
            order.append(outcome.batch_id)
            assert outcome == BatchOutcome(batch_id, done(batch_id), None)
    assert order == ["c", "a", "b"]


async def test_concurrency_bounds_the_waits_running() -> None:
    """No more than ``concurrency`` waits run at once; the others start as slots free up."""
    batch_ids = [f"b{n}" for n in range(7)]
    waits = Waits(*batch_ids)
    outcomes = outcomes_as_completed(batch_ids, waits, concurrency=3)
    got: list[BatchOutcome] = []

    async def consume() -> None:
        got.extend([outcome async for outcome in outcomes])

    consumer = asyncio.create_task(consume())
    await settle()
    assert len(waits.running) == 3
    for batch_id in batch_ids:
        waits.release[batch_id].set()
        await settle()
    await consumer
    assert waits.most_at_once == 3
    assert sorted(outcome.batch_id for outcome in got) == batch_ids


async def test_a_library_error_is_that_batchs_outcome() -> None:
    """One batch's error (not found, timed out, an invalid id) is its outcome; the others still complete."""
    waits = Waits("ok", "missing", "slow", "bad id")
    waits.failures = {
        "missing": NotFoundError(status=404, code="NotFound", message="no such batch"),
        "slow": PollingTimeoutError("still running", last_status=None),
        "bad id": ValueError("an id cannot be '..'"),
    }
    for event in waits.release.values():
        event.set()
    outcomes = {o.batch_id: o async for o in outcomes_as_completed(waits.release, waits, concurrency=2)}
    assert outcomes["ok"].status == done("ok")
    for batch_id, error in waits.failures.items():
        assert outcomes[batch_id].status is None
        assert outcomes[batch_id].error is error


async def test_a_foreign_exception_propagates_and_cancels_the_rest() -> None:
    """An exception that is not the library's (a bug) ends the whole wait, and the waits still running are
    cancelled, not left behind."""
    waits = Waits("bug", "other")
    waits.failures = {"bug": ZeroDivisionError("bug")}
    waits.release["bug"].set()

    async def consume() -> None:
        async for _ in outcomes_as_completed(["bug", "other"], waits, concurrency=2):
            pass

    with pytest.raises(ZeroDivisionError):
        await consume()
    assert waits.cancelled == ["other"]
    assert waits.running == set()


async def test_closing_early_cancels_the_waits_still_running() -> None:
    """Closing the generator after the first outcome cancels every wait that started and did not end; the
    waits still queued for a slot never run to an outcome."""
    batch_ids = ["a", "b", "c", "d"]
    waits = Waits(*batch_ids)
    waits.release["a"].set()
    outcomes = outcomes_as_completed(batch_ids, waits, concurrency=2)
    first = await anext(outcomes)
    await outcomes.aclose()
    assert first.batch_id == "a"
    assert waits.running == set()
    assert "b" in waits.cancelled
    assert sorted(waits.cancelled) == sorted(set(waits.started) - {"a"})


@pytest.mark.parametrize("concurrency", [0, -1])
async def test_concurrency_below_one_refused(concurrency: int) -> None:
    """A concurrency below 1 is a ValueError when iteration starts, before any wait."""
    waits = Waits("a")
    outcomes: AsyncGenerator[BatchOutcome, None] = outcomes_as_completed(["a"], waits, concurrency=concurrency)
    with pytest.raises(ValueError, match="concurrency"):
        await anext(outcomes)
    assert waits.started == []


async def test_no_batches_no_outcomes() -> None:
    """An empty set of batches yields nothing."""
    assert [o async for o in outcomes_as_completed([], Waits(), concurrency=1)] == []


# --- ids that arrive one by one ------------------------------------------------------------------------------


async def test_ids_from_an_async_iterable_start_as_they_arrive_and_wait_for_room() -> None:
    """Each wait starts when its id arrives; the next id is taken only when fewer than ``concurrency`` run; the
    call ends when the ids end and every wait is done."""
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    waits = Waits("a", "b", "c")

    async def arriving() -> AsyncGenerator[str, None]:
        while (batch_id := await queue.get()) is not None:
            yield batch_id

    got: list[BatchOutcome] = []

    async def consume() -> None:
        got.extend([outcome async for outcome in outcomes_as_completed(arriving(), waits, concurrency=2)])

    consumer = asyncio.create_task(consume())
    await settle()
    assert waits.started == []
    queue.put_nowait("a")
    await settle()
    assert waits.started == ["a"]
    for batch_id in ("b", "c", None):
        queue.put_nowait(batch_id)
    await settle()
    assert waits.started == ["a", "b"]
    assert queue.qsize() == 2  # "c" waits where it came from until there is room
    waits.release["a"].set()
    await settle()
    assert waits.started == ["a", "b", "c"]
    assert not consumer.done()
    waits.release["b"].set()
    waits.release["c"].set()
    await consumer
    assert [outcome.batch_id for outcome in got] == ["a", "b", "c"]
    assert waits.most_at_once == 2


async def test_past_the_deadline_no_more_ids_are_awaited_from_an_async_source() -> None:
    """A source with no id for now held the call open past its deadline (timeout= did not end wait_all or
    as_completed); at the deadline the call now stops taking ids, and ids that come later stay in the source."""
    clock = VirtualClock()
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    queue.put_nowait("a")
    waits = Waits("a")
    waits.release["a"].set()

    async def arriving() -> AsyncGenerator[str, None]:
        while (batch_id := await queue.get()) is not None:
            yield batch_id

    outcomes = outcomes_as_completed(arriving(), waits, concurrency=2, deadline=Deadline.after(clock, 10))
    consumer = asyncio.create_task(collect(outcomes))
    await settle()
    assert waits.started == ["a"]
    assert not consumer.done()  # waiting for the next id, the deadline not yet passed
    clock.advance(10)
    await settle()
    assert consumer.done()
    assert [outcome.batch_id for outcome in consumer.result()] == ["a"]
    queue.put_nowait("b")
    assert queue.qsize() == 1  # never taken


async def test_cancelled_while_waiting_for_an_id_under_a_deadline_leaves_nothing_running() -> None:
    """Cancelling the caller while the source has no id for now cancels the source's step too: no task is left
    taking the next id (it would be taken and dropped), and an id put later stays in the queue."""
    clock = VirtualClock()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    async def arriving() -> AsyncGenerator[str, None]:
        while (batch_id := await queue.get()) is not None:
            yield batch_id

    before = asyncio.all_tasks()
    consumer = asyncio.create_task(
        collect(outcomes_as_completed(arriving(), Waits(), concurrency=2, deadline=Deadline.after(clock, 10)))
    )
    await settle()
    consumer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await consumer
    await settle()
    assert asyncio.all_tasks() == before
    queue.put_nowait("b")
    await settle()
    assert queue.qsize() == 1


async def test_past_the_deadline_every_id_of_a_plain_iterable_still_has_its_outcome() -> None:
    """A plain iterable's ids are all taken, the deadline passed or not: each is owed an outcome."""
    clock = VirtualClock()
    waits = Waits("a", "b")
    for event in waits.release.values():
        event.set()
    deadline = Deadline.after(clock, 10)
    clock.advance(10)
    got = await collect(outcomes_as_completed(["a", "b"], waits, concurrency=1, deadline=deadline))
    assert sorted(outcome.batch_id for outcome in got) == ["a", "b"]
    assert [o.batch_id for o in await outcomes_in_order(["a", "b"], waits, 1, deadline)] == ["a", "b"]


async def test_a_timeout_error_of_the_source_itself_propagates() -> None:
    """The deadline's own end is told from a TimeoutError the source raises, which is the caller's failure."""
    clock = VirtualClock()
    waits = Waits()

    async def broken() -> AsyncGenerator[str, None]:
        await asyncio.sleep(0)
        raise TimeoutError("the broker timed out")
        yield "never"

    with pytest.raises(TimeoutError, match="broker"):
        await collect(outcomes_as_completed(broken(), waits, concurrency=1, deadline=Deadline.after(clock, 10)))


async def collect(outcomes: AsyncGenerator[BatchOutcome, None]) -> list[BatchOutcome]:
    """Every outcome, in the order yielded."""
    return [outcome async for outcome in outcomes]


async def test_a_failing_async_iterable_propagates_and_cancels_the_waits() -> None:
    """The ids' own failure is the caller's: it propagates, and the waits still running are cancelled."""
    waits = Waits("a")

    async def broken() -> AsyncGenerator[str, None]:
        yield "a"
        await asyncio.sleep(0)
        raise RuntimeError("the broker went away")

    with pytest.raises(RuntimeError, match="broker"):
        async for _ in outcomes_as_completed(broken(), waits, concurrency=3):
            pass
    assert waits.cancelled == ["a"]


async def test_in_order_takes_an_async_iterable_in_arrival_order_once_each() -> None:
    """wait_all's order for an async iterable is the order of arrival; an id that comes twice is waited on once."""
    waits = Waits("x", "y")
    for event in waits.release.values():
        event.set()

    async def arriving() -> AsyncGenerator[str, None]:
        for batch_id in ("y", "x", "y"):
            yield batch_id

    outcomes = await outcomes_in_order(arriving(), waits, 5)
    assert [outcome.batch_id for outcome in outcomes] == ["y", "x"]
    assert sorted(waits.started) == ["x", "y"]
