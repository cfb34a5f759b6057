"""Retrying one request: the policy, the decision, and the loop.

This is the only module that imports ``backoff``; its wait generator and jitter make our own backoff schedule,
and swapping the engine means changing this file alone. We drive the loop ourselves rather than through
backoff's decorators for two reasons: backoff jitters *every* wait (a server's ``Retry-After`` must be obeyed
as given), and it sleeps with ``asyncio.sleep`` directly (we sleep on an injectable :class:`Clock`).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import attrs
import backoff

from doctrans_async._clock import Clock
from doctrans_async._errors import MalformedResponseError, ServiceError, TransportError

__all__ = ["DeadlineReached", "RetryPolicy", "call_with_retries", "resend_is_safe", "retry_wait"]

T = TypeVar("T")
logger = logging.getLogger("doctrans_async")


def _positive(_: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if not value > 0:
        raise ValueError(f"{attribute.name} must be > 0, got {value!r}")


@attrs.frozen
class RetryPolicy:
    """How a failed request is retried.

    Retried: connection errors and timeouts, success responses whose body could not be decoded (cut off on the
    way), and the statuses in ``retry_statuses`` (429, 500, 502, 503, 504).
    A server's ``Retry-After`` is waited exactly (never jittered); without one, the wait is exponential backoff
    from ``initial_backoff`` doubling up to ``max_backoff``, with full jitter when ``jitter`` is true.
    A ``Retry-After`` above ``max_retry_after`` is not waited: the call fails at once with the error, whose
    ``retry_after`` tells the caller the server's hint. Retries stop after ``max_attempts`` attempts in all,
    when the next wait would pass ``max_time`` seconds since the first attempt, or when it would pass the
    operation's deadline.
    """

    max_attempts: int = attrs.field(default=5, validator=[attrs.validators.instance_of(int), _positive])
    max_time: float = attrs.field(default=60.0, validator=_positive)
    initial_backoff: float = attrs.field(default=0.5, validator=_positive)
    max_backoff: float = attrs.field(default=10.0, validator=_positive)
    jitter: bool = True
    max_retry_after: float = attrs.field(default=120.0, validator=_positive)
    retry_statuses: frozenset[int] = frozenset({429, 500, 502, 503, 504})

    def backoff_waits(self) -> Iterator[float]:
        """Our own waits, one per retry: exponential, capped, jittered if configured."""
        waits = backoff.expo(base=2, factor=self.initial_backoff, max_value=self.max_backoff)
        waits.send(None)  # backoff's generators expect to be primed
        for wait in waits:
            yield backoff.full_jitter(wait) if self.jitter else wait

    def is_retryable(self, error: Exception) -> bool:
        """Whether ``error`` is one this policy retries."""
        if isinstance(error, TransportError):
            return True
        if isinstance(error, MalformedResponseError):
            return error.transient
        return isinstance(error, ServiceError) and error.status in self.retry_statuses


class DeadlineReached(Exception):
    """The operation's deadline, not the failure itself, ended the attempts (``error`` is the last failure).

    Internal: the listing and the poller turn it into their public timeout errors.
    """

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


def resend_is_safe(error: Exception) -> bool:
    """Whether a request that must not take effect twice (a POST that starts a batch) may be sent again.

    Only when the service cannot have acted on it: the connection was never made, or it answered 429 or 503
    with a ``Retry-After`` (a refusal to take the request at all).
    """
    if isinstance(error, TransportError):
        return not error.request_sent
    return isinstance(error, ServiceError) and error.status in (429, 503) and error.retry_after is not None


def retry_wait(
    policy: RetryPolicy,
    error: Exception,
    *,
    attempt: int,
    elapsed: float,
    remaining: float | None,
    backoff_wait: float,
) -> float | None:
    """Seconds to wait before retrying after ``error`` on attempt number ``attempt`` (1-based), or ``None``
    to give up and raise it. Pure: the whole decision, testable without a clock."""
    if not policy.is_retryable(error) or attempt >= policy.max_attempts:
        return None
    hint = error.retry_after if isinstance(error, ServiceError) else None
    if hint is not None and hint > policy.max_retry_after:
        return None
    wait = hint if hint is not None else backoff_wait
    if elapsed + wait > policy.max_time:
        return None
    if remaining is not None and wait >= remaining:
        return None
    return wait


async def call_with_retries(
    attempt: Callable[[], Awaitable[T]],
    *,
    policy: RetryPolicy | None,
    clock: Clock,
    deadline: float | None = None,
    retryable: Callable[[Exception], bool] | None = None,
    on_retry: Callable[[int, float, Exception], object] | None = None,
) -> T:
    """Await ``attempt()`` until it succeeds or ``policy`` says stop; then its last error propagates.

    ``deadline`` is a ``clock.monotonic()`` reading no wait may pass. ``retryable`` narrows which errors may be
    retried (a POST that may have reached the server must not be sent twice). ``on_retry(attempt, wait, error)``
    hears each retry before its wait.
    """
    if policy is None:
        return await attempt()
    started = clock.monotonic()
    waits = policy.backoff_waits()
    number = 0
    while True:
        number += 1
        try:
            return await attempt()
        except (ServiceError, TransportError, MalformedResponseError) as error:
            if retryable is not None and not retryable(error):
                raise
            now = clock.monotonic()
            decide = functools.partial(
                retry_wait, policy, error, attempt=number, elapsed=now - started, backoff_wait=next(waits)
            )
            wait = decide(remaining=None if deadline is None else deadline - now)
            if wait is None:
                # Told apart so callers can report a timeout: would the retry have happened without the deadline?
                if deadline is not None and decide(remaining=None) is not None:
                    raise DeadlineReached(error) from error
                raise
            logger.debug("retry %d after %.3fs: %s", number, wait, error)
            if on_retry is not None:
                on_retry(number, wait, error)
            await clock.sleep(wait)
