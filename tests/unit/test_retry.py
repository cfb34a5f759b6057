"""Unit tests of the retry policy, the pure retry decision and the retry loop on a virtual clock."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from itertools import islice
from typing import Any

import pytest

from doctrans_async._clock import VirtualClock
from doctrans_async._errors import (
    ContinuationLinkError,
    DocumentTranslationError,
    MalformedResponseError,
    ServiceError,
    TransportError,
)
from doctrans_async._retry import DeadlineReached, RetryPolicy, call_with_retries, resend_is_safe, retry_wait
from doctrans_async._sansio import Request, Response, error_for

NOW = datetime(2026, 1, 1, tzinfo=UTC)
REQUEST = Request("GET", "https://h.example/translator/document/batches/b1?api-version=2024-05-01")
NO_JITTER = RetryPolicy(jitter=False)


def service_error(status: int, retry_after: str | None = None) -> ServiceError:
    """The typed error the protocol layer builds for ``status`` (with an optional Retry-After header)."""
    headers = {"retry-after": retry_after} if retry_after is not None else {}
    body = json.dumps({"error": {"code": "Code", "message": "message"}}).encode()
    return error_for(REQUEST, Response.build(status, headers.items(), body), NOW)


def transport_error() -> TransportError:
    """A dropped connection."""
    return TransportError("connection reset", method="GET", url=REQUEST.url)


def malformed(*, transient: bool) -> MalformedResponseError:
    """A 200 whose body could not be read (transient) or had the wrong shape (not transient)."""
    return MalformedResponseError("bad body", status=200, transient=transient, method="GET", url=REQUEST.url)


def decide(
    error: Exception,
    *,
    policy: RetryPolicy = NO_JITTER,
    attempt: int = 1,
    elapsed: float = 0.0,
    remaining: float | None = None,
    backoff_wait: float = 0.75,
) -> float | None:
    """retry_wait with convenient defaults."""
    return retry_wait(policy, error, attempt=attempt, elapsed=elapsed, remaining=remaining, backoff_wait=backoff_wait)


class Script:
    """An attempt function that raises or returns scripted outcomes in order, counting calls."""

    def __init__(self, *outcomes: Exception | str) -> None:
        self.outcomes = list(outcomes)
        self.calls = 0

    async def __call__(self) -> str:
        outcome = self.outcomes[self.calls]
        self.calls += 1
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


# --- RetryPolicy --------------------------------------------------------------------------------------------


def test_policy_defaults() -> None:
    """The default policy: 5 attempts, 60 s, 0.5 s doubling to 10 s with jitter, Retry-After up to 120 s."""
    policy = RetryPolicy()
    assert (policy.max_attempts, policy.max_time, policy.initial_backoff, policy.max_backoff) == (5, 60.0, 0.5, 10.0)
    assert policy.jitter is True
    assert policy.max_retry_after == 120.0
    assert policy.retry_statuses == frozenset({429, 500, 502, 503, 504})


@pytest.mark.parametrize("field", ["max_attempts", "max_time", "initial_backoff", "max_backoff", "max_retry_after"])
@pytest.mark.parametrize("value", [0, -1, float("nan")])
def test_policy_rejects_non_positive_values(field: str, value: float) -> None:
    """Zero, negative and NaN limits raise ValueError naming the field (a NaN attempt count, TypeError)."""
    kwargs: dict[str, Any] = {field: value}
    expected = TypeError if field == "max_attempts" and isinstance(value, float) else ValueError
    with pytest.raises(expected, match=field):
        RetryPolicy(**kwargs)


def test_policy_is_frozen() -> None:
    """A policy cannot be changed after it is built."""
    policy = RetryPolicy()
    with pytest.raises(AttributeError):
        policy.max_attempts = 3  # type: ignore[misc]


def test_backoff_waits_exponential_and_capped_without_jitter() -> None:
    """Without jitter the waits double from initial_backoff and stay at max_backoff."""
    assert list(islice(NO_JITTER.backoff_waits(), 8)) == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0]
    policy = RetryPolicy(initial_backoff=1.0, max_backoff=3.0, jitter=False)
    assert list(islice(policy.backoff_waits(), 5)) == [1.0, 2.0, 3.0, 3.0, 3.0]


def test_backoff_waits_initial_above_cap_is_capped() -> None:
    """An initial backoff above the cap waits the cap from the start."""
    policy = RetryPolicy(initial_backoff=20.0, max_backoff=3.0, jitter=False)
    assert list(islice(policy.backoff_waits(), 3)) == [3.0, 3.0, 3.0]


def test_backoff_waits_jittered_within_zero_and_cap() -> None:
    """With jitter every wait lies in [0, the unjittered wait], and they are not all the unjittered value."""
    caps = list(islice(NO_JITTER.backoff_waits(), 10))
    samples = [list(islice(RetryPolicy(jitter=True).backoff_waits(), 10)) for _ in range(50)]
    for waits in samples:
        assert all(0.0 <= wait <= cap for wait, cap in zip(waits, caps, strict=True))
    assert any(waits != caps for waits in samples)


# --- retry_wait ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 412, 501, 505])
def test_non_retryable_statuses(status: int) -> None:
    """400, 401, 403, 404, other 4xx and 5xx outside the list are not retried."""
    assert decide(service_error(status)) is None
    assert not NO_JITTER.is_retryable(service_error(status))


@pytest.mark.parametrize(
    "error",
    [
        malformed(transient=False),
        ContinuationLinkError("loop", method="GET", url=REQUEST.url),
        ValueError("not ours"),
        DocumentTranslationError("root"),
    ],
)
def test_non_retryable_errors(error: Exception) -> None:
    """A wrong-shape body, a link error and foreign exceptions are not retried."""
    assert decide(error) is None


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_retryable_statuses_wait_the_backoff(status: int) -> None:
    """429 and 500/502/503/504 without Retry-After wait exactly the backoff given."""
    assert decide(service_error(status), backoff_wait=0.75) == 0.75


@pytest.mark.parametrize("error", [transport_error(), malformed(transient=True)])
def test_transport_and_transient_malformed_are_retried(error: Exception) -> None:
    """A connection error and an undecodable 200 body are retried after the backoff."""
    assert decide(error, backoff_wait=1.25) == 1.25


def test_custom_retry_statuses() -> None:
    """retry_statuses decides which statuses are retried."""
    policy = RetryPolicy(jitter=False, retry_statuses=frozenset({503}))
    assert decide(service_error(500), policy=policy) is None
    assert decide(service_error(503), policy=policy) == 0.75


def test_last_attempt_gives_up() -> None:
    """The attempt numbered max_attempts (or later) is not retried; the one before is."""
    policy = RetryPolicy(max_attempts=3, jitter=False)
    error = service_error(503)
    assert decide(error, policy=policy, attempt=2) == 0.75
    assert decide(error, policy=policy, attempt=3) is None
    assert decide(error, policy=policy, attempt=4) is None
    assert decide(error, policy=RetryPolicy(max_attempts=1), attempt=1) is None


@pytest.mark.parametrize("policy", [NO_JITTER, RetryPolicy(jitter=True)])
@pytest.mark.parametrize(("header", "wait"), [("3", 3.0), ("0", 0.0), ("2.5", 2.5), ("59.5", 59.5)])
def test_retry_after_used_exactly(policy: RetryPolicy, header: str, wait: float) -> None:
    """A Retry-After (0 included) is waited exactly, never jittered nor replaced by our backoff."""
    assert decide(service_error(429, header), policy=policy, backoff_wait=9.0) == wait
    assert decide(service_error(503, header), policy=policy, backoff_wait=0.1) == wait


def test_retry_after_above_max_fails_fast() -> None:
    """A Retry-After above max_retry_after is not waited: the error is raised at once."""
    assert decide(service_error(429, "121")) is None
    assert decide(service_error(429, "3600")) is None
    policy = RetryPolicy(max_retry_after=5.0, jitter=False)
    assert decide(service_error(503, "5"), policy=policy) == 5.0
    assert decide(service_error(503, "5.5"), policy=policy) is None


def test_retry_after_on_non_retryable_status_is_ignored() -> None:
    """A Retry-After on a 400 does not make it retryable."""
    assert decide(service_error(400, "1")) is None


def test_max_time_respected() -> None:
    """A wait that would end past max_time since the first attempt gives up; one ending exactly at it is allowed."""
    policy = RetryPolicy(max_time=10.0, jitter=False)
    error = service_error(500)
    assert decide(error, policy=policy, elapsed=8.0, backoff_wait=2.0) == 2.0
    assert decide(error, policy=policy, elapsed=8.5, backoff_wait=2.0) is None
    assert decide(service_error(429, "3"), policy=policy, elapsed=7.5) is None


def test_remaining_deadline_respected() -> None:
    """A wait reaching the operation's deadline (remaining) gives up; a shorter one is allowed."""
    error = service_error(502)
    assert decide(error, remaining=2.5, backoff_wait=2.0) == 2.0
    assert decide(error, remaining=2.0, backoff_wait=2.0) is None
    assert decide(error, remaining=0.0, backoff_wait=0.0) is None
    assert decide(service_error(429, "4"), remaining=3.0) is None


