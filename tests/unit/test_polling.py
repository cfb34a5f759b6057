"""Unit tests of the poll schedule and the poll loop, on a virtual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from doctrans_async._clock import VirtualClock
from doctrans_async._errors import DocumentTranslationError, PollingTimeoutError
from doctrans_async._models import BatchStatus, Status, StatusSummary
from doctrans_async._polling import PollPolicy, PollSchedule, wait_until_terminal, watch_statuses

T0 = datetime(2026, 1, 1, tzinfo=UTC)
NO_AGE = PollPolicy(age_fraction=0.0)


def batch(status: Status = Status.RUNNING, *, done: int = 0, total: int = 10) -> BatchStatus:
    """A batch status with ``done`` of ``total`` documents succeeded."""
    running = total - done if status is Status.RUNNING else 0
    summary = StatusSummary(
        total=total,
        failed=0,
        success=done,
        in_progress=running,
        not_yet_started=total - done - running,
        cancelled=0,
    )
    return BatchStatus(id="b1", status=status, created_at=T0, last_action_at=T0, summary=summary)


class Fetch:
    """A fake status fetch: returns scripted (status, retry_after) pairs and records the deadlines it is given."""

    def __init__(self, *script: tuple[BatchStatus, float | None]) -> None:
        self.script = list(script)
        self.deadlines: list[float | None] = []

    async def __call__(self, deadline: float | None) -> tuple[BatchStatus, float | None]:
        self.deadlines.append(deadline)
        return self.script[len(self.deadlines) - 1]


class SimulatedBatch:
    """A batch that runs for ``duration`` virtual seconds, then succeeds; counts the polls it receives."""

    def __init__(
        self, clock: VirtualClock, *, duration: float, changes: bool, retry_after: float | None = None
    ) -> None:
        self.clock = clock
        self.duration = duration
        self.changes = changes
        self.retry_after = retry_after
        self.polls = 0

    async def __call__(self, deadline: float | None) -> tuple[BatchStatus, float | None]:
        self.polls += 1
        if self.clock.monotonic() >= self.duration:
            return batch(Status.SUCCEEDED, done=1_000_000, total=1_000_000), self.retry_after
        done = self.polls if self.changes else 0
        return batch(Status.RUNNING, done=done, total=1_000_000), self.retry_after


async def collect(stream: AsyncIterator[BatchStatus]) -> list[BatchStatus]:
    """Every status a stream yields."""
    return [status async for status in stream]


# --- PollPolicy ---------------------------------------------------------------------------------------------


def test_poll_policy_defaults() -> None:
    """The default policy: 1 s initial, 30 s max, growth 1.5, age fraction 0.05."""
    policy = PollPolicy()
    assert (policy.initial_interval, policy.max_interval, policy.growth, policy.age_fraction) == (1.0, 30.0, 1.5, 0.05)


@pytest.mark.parametrize(
    ("field", "value"),
    [("initial_interval", 0.0), ("max_interval", -1.0), ("growth", 0.0), ("age_fraction", -0.1)],
)
def test_poll_policy_validation(field: str, value: float) -> None:
    """Non-positive intervals or growth and a negative age fraction raise ValueError."""
    kwargs = {field: value}
    with pytest.raises(ValueError, match=field):
        PollPolicy(**kwargs)


# --- PollSchedule -------------------------------------------------------------------------------------------


def test_first_wait_is_initial_interval() -> None:
    """The first wait is initial_interval."""
    assert PollSchedule(PollPolicy(), 0.0).next_wait(batch(), retry_after=None, now=0.0) == 1.0
    policy = PollPolicy(initial_interval=2.5)
    assert PollSchedule(policy, 0.0).next_wait(batch(), retry_after=None, now=0.0) == 2.5


def test_unchanged_statuses_grow_to_max() -> None:
    """Each unchanged status multiplies the wait by growth, up to max_interval."""
    schedule = PollSchedule(PollPolicy(initial_interval=1.0, growth=2.0, max_interval=10.0, age_fraction=0.0), 0.0)
    waits = [schedule.next_wait(batch(), retry_after=None, now=0.0) for _ in range(7)]
    assert waits == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0]


def test_default_growth_sequence() -> None:
    """With the default growth 1.5 the waits go 1, 1.5, 2.25, 3.375 … and stop at 30."""
    schedule = PollSchedule(NO_AGE, 0.0)
    waits = [schedule.next_wait(batch(), retry_after=None, now=0.0) for _ in range(12)]
    assert waits[:4] == pytest.approx([1.0, 1.5, 2.25, 3.375])
    assert waits[-1] == 30.0
    assert max(waits) == 30.0
    assert waits == sorted(waits)


def test_status_change_snaps_back() -> None:
    """A new status resets the wait to initial_interval."""
    schedule = PollSchedule(NO_AGE, 0.0)
    for _ in range(5):
        schedule.next_wait(batch(Status.NOT_STARTED), retry_after=None, now=0.0)
    assert schedule.next_wait(batch(Status.RUNNING), retry_after=None, now=0.0) == 1.0
    assert schedule.next_wait(batch(Status.RUNNING), retry_after=None, now=0.0) == 1.5


def test_summary_change_snaps_back() -> None:
    """New summary counts under the same status reset the wait to initial_interval."""
    schedule = PollSchedule(NO_AGE, 0.0)
    for _ in range(5):
        schedule.next_wait(batch(done=1), retry_after=None, now=0.0)
    assert schedule.next_wait(batch(done=2), retry_after=None, now=0.0) == 1.0


def test_only_status_and_summary_count_as_change() -> None:
    """A new last_action_at with the same status and summary is not a change."""
    schedule = PollSchedule(NO_AGE, 0.0)
    first = batch()
    schedule.next_wait(first, retry_after=None, now=0.0)
    later = BatchStatus(
        id=first.id,
        status=first.status,
        created_at=first.created_at,
        last_action_at=datetime(2026, 1, 2, tzinfo=UTC),
        summary=first.summary,
    )
    assert schedule.next_wait(later, retry_after=None, now=0.0) == 1.5


@pytest.mark.parametrize(
    ("started_at", "now", "expected"),
    [(0.0, 0.0, 1.0), (0.0, 19.0, 1.0), (0.0, 100.0, 5.0), (50.0, 250.0, 10.0), (0.0, 10_000.0, 30.0)],
)
def test_age_floor(started_at: float, now: float, expected: float) -> None:
    """The wait is at least age_fraction × time since the start, capped at max_interval."""
    schedule = PollSchedule(PollPolicy(), started_at)
    assert schedule.next_wait(batch(), retry_after=None, now=now) == pytest.approx(expected)


def test_age_floor_applies_after_a_change() -> None:
    """A change snaps the interval back, but not below the age floor."""
    schedule = PollSchedule(PollPolicy(), 0.0)
    schedule.next_wait(batch(done=1), retry_after=None, now=0.0)
    assert schedule.next_wait(batch(done=2), retry_after=None, now=200.0) == pytest.approx(10.0)


@pytest.mark.parametrize(("retry_after", "expected"), [(7.0, 7.0), (60.0, 60.0), (0.5, 1.0), (0.0, 1.0), (None, 1.0)])
def test_retry_after_versus_schedule(retry_after: float | None, expected: float) -> None:
    """A Retry-After bigger than the schedule wins (even past max_interval); a smaller one loses."""
    schedule = PollSchedule(PollPolicy(), 0.0)
    assert schedule.next_wait(batch(), retry_after=retry_after, now=0.0) == expected


def test_retry_after_does_not_reset_growth() -> None:
    """A big Retry-After on one poll does not disturb the schedule's own growth."""
    schedule = PollSchedule(NO_AGE, 0.0)
    assert schedule.next_wait(batch(), retry_after=None, now=0.0) == 1.0
    assert schedule.next_wait(batch(), retry_after=20.0, now=0.0) == 20.0
    assert schedule.next_wait(batch(), retry_after=None, now=0.0) == 2.25


