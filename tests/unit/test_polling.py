"""Unit tests of the pure poll schedule, and of the client's poll loop (``watch``, ``wait_for_completion``)
driven through a scripted transport on a virtual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

import doctrans_async as dt
from doctrans_async import DocumentTranslationClient
from doctrans_async._clock import Deadline, VirtualClock
from doctrans_async._errors import DocumentTranslationError, PollingTimeoutError, ServerError, TransportError
from doctrans_async._models import BatchStatus, Status, StatusSummary
from doctrans_async._polling import PollPolicy, PollSchedule
from doctrans_async._retry import RetryPolicy
from doctrans_async._sansio import Request, Response, parse_batch_status
from tests.support import (
    FakeTransport,
    client_over,
    error_response,
    respond,
    stalls,
)

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


def poll(
    status: Status | str = Status.RUNNING, *, done: int = 0, total: int = 10, retry_after: float | None = None
) -> Response:
    """The status response carrying :func:`batch` ``(status, done=done, total=total)``, with a Retry-After."""
    model = batch(Status(status), done=done, total=total)
    summary = model.summary
    body = {
        "id": model.id,
        "createdDateTimeUtc": "2026-01-01T00:00:00Z",
        "lastActionDateTimeUtc": "2026-01-01T00:00:00Z",
        "status": str(model.status),
        "summary": {
            "total": summary.total,
            "failed": summary.failed,
            "success": summary.success,
            "inProgress": summary.in_progress,
            "notYetStarted": summary.not_yet_started,
            "cancelled": summary.cancelled,
            "totalCharacterCharged": summary.total_character_charged,
        },
    }
    return respond(200, body, headers={"retry-after": f"{retry_after:g}"} if retry_after is not None else {})


def model(response: Response) -> BatchStatus:
    """The status a response carries, as the client reads it."""
    return parse_batch_status(Request("GET", "https://unit.test/"), response, T0)


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

    async def __call__(self, request: Request, deadline: Deadline) -> Response:
        self.polls += 1
        if self.clock.monotonic() >= self.duration:
            return poll(Status.SUCCEEDED, done=1_000_000, total=1_000_000, retry_after=self.retry_after)
        done = self.polls if self.changes else 0
        return poll(Status.RUNNING, done=done, total=1_000_000, retry_after=self.retry_after)


def over(
    fake: FakeTransport, clock: VirtualClock, policy: PollPolicy | None = None, **options: Any
) -> DocumentTranslationClient:
    """A client polling through ``fake`` with ``policy``."""
    return client_over(fake, clock, poll=policy, **options)


async def collect(stream: AsyncIterator[BatchStatus]) -> list[BatchStatus]:
    """Every status a stream yields."""
    return [status async for status in stream]


def deadlines(fake: FakeTransport) -> list[float | None]:
    """The deadline each request was sent with."""
    return [deadline.at for _, deadline in fake.sent]


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


@pytest.mark.parametrize(
    "kwargs", [{"growth": 0.5}, {"initial_interval": 60, "max_interval": 30}, {"retry_after_cap": 0}]
)
def test_poll_policy_refuses_policies_that_would_hammer(kwargs: dict[str, Any]) -> None:
    """A policy that would poll faster while nothing changes, or cap hints at nothing, is refused."""
    with pytest.raises(ValueError, match=r"growth|initial_interval|retry_after_cap"):
        dt.PollPolicy(**kwargs)


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


def test_retry_after_capped_at_retry_after_cap() -> None:
    """A Retry-After above the policy's retry_after_cap waits retry_after_cap (a poll never stalls for a day)."""
    schedule = PollSchedule(PollPolicy(retry_after_cap=300.0), 0.0)
    assert schedule.next_wait(batch(), retry_after=86_400.0, now=0.0) == 300.0
    assert schedule.reason == "retry-after"


