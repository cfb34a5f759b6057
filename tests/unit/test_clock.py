"""Unit tests of the clocks and of a call's Deadline: readings, sleeps, and timeout scopes on virtual time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from doctrans_async._clock import Clock, Deadline, DeadlineReached, SystemClock, VirtualClock, check_seconds
from doctrans_async._errors import TransportError

START = datetime(2026, 1, 1, tzinfo=UTC)


async def blocked_forever() -> None:
    """Wait on an event nobody sets: only a cancellation (a timeout) ends it; no wall-clock sleep."""
    await asyncio.Event().wait()


async def start_in_scope(clock: Clock, when: float) -> tuple[asyncio.Task[None], list[str]]:
    """A task blocked inside ``clock.timeout_at(when)``, running by the time this returns; its outcome is logged
    as 'timeout' or 'done'."""
    log: list[str] = []
    entered = asyncio.Event()

    async def body() -> None:
        try:
            async with clock.timeout_at(when):
                entered.set()
                await blocked_forever()
        except TimeoutError:
            log.append("timeout")

    task = asyncio.create_task(body())
    await entered.wait()
    return task, log


# --- SystemClock --------------------------------------------------------------------------------------------


def test_system_clock_readings() -> None:
    """The system clock's monotonic reading never goes back, and utcnow is timezone-aware UTC near now."""
    clock = SystemClock()
    first = clock.monotonic()
    assert clock.monotonic() >= first
    now = clock.utcnow()
    assert now.tzinfo is UTC
    assert abs(now - datetime.now(UTC)) < timedelta(minutes=1)
    assert repr(clock) == "SystemClock()"


async def test_system_clock_timeout_at_a_past_reading_fires() -> None:
    """A scope whose deadline has passed raises TimeoutError out of a body that would wait forever."""
    clock = SystemClock()
    with pytest.raises(TimeoutError):
        async with clock.timeout_at(clock.monotonic() - 1.0):
            await blocked_forever()


async def test_system_clock_timeout_at_a_future_reading_lets_the_body_finish() -> None:
    """A scope whose deadline is an hour away does not disturb a body that finishes."""
    clock = SystemClock()
    async with clock.timeout_at(clock.monotonic() + 3600.0):
        await asyncio.sleep(0)


# --- VirtualClock -------------------------------------------------------------------------------------------


def test_virtual_clock_starts_at_its_origin() -> None:
    """A virtual clock reads 0 and its start (2026-01-01 UTC by default) until it is moved."""
    assert VirtualClock().monotonic() == 0.0
    assert VirtualClock().utcnow() == START
    later = datetime(2030, 6, 1, 12, tzinfo=UTC)
    assert VirtualClock(later).utcnow() == later


async def test_virtual_clock_moves_by_exactly_the_time_slept() -> None:
    """Each sleep moves the clock by exactly its wait and is recorded; a negative wait counts as 0."""
    clock = VirtualClock()
    await clock.sleep(1.5)
    await clock.sleep(-3.0)
    await clock.sleep(2.0)
    assert clock.sleeps == [1.5, 0.0, 2.0]
    assert clock.monotonic() == 3.5
    assert clock.utcnow() == START + timedelta(seconds=3.5)


def test_virtual_clock_advance_moves_without_recording_a_sleep() -> None:
    """advance() moves time as if the caller had been busy: no sleep recorded, a negative move ignored."""
    clock = VirtualClock()
    clock.advance(10.0)
    clock.advance(-4.0)
    assert clock.monotonic() == 10.0
    assert clock.sleeps == []
    assert "10.000" in repr(clock)


async def test_virtual_sleep_yields_to_other_tasks() -> None:
    """A virtual sleep lets other ready tasks run, as a real sleep would."""
    clock = VirtualClock()
    ran: list[str] = []

    async def other() -> None:
        ran.append("other")

    task = asyncio.create_task(other())
    await clock.sleep(0.0)
    assert ran == ["other"]
    await task


@pytest.mark.parametrize("how", ["advance past", "advance to", "sleep past"])
async def test_virtual_timeout_fires_when_time_reaches_it(how: str) -> None:
    """A scope at t=5 ends its blocked body with TimeoutError once somebody else moves the clock to 5 or past,
    by advancing it or by sleeping (an emulator sleeping out a slow response)."""
    clock = VirtualClock()
    task, log = await start_in_scope(clock, 5.0)
    if how == "sleep past":
        await clock.sleep(30.0)
    else:
        clock.advance(6.0 if how == "advance past" else 5.0)
    await task
    assert log == ["timeout"]


async def test_virtual_timeout_does_not_fire_before_its_reading() -> None:
    """Moving the clock to just before the deadline leaves the body running; it finishes normally."""
    clock = VirtualClock()
    release = asyncio.Event()
    log: list[str] = []

    async def body() -> None:
        async with clock.timeout_at(5.0):
            await release.wait()
        log.append("done")

    task = asyncio.create_task(body())
    await asyncio.sleep(0)
    clock.advance(4.999)
    await clock.sleep(0.0)
    assert not task.done()
    release.set()
    await task
    assert log == ["done"]


async def test_virtual_timeout_already_passed_fires_on_entry() -> None:
    """A scope entered after its deadline fires at the body's first wait."""
    clock = VirtualClock()
    clock.advance(10.0)
    with pytest.raises(TimeoutError):
        async with clock.timeout_at(5.0):
            await blocked_forever()