# --- watch_statuses -----------------------------------------------------------------------------------------


async def test_watch_yields_every_status_and_ends_after_terminal() -> None:
    """Every fetched status is yielded in order; the stream ends after the terminal one, never fetching again."""
    clock = VirtualClock()
    script = [
        (batch(Status.NOT_STARTED), None),
        (batch(Status.RUNNING, done=3), None),
        (batch(Status.CANCELING, done=3), None),
        (batch(Status.CANCELED, done=3), None),
        (batch(Status.RUNNING), None),
    ]
    fetch = Fetch(*script)
    statuses = await collect(watch_statuses(fetch, policy=PollPolicy(), clock=clock, timeout=None))
    assert statuses == [status for status, _ in script[:4]]
    assert len(fetch.deadlines) == 4
    assert fetch.deadlines == [None] * 4
    assert len(clock.sleeps) == 3


async def test_watch_first_status_terminal_no_sleep() -> None:
    """A batch already terminal on the first poll is yielded once with no sleep at all."""
    clock = VirtualClock()
    fetch = Fetch((batch(Status.SUCCEEDED, done=10), 5.0))
    statuses = await collect(watch_statuses(fetch, policy=PollPolicy(), clock=clock, timeout=10.0))
    assert [s.status for s in statuses] == [Status.SUCCEEDED]
    assert clock.sleeps == []
    assert fetch.deadlines == [10.0]