def test_reason_says_what_set_the_wait() -> None:
    """reason is 'retry-after' when the hint decided, 'age' when the age floor did, 'schedule' otherwise."""
    schedule = PollSchedule(PollPolicy(), 0.0)
    reasons = []
    for done, retry_after, now in [(0, None, 0.0), (1, 5.0, 0.0), (2, None, 1000.0)]:
        schedule.next_wait(batch(done=done), retry_after=retry_after, now=now)
        reasons.append(schedule.reason)
    assert reasons == ["schedule", "retry-after", "age"]


# --- watch --------------------------------------------------------------------------------------------------


async def test_watch_yields_every_status_and_ends_after_terminal(fake: FakeTransport, clock: VirtualClock) -> None:
    """Every fetched status is yielded in order; the stream ends after the terminal one, never fetching again."""
    script = [
        poll(Status.NOT_STARTED),
        poll(Status.RUNNING, done=3),
        poll(Status.CANCELING, done=3),
        poll(Status.CANCELED, done=3),
        poll(Status.RUNNING),
    ]
    fake.add(*script)
    statuses = await collect(over(fake, clock).watch("b1"))
    assert statuses == [model(response) for response in script[:4]]
    assert len(fake.sent) == 4
    assert deadlines(fake) == [None] * 4
    assert len(clock.sleeps) == 3


async def test_watch_first_status_terminal_no_sleep(fake: FakeTransport, clock: VirtualClock) -> None:
    """A batch already terminal on the first poll is yielded once with no sleep at all."""
    fake.add(poll(Status.SUCCEEDED, done=10, retry_after=5.0))
    statuses = await collect(over(fake, clock).watch("b1", timeout=10.0))
    assert [s.status for s in statuses] == [Status.SUCCEEDED]
    assert clock.sleeps == []
    assert deadlines(fake) == [10.0]


async def test_watch_timeout_zero_sends_nothing(fake: FakeTransport, clock: VirtualClock) -> None:
    """timeout=0 is no time at all: the wait times out at once, with no status and no request (a request cut off
    at once would be a race between the socket and the timer)."""
    fake.add(poll(Status.FAILED))
    with pytest.raises(PollingTimeoutError) as info:
        await collect(over(fake, clock).watch("b1", timeout=0))
    assert info.value.last_status is None
    assert info.value.__cause__ is None
    assert fake.sent == []


async def test_watch_sleeps_follow_the_schedule_and_retry_after(fake: FakeTransport, clock: VirtualClock) -> None:
    """Between polls the loop sleeps the larger of Retry-After and its own growing schedule."""
    fake.add(poll(), poll(retry_after=4.0), poll(), poll(done=1), poll(Status.SUCCEEDED, done=10))
    await collect(over(fake, clock, NO_AGE).watch("b1"))
    assert clock.sleeps == [1.0, 4.0, 2.25, 1.0]


@pytest.mark.parametrize("timeout", [0.5, 1.0, 10.0, 37.3, 100.0])
async def test_watch_timeout_never_overslept(fake: FakeTransport, clock: VirtualClock, timeout: float) -> None:
    """With a timeout the clock never passes it, and PollingTimeoutError carries the last status."""
    fake.add(*[poll(done=i % 3) for i in range(1000)])
    seen: list[BatchStatus] = []
    with pytest.raises(PollingTimeoutError) as info:
        await over(fake, clock).wait_for_completion("b1", timeout=timeout, on_status=seen.append)
    # The clock's own reading, which the deadline compares, not sum(clock.sleeps): since Python 3.12 sum() of
    # floats is exact, while the clock adds the waits one by one, so the two can differ in the last bit.
    assert clock.monotonic() <= timeout
    assert info.value.last_status is seen[-1]
    assert isinstance(info.value, TimeoutError)
    assert isinstance(info.value, DocumentTranslationError)
    assert set(deadlines(fake)) == {timeout}


async def test_watch_timeout_with_big_retry_after(fake: FakeTransport, clock: VirtualClock) -> None:
    """A Retry-After beyond the deadline is not slept: the loop waits out the time left and times out."""
    fake.add(poll(retry_after=100.0), poll(Status.SUCCEEDED))
    with pytest.raises(PollingTimeoutError) as info:
        await collect(over(fake, clock).watch("b1", timeout=10.0))
    assert clock.sleeps == [10.0]
    assert len(fake.sent) == 1
    assert info.value.last_status == batch()
    assert "b1" in str(info.value)


