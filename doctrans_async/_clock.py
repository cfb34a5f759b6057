"""Time, injectable, and the one deadline of a call.

Every wait in the library (poll intervals, retry backoff) goes through a :class:`Clock`, so tests and the emulator
can share one notion of time instead of sleeping on the wall clock. :class:`VirtualClock` advances only when
somebody sleeps on it: a one-hour batch is polled to completion in milliseconds, deterministically.

A public call's ``timeout=`` becomes one :class:`Deadline`, made once and passed down. Nothing turns its seconds
into a socket timeout: a request in flight is cut off by :meth:`Clock.timeout_at`, which the real clock serves
with :func:`asyncio.timeout` and the virtual clock by firing when its own time passes the deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import AsyncIterator, Coroutine
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import attrs

__all__ = [
    "Clock",
    "Deadline",
    "DeadlineReached",
    "SystemClock",
    "VirtualClock",
    "check_seconds",
    "positive",
    "positive_seconds",
    "slept",
]


class Clock(Protocol):
    """What the library needs of time: a monotonic reading, a wall-clock reading, a way to wait, and a way to
    bound a piece of work by a monotonic reading."""

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin; never goes backwards."""
        ...

    def utcnow(self) -> datetime:
        """The current wall-clock time, timezone-aware (UTC)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (cancellable)."""
        ...

    def timeout_at(self, when: float) -> AbstractAsyncContextManager[object]:
        """A scope that raises :class:`TimeoutError` out of its body once :meth:`monotonic` reaches ``when``."""
        ...


class SystemClock:
    """The real clock: :func:`time.monotonic`, :func:`datetime.now` and :func:`asyncio.sleep`."""

    def monotonic(self) -> float:
        return time.monotonic()

    def utcnow(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    def timeout_at(self, when: float) -> AbstractAsyncContextManager[object]:
        # Relative to our own reading: the running loop's time() need not be time.monotonic() (uvloop).
        return asyncio.timeout(max(0.0, when - time.monotonic()))

    def __repr__(self) -> str:
        return "SystemClock()"


class VirtualClock:
    """A clock that moves only when slept on, by exactly the time slept.

    ``sleep`` still yields to the event loop once, so other tasks run and cancellation is delivered as it would
    be with a real sleep. Share one instance between a client and an in-process emulator to run long batches
    instantly. A :meth:`timeout_at` scope fires when this clock's time reaches its deadline, whoever moved it
    (an emulator sleeping out a slow response, say), never by the wall clock.

    Concurrent sleepers each move the one shared time by their own wait, so with many tasks time runs as fast as
    the sum of their waits: right for outcomes, not for timing between tasks (bound retries by attempts there).
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._origin = start if start is not None else datetime(2026, 1, 1, tzinfo=UTC)
        self._elapsed = 0.0
        self._timers: list[tuple[float, asyncio.Timeout]] = []
        self.sleeps: list[float] = []
        """Every wait requested, in order: what a test asserts a schedule with."""

    def monotonic(self) -> float:
        return self._elapsed

    def utcnow(self) -> datetime:
        return self._origin + timedelta(seconds=self._elapsed)

    async def sleep(self, seconds: float) -> None:
        seconds = max(0.0, seconds)
        self.sleeps.append(seconds)
        self._move(seconds)
        await asyncio.sleep(0)

    def advance(self, seconds: float) -> None:
        """Move time forward without sleeping (as if the caller had been busy)."""
        self._move(max(0.0, seconds))

    @contextlib.asynccontextmanager
    async def timeout_at(self, when: float) -> AsyncIterator[None]:
        async with asyncio.timeout(None) as scope:
            timer = (when, scope)
            self._timers.append(timer)
            self._fire()
            try:
                yield
            finally:
                if timer in self._timers:
                    self._timers.remove(timer)

    def _move(self, seconds: float) -> None:
        self._elapsed += seconds
        if self._timers:
            self._fire()

    def _fire(self) -> None:
        due = [timer for timer in self._timers if timer[0] <= self._elapsed]
        for timer in due:
            self._timers.remove(timer)
            # Expire through asyncio's own Timeout, so a cancellation from elsewhere still wins over ours.
            timer[1].reschedule(asyncio.get_running_loop().time())

    def __repr__(self) -> str:
        return f"VirtualClock(elapsed={self._elapsed:.3f})"


def _finite_number(value: object) -> bool:
    # bool is an int to isinstance, and True seconds is nobody's intent.
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)


def check_seconds(name: str, value: float | None) -> float | None:
    """``value`` if it is ``None`` or a finite number of seconds >= 0; :class:`ValueError` (NaN, infinity,
    negative) or :class:`TypeError` otherwise. A NaN must never come to mean "wait forever"."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number of seconds or None, not {type(value).__name__}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number of seconds >= 0, got {value!r}")
    return float(value)


