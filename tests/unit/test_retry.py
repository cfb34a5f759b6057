"""Unit tests of the retry policy and the pure retry decisions, and of the client's retry loop driven through a
scripted transport on a virtual clock."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

import pytest

from doctrans_async import DocumentTranslationClient, OperationTimeoutError
from doctrans_async._clock import VirtualClock
from doctrans_async._errors import (
    ContinuationLinkError,
    DocumentTranslationError,
    MalformedResponseError,
    ServiceError,
    TransportError,
)
from doctrans_async._retry import RetryPolicy, may_resend, resend_is_safe, retry_wait
from doctrans_async._sansio import Part, Request, Response, error_for
from tests.support import (
    FakeTransport,
    batch_body,
    client_over,
    error_response,
    respond,
    stalls,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)
REQUEST = Request("GET", "https://h.example/translator/document/batches/b1?api-version=2024-05-01")
POST = Request("POST", "https://h.example/translator/document/batches?api-version=2024-05-01", body=b"{}")
NO_JITTER = RetryPolicy(jitter=False)
OK = respond(200, batch_body("Succeeded"))


def service_error(status: int, retry_after: str | None = None) -> ServiceError:
    """The typed error the protocol layer builds for ``status`` (with an optional Retry-After header)."""
    headers = {"retry-after": retry_after} if retry_after is not None else {}
    body = json.dumps({"error": {"code": "Code", "message": "message"}}).encode()
    return error_for(REQUEST, Response.build(status, headers.items(), body), NOW)


def transport_error(*, sent: bool = True) -> TransportError:
    """A dropped connection (``sent``), or one never made."""
    return TransportError("connection reset", request_sent=sent, method="GET", url=REQUEST.url)


def malformed(*, transient: bool) -> MalformedResponseError:
    """A 200 whose body could not be read (transient) or had the wrong shape (not transient)."""
    return MalformedResponseError("bad body", status=200, transient=transient, method="GET", url=REQUEST.url)


def decide(
    error: Exception,
    *,
    policy: RetryPolicy = NO_JITTER,
    attempt: int = 1,
    elapsed: float = 0.0,
    backoff_wait: float = 0.75,
) -> float | None:
    """retry_wait with convenient defaults."""
    return retry_wait(policy, error, attempt=attempt, elapsed=elapsed, backoff_wait=backoff_wait)


def over(fake: FakeTransport, clock: VirtualClock, retry: RetryPolicy | None = NO_JITTER) -> DocumentTranslationClient:
    """A client sending through ``fake`` with ``retry``."""
    return client_over(fake, clock, retry=retry)


async def start(client: DocumentTranslationClient) -> str:
    """Start a one-container batch: a POST that must not start a second batch."""
    return await client.start_translation(
        source_url="https://s.example/src", target_url="https://s.example/dst", target_language="fr"
    )


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


# --- resend_is_safe, may_resend -----------------------------------------------------------------------------


def test_resend_is_safe_only_when_the_service_cannot_have_acted() -> None:
    """A POST may be resent only after a connection never made, or a 429/503 refusal with Retry-After."""
    assert resend_is_safe(TransportError("refused", request_sent=False))
    assert not resend_is_safe(TransportError("reset", request_sent=True))
    assert resend_is_safe(service_error(429, "1"))
    assert resend_is_safe(service_error(503, "1"))
    assert not resend_is_safe(service_error(429))
    assert not resend_is_safe(service_error(500, "1"))
    assert not resend_is_safe(malformed(transient=True))


@pytest.mark.parametrize(
    "error", [transport_error(), transport_error(sent=False), service_error(500), malformed(transient=True)]
)
def test_may_resend_any_get(error: Exception) -> None:
    """A GET changes nothing: whether it is sent again is the policy's business alone."""
    assert may_resend(REQUEST, error)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (transport_error(sent=False), True),
        (service_error(429, "1"), True),
        (service_error(503, "2"), True),
        (transport_error(), False),
        (service_error(503), False),
        (service_error(500, "1"), False),
        (malformed(transient=True), False),
    ],
)
def test_may_resend_post_only_where_safe(error: Exception, expected: bool) -> None:
    """A POST is sent again exactly where resend_is_safe says the service cannot have acted on it."""
    assert may_resend(POST, error) is expected
    assert resend_is_safe(error) is expected