async def test_watch_timeout_after_slow_fetch(fake: FakeTransport, clock: VirtualClock) -> None:
    """If a fetch itself used up the time, the loop does not sleep a negative or extra amount."""

    async def slow_fetch(request: Request, deadline: Deadline) -> Response:
        clock.advance(15.0)
        return poll()

    fake.add(slow_fetch)
    with pytest.raises(PollingTimeoutError):
        await collect(over(fake, clock).watch("b1", timeout=10.0))
    # The wait ends at once (the poll stream may sleep 0 first, never more: time stays where the fetch left it).
    assert set(clock.sleeps) <= {0.0}
    assert clock.monotonic() == 15.0


@pytest.mark.parametrize("timeout", [-1.0, float("nan"), float("inf")])
async def test_watch_refuses_a_bad_timeout(fake: FakeTransport, clock: VirtualClock, timeout: float) -> None:
    """A negative, NaN or infinite timeout is a ValueError before anything is fetched."""
    fake.add(poll())
    client = over(fake, clock)
    with pytest.raises(ValueError, match="timeout"):
        await collect(client.watch("b1", timeout=timeout))
    with pytest.raises(ValueError, match="timeout"):
        await client.wait_for_completion("b1", timeout=timeout)
    assert fake.sent == []


async def test_watch_unknown_status_keeps_polling(fake: FakeTransport, clock: VirtualClock) -> None:
    """An unknown status is not terminal: polling continues until a terminal one."""
    fake.add(poll("Paused"), poll(Status.SUCCEEDED))
    statuses = await collect(over(fake, clock).watch("b1"))
    assert [str(s.status) for s in statuses] == ["Paused", "Succeeded"]


async def test_poll_deadline_during_retries(fake: FakeTransport, clock: VirtualClock) -> None:
    """When a failing poll's retry would pass the deadline, PollingTimeoutError carries the last status seen and
    the failure as its cause; no wait passed the deadline."""
    fake.add(poll(done=1), error_response(503, "30"), poll(Status.SUCCEEDED))
    with pytest.raises(PollingTimeoutError) as info:
        await over(fake, clock).wait_for_completion("b1", timeout=20)
    assert isinstance(info.value.__cause__, ServerError)
    assert info.value.last_status == batch(done=1)
    assert clock.monotonic() < 20
    assert len(fake.sent) == 2


async def test_poll_cut_in_flight_by_the_deadline(fake: FakeTransport, clock: VirtualClock) -> None:
    """A poll still in flight at the deadline ends the wait with PollingTimeoutError: the last status seen, and
    what was cut short as its cause."""
    fake.add(poll(done=1), stalls(clock))
    with pytest.raises(PollingTimeoutError) as info:
        await over(fake, clock).wait_for_completion("b1", timeout=20)
    assert isinstance(info.value.__cause__, TransportError)
    assert info.value.last_status == batch(done=1)
    assert len(fake.sent) == 2


async def test_poll_failure_before_any_status(fake: FakeTransport, clock: VirtualClock) -> None:
    """A first poll whose retries cannot fit the deadline times out with no last status and its cause."""
    fake.add(error_response(503, "30"), poll())
    with pytest.raises(PollingTimeoutError) as info:
        await over(fake, clock, retry=RetryPolicy(jitter=False)).wait_for_completion("b1", timeout=5)
    assert info.value.last_status is None
    assert isinstance(info.value.__cause__, ServerError)
    assert clock.sleeps == []


async def test_poll_error_that_is_not_the_deadline_propagates(fake: FakeTransport, clock: VirtualClock) -> None:
    """A failure the retry policy gives up on (a 404) is raised as itself, not as a timeout."""
    fake.add(poll(), error_response(404))
    with pytest.raises(DocumentTranslationError) as info:
        await over(fake, clock).wait_for_completion("b1", timeout=100)
    assert not isinstance(info.value, TimeoutError)