async def test_virtual_timeout_forgotten_once_the_scope_is_left() -> None:
    """A scope left in time has no timer left behind: moving the clock past its deadline later hurts nobody."""
    clock = VirtualClock()
    async with clock.timeout_at(5.0):
        await asyncio.sleep(0)
    clock.advance(100.0)
    await clock.sleep(1.0)
    assert clock.monotonic() == 101.0


async def test_cancellation_from_elsewhere_wins_over_the_timer() -> None:
    """A task cancelled by its owner as the deadline also passes is cancelled, not timed out."""
    clock = VirtualClock()
    task, log = await start_in_scope(clock, 5.0)
    task.cancel()
    clock.advance(10.0)
    with pytest.raises(asyncio.CancelledError):
        await task
    assert log == []


async def test_nested_scopes_fire_in_their_own_time() -> None:
    """Of two nested scopes, the inner (earlier) one fires first and the outer scope's body goes on."""
    clock = VirtualClock()
    outcome: list[str] = []
    async with clock.timeout_at(10.0):
        try:
            async with clock.timeout_at(3.0):
                await clock.sleep(4.0)
                await blocked_forever()
        except TimeoutError:
            outcome.append("inner")
        outcome.append(f"outer at {clock.monotonic():g}")
    assert outcome == ["inner", "outer at 4"]


# --- check_seconds and Deadline -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf"), -1, -0.001])
def test_deadline_refuses_impossible_timeouts(value: float) -> None:
    """NaN, infinities and negatives are ValueError naming the parameter: a NaN must never mean 'forever'."""
    with pytest.raises(ValueError, match="budget"):
        Deadline.after(VirtualClock(), value, name="budget")
    with pytest.raises(ValueError, match="timeout"):
        check_seconds("timeout", value)


@pytest.mark.parametrize("value", ["10", b"10", True, [1], object()])
def test_deadline_refuses_non_numbers(value: Any) -> None:
    """A string, bytes, a bool or any other non-number is a TypeError."""
    with pytest.raises(TypeError, match="timeout"):
        Deadline.after(VirtualClock(), value)


def test_check_seconds_accepts_none_and_non_negative_numbers() -> None:
    """None stays None; ints and floats >= 0 come back as floats."""
    assert check_seconds("t", None) is None
    assert check_seconds("t", 0) == 0.0
    assert isinstance(check_seconds("t", 3), float)
    assert check_seconds("t", 2.5) == 2.5


def test_deadline_without_timeout() -> None:
    """Without a timeout there is no deadline: no remaining time, every wait allowed, never expired."""
    clock = VirtualClock()
    deadline = Deadline.after(clock, None)
    assert (deadline.at, deadline.seconds) == (None, None)
    clock.advance(1e9)
    assert deadline.remaining() is None
    assert deadline.allows(1e12)
    assert not deadline.expired()


def test_deadline_is_measured_from_when_it_is_made() -> None:
    """A deadline made at t=4 with timeout 10 is at 14, and keeps the 10 for messages."""
    clock = VirtualClock()
    clock.advance(4.0)
    deadline = Deadline.after(clock, 10)
    assert (deadline.at, deadline.seconds) == (14.0, 10.0)


def test_deadline_remaining_allows_expired() -> None:
    """remaining() counts down and never goes negative; allows() only waits ending before the deadline;
    expired() from the deadline on."""
    clock = VirtualClock()
    deadline = Deadline.after(clock, 10.0)
    assert deadline.remaining() == 10.0
    assert deadline.allows(9.99)
    assert not deadline.allows(10.0)
    assert not deadline.expired()
    clock.advance(7.5)
    assert deadline.remaining() == 2.5
    assert deadline.allows(2.0)
    assert not deadline.allows(2.5)
    clock.advance(2.5)
    assert deadline.expired()
    assert deadline.remaining() == 0.0
    assert not deadline.allows(0.0)
    clock.advance(5.0)
    assert deadline.remaining() == 0.0
    assert deadline.expired()


def test_zero_timeout_is_expired_at_once() -> None:
    """timeout=0 is a deadline that has already come: no wait is allowed, not even 0."""
    deadline = Deadline.after(VirtualClock(), 0)
    assert deadline.expired()
    assert not deadline.allows(0.0)


async def test_deadline_scope_cuts_work_off_at_the_deadline() -> None:
    """scope() is the clock's timeout_at(at): work still going when the clock passes the deadline is cut off."""
    clock = VirtualClock()
    deadline = Deadline.after(clock, 10.0)

    async def overrun() -> None:
        async with deadline.scope():
            await clock.sleep(11.0)
            await blocked_forever()

    with pytest.raises(TimeoutError):
        await overrun()
    async with Deadline.after(clock, 10.0).scope():
        await clock.sleep(9.0)


def test_deadline_reached_carries_what_it_cut_short() -> None:
    """DeadlineReached says what the deadline interrupted (or that nothing was in flight)."""
    error = TransportError("cut", method="GET", url="https://unit.test/x")
    assert DeadlineReached(error).error is error
    assert "cut" in str(DeadlineReached(error))
    assert DeadlineReached(None).error is None
    assert str(DeadlineReached(None)) == "deadline reached"