@pytest.mark.parametrize(("source", "start"), [(b"bytes", None), (Path("doc.txt"), None), (io.BytesIO(b"seekable"), 0)])
def test_may_resend_upload_that_can_be_read_again(source: Any, start: int | None) -> None:
    """An upload of bytes, a path or a file that can seek back follows the POST rule."""
    request = Request("POST", POST.url, parts=(Part("document", "doc.txt", "text/plain", source, start),))
    assert may_resend(request, service_error(429, "1"))
    assert not may_resend(request, transport_error())


def test_may_resend_unrewindable_stream_only_if_never_sent() -> None:
    """A stream that cannot be read again is resent only when the connection was never made: not even after a
    429 refusal, whose body may have consumed the stream."""
    request = Request("POST", POST.url, parts=(Part("document", "doc.txt", "text/plain", io.BytesIO(b"x"), None),))
    assert may_resend(request, transport_error(sent=False))
    assert not may_resend(request, service_error(429, "1"))
    assert not may_resend(request, transport_error())


# --- the client's retry loop --------------------------------------------------------------------------------


async def test_succeeds_after_failures_with_exact_sleeps(fake: FakeTransport, clock: VirtualClock) -> None:
    """Three retryable failures then success: the result is returned after sleeps 0.5, 1.0 and Retry-After 2.5."""
    fake.add(error_response(500), transport_error(), error_response(429, "2.5"), OK)
    status = await over(fake, clock).get_status("b1")
    assert status.id == "b1"
    assert len(fake.sent) == 4
    assert clock.sleeps == [0.5, 1.0, 2.5]
    assert clock.monotonic() == 4.0
    assert set(fake.requests) == {fake.requests[0]}


async def test_retry_after_never_jittered_by_the_default_policy(fake: FakeTransport, clock: VirtualClock) -> None:
    """The default policy jitters its own backoff, never the server's Retry-After: that is slept exactly."""
    fake.add(error_response(429, "2.5"), error_response(503, "0"), error_response(503, "7"), OK)
    assert (await over(fake, clock, RetryPolicy()).get_status("b1")).id == "b1"
    assert clock.sleeps == [2.5, 0.0, 7.0]


async def test_success_first_time_never_sleeps(fake: FakeTransport, clock: VirtualClock) -> None:
    """A first attempt that succeeds returns at once without sleeping."""
    fake.add(OK)
    assert (await over(fake, clock, RetryPolicy()).get_status("b1")).id == "b1"
    assert clock.sleeps == []
    assert len(fake.sent) == 1


async def test_policy_none_is_exactly_one_attempt(fake: FakeTransport, clock: VirtualClock) -> None:
    """With retry=None a retryable error is raised after one attempt, without sleeping."""
    error = transport_error()
    fake.add(error, OK)
    with pytest.raises(TransportError) as info:
        await over(fake, clock, None).get_status("b1")
    assert info.value is error
    assert len(fake.sent) == 1
    assert clock.sleeps == []


async def test_policy_none_service_error_one_attempt(fake: FakeTransport, clock: VirtualClock) -> None:
    """With retry=None a 503 is raised as it came, after one attempt."""
    fake.add(error_response(503), OK)
    with pytest.raises(ServiceError) as info:
        await over(fake, clock, None).get_status("b1")
    assert info.value.status == 503
    assert len(fake.sent) == 1
    assert clock.sleeps == []


async def test_gives_up_after_max_attempts_with_the_last_error(fake: FakeTransport, clock: VirtualClock) -> None:
    """After max_attempts failures the LAST error is raised, having slept between attempts only."""
    fake.add(error_response(503), transport_error(), error_response(502), OK)
    with pytest.raises(ServiceError) as info:
        await over(fake, clock, RetryPolicy(max_attempts=3, jitter=False)).get_status("b1")
    assert info.value.status == 502
    assert len(fake.sent) == 3
    assert clock.sleeps == [0.5, 1.0]


async def test_post_not_resent_after_it_may_have_arrived(fake: FakeTransport, clock: VirtualClock) -> None:
    """A POST whose connection dropped after sending is not sent again (a second batch could start): the error
    is raised after one attempt, although the policy retries transport errors."""
    error = transport_error()
    fake.add(error, respond(201, {"id": "never"}))
    with pytest.raises(TransportError) as info:
        await start(over(fake, clock))
    assert info.value is error
    assert [request.method for request in fake.requests] == ["POST"]
    assert clock.sleeps == []


