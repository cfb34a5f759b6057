"""Retrying one request: the policy and the decision, pure.

This is the only module that imports ``backoff``; its wait generator and jitter make our own backoff schedule,
and swapping the engine means changing this file alone. The client drives the loop itself rather than through
backoff's decorators for two reasons: backoff jitters *every* wait (a server's ``Retry-After`` must be obeyed
as given), and it sleeps with ``asyncio.sleep`` directly (we sleep on an injectable :class:`Clock`, and no wait
may pass the call's :class:`Deadline`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import attrs
import backoff

from doctrans_async._clock import positive
from doctrans_async._errors import MalformedResponseError, ServiceError, TransportError
from doctrans_async._sansio import Request

__all__ = ["RetryPolicy", "may_resend", "resend_is_safe", "retry_wait"]


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

    max_attempts: int = attrs.field(default=5, validator=[attrs.validators.instance_of(int), positive])
    max_time: float = attrs.field(default=60.0, validator=positive)
    initial_backoff: float = attrs.field(default=0.5, validator=positive)
    max_backoff: float = attrs.field(default=10.0, validator=positive)
    jitter: bool = True
    max_retry_after: float = attrs.field(default=120.0, validator=positive)
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


def resend_is_safe(error: Exception) -> bool:
    """Whether a request that must not take effect twice (a POST that starts a batch) may be sent again.

    Only when the service cannot have acted on it: the connection was never made, or it answered 429 or 503
    with a ``Retry-After`` (a refusal to take the request at all).
    """
    if isinstance(error, TransportError):
        return not error.request_sent
    return isinstance(error, ServiceError) and error.status in (429, 503) and error.retry_after is not None


def may_resend(request: Request, error: Exception) -> bool:
    """Whether ``request`` may be sent again after ``error``, whatever the policy says of the error.

    A request that may change state (a POST) is sent again only where the service cannot have acted on it, and
    a stream that cannot be rewound only if none of it was read.
    """
    if request.method != "POST":
        return True
    if any(part.start is None and not isinstance(part.source, bytes | Path) for part in request.parts):
        return isinstance(error, TransportError) and not error.request_sent
    return resend_is_safe(error)


def retry_wait(
    policy: RetryPolicy,
    error: Exception,
    *,
    attempt: int,
    elapsed: float,
    backoff_wait: float,
) -> float | None:
    """Seconds to wait before retrying after ``error`` on attempt number ``attempt`` (1-based), or ``None``
    to give up and raise it. Pure: the policy's whole decision, testable without a clock (whether the call's
    deadline allows the wait is the deadline's business)."""
    if not policy.is_retryable(error) or attempt >= policy.max_attempts:
        return None
    hint = error.retry_after if isinstance(error, ServiceError) else None
    if hint is not None and hint > policy.max_retry_after:
        return None
    wait = hint if hint is not None else backoff_wait
    if elapsed + wait > policy.max_time:
        return None
    return wait