async def test_watch_timeout_zero_with_terminal_first_status() -> None:
    """timeout=0 still returns a batch that is terminal on the first poll."""
    clock = VirtualClock()
    fetch = Fetch((batch(Status.FAILED), None))
    assert [s.status for s in await collect(watch_statuses(fetch, policy=PollPolicy(), clock=clock, timeout=0))] == [
        Status.FAILED
    ]


async def test_watch_sleeps_follow_the_schedule_and_retry_after() -> None:
    """Between polls the loop sleeps the larger of Retry-After and its own growing schedule."""
    clock = VirtualClock()
    fetch = Fetch(
        (batch(), None),
        (batch(), 4.0),
        (batch(), None),
        (batch(done=1), None),
        (batch(Status.SUCCEEDED, done=10), None),
    )
    await collect(watch_statuses(fetch, policy=NO_AGE, clock=clock, timeout=None))
    assert clock.sleeps == [1.0, 4.0, 2.25, 1.0]


@pytest.mark.parametrize("timeout", [0.0, 0.5, 1.0, 10.0, 37.3, 100.0])
async def test_watch_timeout_never_overslept(timeout: float) -> None:
    """With a timeout the total virtual time slept never exceeds it, and PollingTimeoutError carries the last status."""
    clock = VirtualClock()
    script = [(batch(done=i % 3), None) for i in range(1000)]
    fetch = Fetch(*script)
    seen: list[BatchStatus] = []
    statuses = watch_statuses(fetch, policy=PollPolicy(), clock=clock, timeout=timeout)
    with pytest.raises(PollingTimeoutError) as info:
        await wait_until_terminal(statuses, seen.append)
    assert sum(clock.sleeps) <= timeout
    assert clock.monotonic() <= timeout
    assert info.value.last_status is seen[-1]
    assert isinstance(info.value, TimeoutError)
    assert isinstance(info.value, DocumentTranslationError)
    assert set(fetch.deadlines) == {timeout}


async def test_watch_timeout_with_big_retry_after() -> None:
    """A Retry-After beyond the deadline is not slept: the loop waits out the time left and times out."""
    clock = VirtualClock()
    fetch = Fetch((batch(), 100.0), (batch(Status.SUCCEEDED), None))
    with pytest.raises(PollingTimeoutError) as info:
        await collect(watch_statuses(fetch, policy=PollPolicy(), clock=clock, timeout=10.0))
    assert clock.sleeps == [10.0]
    assert len(fetch.deadlines) == 1
    assert info.value.last_status == batch()
    assert "b1" in str(info.value)


async def test_watch_timeout_after_slow_fetch() -> None:
    """If a fetch itself used up the time, the loop does not sleep a negative or extra amount."""
    clock = VirtualClock()

    async def slow_fetch(deadline: float | None) -> tuple[BatchStatus, float | None]:
        clock.advance(15.0)
        return batch(), None

    with pytest.raises(PollingTimeoutError):
        await collect(watch_statuses(slow_fetch, policy=PollPolicy(), clock=clock, timeout=10.0))
    assert clock.sleeps == [0.0]
    assert clock.monotonic() == 15.0


async def test_watch_negative_timeout() -> None:
    """A negative timeout is a ValueError before anything is fetched."""
    clock = VirtualClock()
    fetch = Fetch((batch(), None))
    with pytest.raises(ValueError, match="timeout"):
        await collect(watch_statuses(fetch, policy=PollPolicy(), clock=clock, timeout=-1.0))
    assert fetch.deadlines == []