# --- resend_is_safe -----------------------------------------------------------------------------------------


def test_resend_is_safe_only_when_the_service_cannot_have_acted() -> None:
    """A POST may be resent only after a connection never made, or a 429/503 refusal with Retry-After."""
    assert resend_is_safe(TransportError("refused", request_sent=False))
    assert not resend_is_safe(TransportError("reset", request_sent=True))
    assert resend_is_safe(service_error(429, "1"))
    assert resend_is_safe(service_error(503, "1"))
    assert not resend_is_safe(service_error(429))
    assert not resend_is_safe(service_error(500, "1"))
    assert not resend_is_safe(malformed(transient=True))


# --- call_with_retries --------------------------------------------------------------------------------------


async def test_succeeds_after_failures_with_exact_sleeps() -> None:
    """Three retryable failures then success: the result is returned after sleeps 0.5, 1.0 and Retry-After 2.5."""
    clock = VirtualClock()
    attempt = Script(service_error(500), transport_error(), service_error(429, "2.5"), "ok")
    result = await call_with_retries(attempt, policy=NO_JITTER, clock=clock)
    assert result == "ok"
    assert attempt.calls == 4
    assert clock.sleeps == [0.5, 1.0, 2.5]
    assert clock.monotonic() == 4.0


async def test_success_first_time_never_sleeps() -> None:
    """A first attempt that succeeds returns at once without sleeping."""
    clock = VirtualClock()
    attempt = Script("ok")
    assert await call_with_retries(attempt, policy=RetryPolicy(), clock=clock) == "ok"
    assert clock.sleeps == []