@pytest.mark.parametrize("status", [500, 502, 504])
async def test_post_not_resent_after_a_server_error(fake: FakeTransport, clock: VirtualClock, status: int) -> None:
    """A POST answered 5xx (the batch may exist) is not sent again."""
    fake.add(error_response(status, "1"), respond(201, {"id": "never"}))
    with pytest.raises(ServiceError):
        await start(over(fake, clock))
    assert len(fake.sent) == 1
    assert clock.sleeps == []


async def test_post_resent_when_the_connection_was_never_made(fake: FakeTransport, clock: VirtualClock) -> None:
    """A POST that never reached the service is sent again after the backoff, as a GET would be."""
    fake.add(transport_error(sent=False), respond(201, {"id": "new-batch"}))
    assert await start(over(fake, clock)) == "new-batch"
    assert [request.method for request in fake.requests] == ["POST", "POST"]
    assert fake.requests[0] == fake.requests[1]
    assert clock.sleeps == [0.5]


async def test_post_resent_after_a_refusal_with_retry_after(fake: FakeTransport, clock: VirtualClock) -> None:
    """A POST refused with 429 or 503 and a Retry-After is sent again after exactly that wait."""
    fake.add(error_response(429, "3"), error_response(503, "1.5"), respond(201, {"id": "new-batch"}))
    assert await start(over(fake, clock)) == "new-batch"
    assert len(fake.sent) == 3
    assert clock.sleeps == [3.0, 1.5]