# --- cost of long batches -----------------------------------------------------------------------------------


async def _run(sim: SimulatedBatch, clock: VirtualClock) -> list[BatchStatus]:
    return await collect(over(FakeTransport(fallback=sim), clock).watch("b1"))


async def test_one_hour_batch_changing_every_poll(clock: VirtualClock) -> None:
    """A one-hour batch whose summary changes on every poll costs fewer than 300 polls and ends soon after."""
    sim = SimulatedBatch(clock, duration=3600.0, changes=True)
    statuses = await _run(sim, clock)
    assert statuses[-1].status is Status.SUCCEEDED
    assert sim.polls < 300
    assert clock.monotonic() <= 3600.0 + 30.0
    assert max(clock.sleeps) <= 30.0


async def test_one_hour_batch_never_changing(clock: VirtualClock) -> None:
    """A one-hour batch whose status never changes costs fewer than 200 polls, none more than 30 s apart."""
    sim = SimulatedBatch(clock, duration=3600.0, changes=False)
    await _run(sim, clock)
    assert sim.polls < 200
    assert max(clock.sleeps) <= 30.0
    assert clock.monotonic() <= 3600.0 + 30.0


async def test_one_hour_batch_with_retry_after_one(clock: VirtualClock) -> None:
    """Retry-After: 1 on every response (changing summary) still costs fewer than 300 polls for one hour."""
    sim = SimulatedBatch(clock, duration=3600.0, changes=True, retry_after=1.0)
    await _run(sim, clock)
    assert sim.polls < 300
    assert min(clock.sleeps) >= 1.0


# --- wait_for_completion ------------------------------------------------------------------------------------


async def test_wait_for_completion_plain_callback(fake: FakeTransport, clock: VirtualClock) -> None:
    """A plain on_status sees every status; the terminal one is returned."""
    script = [poll(Status.NOT_STARTED), poll(done=5), poll(Status.SUCCEEDED, done=10)]
    fake.add(*script)
    seen: list[BatchStatus] = []
    final = await over(fake, clock).wait_for_completion("b1", on_status=seen.append)
    assert seen == [model(response) for response in script]
    assert final == model(script[-1])


async def test_wait_for_completion_async_callback(fake: FakeTransport, clock: VirtualClock) -> None:
    """An async on_status is awaited for every status, in order, before the next poll."""
    script = [poll(Status.NOT_STARTED), poll(done=5), poll(Status.FAILED)]
    fake.add(*script)
    seen: list[tuple[BatchStatus, float]] = []

    async def on_status(status: BatchStatus) -> None:
        await clock.sleep(0.0)
        seen.append((status, clock.monotonic()))

    final = await over(fake, clock, NO_AGE).wait_for_completion("b1", on_status=on_status)
    assert [status for status, _ in seen] == [model(response) for response in script]
    assert [at for _, at in seen] == [0.0, 1.0, 2.0]
    assert final.status is Status.FAILED


async def test_wait_for_completion_without_callback(fake: FakeTransport, clock: VirtualClock) -> None:
    """Without on_status the terminal status is still returned."""
    fake.add(poll(), poll(Status.VALIDATION_FAILED))
    final = await over(fake, clock).wait_for_completion("b1")
    assert final.status is Status.VALIDATION_FAILED


async def test_wait_for_completion_times_out_after_callbacks(fake: FakeTransport, clock: VirtualClock) -> None:
    """On timeout the callback has seen every status fetched and PollingTimeoutError propagates."""
    seen: list[BatchStatus] = []
    fake.add(*[poll() for _ in range(100)])
    with pytest.raises(PollingTimeoutError) as info:
        await over(fake, clock, NO_AGE).wait_for_completion("b1", timeout=5.0, on_status=seen.append)
    assert len(seen) == len(fake.sent)
    assert info.value.last_status is seen[-1]