async def test_policy_none_is_exactly_one_attempt() -> None:
    """With policy None a retryable error is raised after one attempt, without sleeping."""
    clock = VirtualClock()
    error = service_error(503)
    attempt = Script(error, "never")
    with pytest.raises(type(error)) as info:
        await call_with_retries(attempt, policy=None, clock=clock)
    assert info.value is error
    assert attempt.calls == 1
    assert clock.sleeps == []


async def test_gives_up_after_max_attempts_with_the_last_error() -> None:
    """After max_attempts failures the LAST error is raised, having slept between attempts only."""
    clock = VirtualClock()
    errors = [service_error(503), transport_error(), service_error(502)]
    attempt = Script(*errors, "never")
    with pytest.raises(ServiceError) as info:
        await call_with_retries(attempt, policy=RetryPolicy(max_attempts=3, jitter=False), clock=clock)
    assert info.value is errors[-1]
    assert attempt.calls == 3
    assert clock.sleeps == [0.5, 1.0]


async def test_retryable_predicate_saying_no_is_one_attempt() -> None:
    """A retryable predicate that refuses makes a retryable error final after one attempt."""
    clock = VirtualClock()
    seen: list[Exception] = []

    def refuse(error: Exception) -> bool:
        seen.append(error)
        return False

    error = transport_error()
    attempt = Script(error, "never")
    with pytest.raises(TransportError) as info:
        await call_with_retries(attempt, policy=NO_JITTER, clock=clock, retryable=refuse)
    assert info.value is error
    assert seen == [error]
    assert attempt.calls == 1
    assert clock.sleeps == []