async def test_unrewindable_upload_resent_only_if_never_sent(fake: FakeTransport, clock: VirtualClock) -> None:
    """A document from a stream that cannot seek is sent again only when the connection was never made."""

    class Pipe(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def seekable(self) -> bool:
            return False

    fake.add(transport_error(sent=False), error_response(429, "1"), respond(200, b"never"))
    client = over(fake, clock)
    with pytest.raises(ServiceError) as info:
        await client.translate_document(Pipe(), target_language="fr", content_type="text/plain")  # type: ignore[arg-type]
    assert info.value.status == 429
    assert len(fake.sent) == 2
    assert clock.sleeps == [0.5]


async def test_non_retryable_error_raised_at_once(fake: FakeTransport, clock: VirtualClock) -> None:
    """A 404 is raised after one attempt."""
    fake.add(error_response(404), OK)
    with pytest.raises(ServiceError, match="404"):
        await over(fake, clock).get_status("b1")
    assert len(fake.sent) == 1
    assert clock.sleeps == []


async def test_transient_malformed_body_retried(fake: FakeTransport, clock: VirtualClock) -> None:
    """A 200 whose body is cut off is fetched again; one of the wrong shape is raised at once."""
    fake.add(respond(200, b'{"id": "b1", "sta'), OK)
    assert (await over(fake, clock).get_status("b1")).id == "b1"
    assert clock.sleeps == [0.5]
    fake.add(respond(200, {"id": 7}), OK)
    with pytest.raises(MalformedResponseError):
        await over(fake, clock).get_status("b1")
    assert len(fake.sent) == 3


async def test_foreign_exception_not_retried(fake: FakeTransport, clock: VirtualClock) -> None:
    """An exception outside the library's request errors propagates from the first attempt."""
    fake.add(RuntimeError("bug"), OK)
    with pytest.raises(RuntimeError, match="bug"):
        await over(fake, clock).get_status("b1")
    assert len(fake.sent) == 1


async def test_retry_after_above_cap_fails_fast_with_the_hint(fake: FakeTransport, clock: VirtualClock) -> None:
    """A 429 asking for an hour fails at once, carrying the server's hint."""
    fake.add(error_response(429, "3600"), OK)
    with pytest.raises(ServiceError) as info:
        await over(fake, clock, RetryPolicy()).get_status("b1")
    assert info.value.retry_after == 3600.0
    assert len(fake.sent) == 1
    assert clock.sleeps == []


async def test_max_time_stops_retrying(fake: FakeTransport, clock: VirtualClock) -> None:
    """Retries stop when the next wait would pass max_time since the first attempt."""
    fake.add(*[error_response(500) for _ in range(10)])
    with pytest.raises(ServiceError):
        await over(fake, clock, RetryPolicy(max_attempts=10, max_time=3.6, jitter=False)).get_status("b1")
    assert clock.sleeps == [0.5, 1.0, 2.0]
    assert len(fake.sent) == 4


@pytest.mark.parametrize(
    "deadline",
    [0.4, 0.5, 1.2, 1.6, 3.0, 7.49, 7.5, 20.0],
)
async def test_never_sleeps_past_deadline(fake: FakeTransport, clock: VirtualClock, deadline: float) -> None:
    """Whatever the deadline, the loop never sleeps up to or past it, and says the deadline stopped it: an
    OperationTimeoutError (a TimeoutError) caused by the last failure."""
    fake.add(*[error_response(503) for _ in range(20)])
    client = over(fake, clock, RetryPolicy(max_attempts=20, max_time=1000.0, jitter=False))
    with pytest.raises(OperationTimeoutError) as info:
        await client.get_status("b1", timeout=deadline)
    assert isinstance(info.value, TimeoutError)
    assert isinstance(info.value.__cause__, ServiceError)
    assert clock.monotonic() < deadline or clock.sleeps == []
    assert len(fake.sent) == len(clock.sleeps) + 1
    assert {sent.at for _, sent in fake.sent} == {deadline}


async def test_deadline_with_retry_after(fake: FakeTransport, clock: VirtualClock) -> None:
    """A Retry-After that would reach the deadline is not waited: the deadline stops the call, with the error."""
    fake.add(error_response(503, "1"), error_response(503, "5"), OK)
    with pytest.raises(OperationTimeoutError) as info:
        await over(fake, clock).get_status("b1", timeout=4.0)
    assert isinstance(info.value.__cause__, ServiceError)
    assert info.value.__cause__.retry_after == 5.0
    assert clock.sleeps == [1.0]


@pytest.mark.parametrize(
    ("timeout", "backoff", "sleeps"),
    [
        pytest.param(2.5, 2.0, [2.0], id="shorter-wait-allowed"),
        pytest.param(2.0, 2.0, [], id="wait-reaching-deadline"),
        pytest.param(3.0, None, [], id="retry-after-past-deadline"),
    ],
)
async def test_deadline_allows_only_waits_ending_before_it(
    fake: FakeTransport, clock: VirtualClock, timeout: float, backoff: float | None, sleeps: list[float]
) -> None:
    """A wait ending before the deadline is slept; one ending at or past it is not (a Retry-After 0 at a deadline
    of 0 included), and the call then times out with the failure as its cause."""
    policy = RetryPolicy(initial_backoff=backoff or 0.5, jitter=False)
    failure = error_response(502) if backoff is not None else error_response(429, "0" if timeout == 0 else "4")
    fake.add(failure, OK)
    client = over(fake, clock, policy)
    if sleeps:
        assert (await client.get_status("b1", timeout=timeout)).id == "b1"
    else:
        with pytest.raises(OperationTimeoutError) as info:
            await client.get_status("b1", timeout=timeout)
        assert isinstance(info.value.__cause__, ServiceError)
    assert clock.sleeps == sleeps


async def test_request_cut_in_flight_is_the_calls_timeout(fake: FakeTransport, clock: VirtualClock) -> None:
    """A request the transport cut off at the deadline is not retried: the call raises OperationTimeoutError
    caused by what was cut short."""
    fake.add(stalls(clock), OK)
    with pytest.raises(OperationTimeoutError) as info:
        await over(fake, clock).get_status("b1", timeout=5.0)
    assert isinstance(info.value.__cause__, TransportError)
    assert len(fake.sent) == 1


async def test_jittered_waits_within_backoff_bounds(fake: FakeTransport, clock: VirtualClock) -> None:
    """With jitter each sleep lies within [0, the unjittered backoff]."""
    fake.add(*[error_response(500) for _ in range(5)], OK)
    policy = RetryPolicy(max_attempts=6, max_time=1000.0, jitter=True)
    assert (await over(fake, clock, policy).get_status("b1")).id == "b1"
    caps = [0.5, 1.0, 2.0, 4.0, 8.0]
    assert len(clock.sleeps) == 5
    assert all(0.0 <= wait <= cap for wait, cap in zip(clock.sleeps, caps, strict=True))


@pytest.mark.parametrize("call", ["get_status", "get_document_status", "cancel_translation", "get_supported_formats"])
async def test_timeout_zero_sends_nothing(fake: FakeTransport, clock: VirtualClock, call: str) -> None:
    """timeout=0 is no time at all: every call raises OperationTimeoutError at once and sends nothing."""
    fake.add(OK)
    client = over(fake, clock)
    args = {"get_status": ("b1",), "get_document_status": ("b1", "d1"), "cancel_translation": ("b1",)}
    with pytest.raises(OperationTimeoutError) as info:
        await getattr(client, call)(*args.get(call, ()), timeout=0)
    assert info.value.__cause__ is None
    assert fake.sent == []