async def test_watch_unknown_status_keeps_polling() -> None:
    """An unknown status is not terminal: polling continues until a terminal one."""
    clock = VirtualClock()
    fetch = Fetch((batch(Status("Paused")), None), (batch(Status.SUCCEEDED), None))
    statuses = await collect(watch_statuses(fetch, policy=PollPolicy(), clock=clock, timeout=None))
    assert [str(s.status) for s in statuses] == ["Paused", "Succeeded"]


# --- cost of long batches -----------------------------------------------------------------------------------


async def _run(batch_sim: SimulatedBatch, clock: VirtualClock) -> list[BatchStatus]:
    return await collect(watch_statuses(batch_sim, policy=PollPolicy(), clock=clock, timeout=None))


async def test_one_hour_batch_changing_every_poll() -> None:
    """A one-hour batch whose summary changes on every poll costs fewer than 300 polls and ends soon after."""
    clock = VirtualClock()
    sim = SimulatedBatch(clock, duration=3600.0, changes=True)
    statuses = await _run(sim, clock)
    assert statuses[-1].status is Status.SUCCEEDED
    assert sim.polls < 300
    assert clock.monotonic() <= 3600.0 + 30.0
    assert max(clock.sleeps) <= 30.0


async def test_one_hour_batch_never_changing() -> None:
    """A one-hour batch whose status never changes costs fewer than 200 polls, none more than 30 s apart."""
    clock = VirtualClock()
    sim = SimulatedBatch(clock, duration=3600.0, changes=False)
    await _run(sim, clock)
    assert sim.polls < 200
    assert max(clock.sleeps) <= 30.0
    assert clock.monotonic() <= 3600.0 + 30.0


async def test_one_hour_batch_with_retry_after_one() -> None:
    """Retry-After: 1 on every response (changing summary) still costs fewer than 300 polls for one hour."""
    clock = VirtualClock()
    sim = SimulatedBatch(clock, duration=3600.0, changes=True, retry_after=1.0)
    await _run(sim, clock)
    assert sim.polls < 300
    assert min(clock.sleeps) >= 1.0


# --- wait_until_terminal ------------------------------------------------------------------------------------


async def test_wait_until_terminal_plain_callback() -> None:
    """A plain on_status sees every status; the terminal one is returned."""
    clock = VirtualClock()
    script = [(batch(Status.NOT_STARTED), None), (batch(done=5), None), (batch(Status.SUCCEEDED, done=10), None)]
    seen: list[BatchStatus] = []
    final = await wait_until_terminal(
        watch_statuses(Fetch(*script), policy=PollPolicy(), clock=clock, timeout=None), seen.append
    )
    assert seen == [status for status, _ in script]
    assert final == script[-1][0]


async def test_wait_until_terminal_async_callback() -> None:
    """An async on_status is awaited for every status, in order, before the next poll."""
    clock = VirtualClock()
    script = [(batch(Status.NOT_STARTED), None), (batch(done=5), None), (batch(Status.FAILED), None)]
    seen: list[tuple[BatchStatus, float]] = []

    async def on_status(status: BatchStatus) -> None:
        await clock.sleep(0.0)
        seen.append((status, clock.monotonic()))

    final = await wait_until_terminal(
        watch_statuses(Fetch(*script), policy=NO_AGE, clock=clock, timeout=None), on_status
    )
    assert [status for status, _ in seen] == [status for status, _ in script]
    assert [at for _, at in seen] == [0.0, 1.0, 2.0]
    assert final.status is Status.FAILED


async def test_wait_until_terminal_without_callback() -> None:
    """Without on_status the terminal status is still returned."""
    clock = VirtualClock()
    script = [(batch(), None), (batch(Status.VALIDATION_FAILED), None)]
    final = await wait_until_terminal(
        watch_statuses(Fetch(*script), policy=PollPolicy(), clock=clock, timeout=None), None
    )
    assert final.status is Status.VALIDATION_FAILED


async def test_wait_until_terminal_propagates_timeout_after_callbacks() -> None:
    """On timeout the callback has seen every status fetched and PollingTimeoutError propagates."""
    clock = VirtualClock()
    seen: list[BatchStatus] = []
    fetch = Fetch(*[(batch(), None) for _ in range(100)])
    with pytest.raises(PollingTimeoutError) as info:
        await wait_until_terminal(watch_statuses(fetch, policy=NO_AGE, clock=clock, timeout=5.0), seen.append)
    assert len(seen) == len(fetch.deadlines)
    assert info.value.last_status is seen[-1]