def positive_seconds(name: str, value: float) -> float:
    """``value`` if it is a finite number of seconds > 0 (a limit of 0 would mean no limit to aiohttp)."""
    if not _finite_number(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number of seconds > 0, got {value!r}")
    return float(value)


def finite(_: object, attribute: attrs.Attribute[Any], value: float) -> None:
    """attrs validator: a finite number (a factor of a policy)."""
    if not _finite_number(value):
        raise ValueError(f"{attribute.name} must be a finite number, got {value!r}")


def positive(_: object, attribute: attrs.Attribute[Any], value: float) -> None:
    """attrs validator: a finite number > 0 (seconds, counts, factors of a policy)."""
    if not _finite_number(value) or not value > 0:
        raise ValueError(f"{attribute.name} must be a finite number > 0, got {value!r}")


class DeadlineReached(Exception):
    """A call's deadline, not the failure itself, ended it; ``error`` is what the deadline cut short (or ``None``
    when nothing was in flight). Internal: the client turns it into the call's public timeout error."""

    def __init__(self, error: Exception | None) -> None:
        super().__init__(str(error) if error is not None else "deadline reached")
        self.error = error


@attrs.frozen
class Deadline:
    """The end of one public call: a :meth:`Clock.monotonic` reading ``at`` (``None``: no deadline), made from a
    ``timeout`` of ``seconds`` (kept for messages)."""

    clock: Clock
    at: float | None
    seconds: float | None = None

    @classmethod
    def after(cls, clock: Clock, timeout: float | None, *, name: str = "timeout") -> Deadline:
        """The deadline ``timeout`` seconds from now on ``clock`` (checked: NaN, infinity and negatives refused)."""
        seconds = check_seconds(name, timeout)
        return cls(clock, None if seconds is None else clock.monotonic() + seconds, seconds)

    def remaining(self) -> float | None:
        """Seconds left (never negative), or ``None`` without a deadline."""
        return None if self.at is None else max(0.0, self.at - self.clock.monotonic())

    def allows(self, wait: float) -> bool:
        """Whether a wait of ``wait`` seconds starting now would end before the deadline."""
        return self.at is None or self.clock.monotonic() + wait < self.at

    def expired(self) -> bool:
        """Whether the deadline has passed."""
        return self.at is not None and self.clock.monotonic() >= self.at

    def scope(self) -> AbstractAsyncContextManager[object]:
        """A scope that raises :class:`TimeoutError` out of its body at the deadline (only call with ``at`` set)."""
        assert self.at is not None
        return self.clock.timeout_at(self.at)


async def slept(sleep: Coroutine[Any, Any, None], wake: asyncio.Event) -> bool:
    """Whether ``sleep`` ran to its end before ``wake`` was set (which cuts it short)."""
    sleeper = asyncio.ensure_future(sleep)
    waker = asyncio.ensure_future(wake.wait())
    try:
        done, _ = await asyncio.wait((sleeper, waker), return_when=asyncio.FIRST_COMPLETED)
    finally:
        sleeper.cancel()
        waker.cancel()
    return sleeper in done
