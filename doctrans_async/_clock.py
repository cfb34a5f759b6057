"""Time, injectable.

Every wait in the library (poll intervals, retry backoff) goes through a :class:`Clock`, so tests and the emulator
can share one notion of time instead of sleeping on the wall clock. :class:`VirtualClock` advances only when
somebody sleeps on it: a one-hour batch is polled to completion in milliseconds, deterministically.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = ["Clock", "SystemClock", "VirtualClock"]


class Clock(Protocol):
    """What the library needs of time: a monotonic reading, a wall-clock reading and a way to wait."""

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin; never goes backwards."""
        ...

    def utcnow(self) -> datetime:
        """The current wall-clock time, timezone-aware (UTC)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (cancellable)."""
        ...


class SystemClock:
    """The real clock: :func:`time.monotonic`, :func:`datetime.now` and :func:`asyncio.sleep`."""

    def monotonic(self) -> float:
        return time.monotonic()

    def utcnow(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    def __repr__(self) -> str:
        return "SystemClock()"


class VirtualClock:
    """A clock that moves only when slept on, by exactly the time slept.

    ``sleep`` still yields to the event loop once, so other tasks run and cancellation is delivered as it would
    be with a real sleep. Share one instance between a client and an in-process emulator to run long batches
    instantly.

    Concurrent sleepers each move the one shared time by their own wait, so with many tasks time runs as fast as
    the sum of their waits: right for outcomes, not for timing between tasks (bound retries by attempts there).
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._origin = start if start is not None else datetime(2026, 1, 1, tzinfo=UTC)
        self._elapsed = 0.0
        self.sleeps: list[float] = []
        """Every wait requested, in order: what a test asserts a schedule with."""

    def monotonic(self) -> float:
        return self._elapsed

    def utcnow(self) -> datetime:
        return self._origin + timedelta(seconds=self._elapsed)

    async def sleep(self, seconds: float) -> None:
        seconds = max(0.0, seconds)
        self.sleeps.append(seconds)
        self._elapsed += seconds
        await asyncio.sleep(0)

    def advance(self, seconds: float) -> None:
        """Move time forward without sleeping (as if the caller had been busy)."""
        self._elapsed += max(0.0, seconds)

    def __repr__(self) -> str:
        return f"VirtualClock(elapsed={self._elapsed:.3f})"