async def test_retryable_predicate_saying_yes_retries() -> None:
    """A retryable predicate that accepts leaves the policy's decision in place."""
    clock = VirtualClock()
    attempt = Script(service_error(503), "ok")
    accept: Callable[[Exception], bool] = lambda _: True  # noqa: E731
    assert await call_with_retries(attempt, policy=NO_JITTER, clock=clock, retryable=accept) == "ok"
    assert clock.sleeps == [0.5]


async def test_non_retryable_error_raised_at_once() -> None:
    """A 404 is raised after one attempt."""
    clock = VirtualClock()
    attempt = Script(service_error(404), "never")
    with pytest.raises(ServiceError, match="404"):
        await call_with_retries(attempt, policy=NO_JITTER, clock=clock)
    assert attempt.calls == 1
    assert clock.sleeps == []


async def test_foreign_exception_not_retried() -> None:
    """An exception outside the library's request errors propagates from the first attempt."""
    clock = VirtualClock()
    attempt = Script(RuntimeError("bug"), "never")
    with pytest.raises(RuntimeError, match="bug"):
        await call_with_retries(attempt, policy=NO_JITTER, clock=clock)
    assert attempt.calls == 1


async def test_retry_after_above_cap_fails_fast_with_the_hint() -> None:
    """A 429 asking for an hour fails at once, carrying the server's hint."""
    clock = VirtualClock()
    attempt = Script(service_error(429, "3600"), "never")
    with pytest.raises(ServiceError) as info:
        await call_with_retries(attempt, policy=RetryPolicy(), clock=clock)
    assert info.value.retry_after == 3600.0
    assert attempt.calls == 1
    assert clock.sleeps == []


async def test_max_time_stops_retrying() -> None:
    """Retries stop when the next wait would pass max_time since the first attempt."""
    clock = VirtualClock()
    attempt = Script(*[service_error(500) for _ in range(10)])
    with pytest.raises(ServiceError):
        await call_with_retries(attempt, policy=RetryPolicy(max_attempts=10, max_time=3.6, jitter=False), clock=clock)
    assert clock.sleeps == [0.5, 1.0, 2.0]
    assert attempt.calls == 4


@pytest.mark.parametrize("deadline", [0.0, 0.4, 0.5, 1.2, 1.6, 3.0, 7.49, 7.5, 20.0])
async def test_never_sleeps_past_deadline(deadline: float) -> None:
    """Whatever the deadline, the loop never sleeps up to or past it, and says the deadline stopped it."""
    clock = VirtualClock()
    attempt = Script(*[service_error(503) for _ in range(20)])
    with pytest.raises(DeadlineReached) as info:
        await call_with_retries(
            attempt, policy=RetryPolicy(max_attempts=20, max_time=1000.0, jitter=False), clock=clock, deadline=deadline
        )
    assert isinstance(info.value.error, ServiceError)
    assert clock.monotonic() < deadline or clock.sleeps == []
    assert attempt.calls == len(clock.sleeps) + 1


async def test_deadline_with_retry_after() -> None:
    """A Retry-After that would reach the deadline is not waited: the deadline stops the call, with the error."""
    clock = VirtualClock()
    attempt = Script(service_error(503, "1"), service_error(503, "5"), "never")
    with pytest.raises(DeadlineReached) as info:
        await call_with_retries(attempt, policy=NO_JITTER, clock=clock, deadline=4.0)
    assert isinstance(info.value.error, ServiceError)
    assert info.value.error.retry_after == 5.0
    assert clock.sleeps == [1.0]


async def test_jittered_waits_within_backoff_bounds() -> None:
    """With jitter each sleep lies within [0, the unjittered backoff]."""
    clock = VirtualClock()
    attempt = Script(*[service_error(500) for _ in range(5)], "ok")
    policy = RetryPolicy(max_attempts=6, max_time=1000.0, jitter=True)
    assert await call_with_retries(attempt, policy=policy, clock=clock) == "ok"
    caps = [0.5, 1.0, 2.0, 4.0, 8.0]
    assert len(clock.sleeps) == 5
    assert all(0.0 <= wait <= cap for wait, cap in zip(clock.sleeps, caps, strict=True))
