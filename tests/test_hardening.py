"""Hardening found in review: secrets out of causes and locals, borrowed sessions, odd inputs, pickling."""

from __future__ import annotations

import asyncio
import copy
import pickle
from typing import Any

import aiohttp
import pytest

import doctrans_async as dt
from doctrans_async.emulator import Emulator
from tests.support import ENDPOINT, SECRET, MockedService


async def test_borrowed_session_raise_for_status_ignored(mocked: MockedService, clock: dt.VirtualClock) -> None:
    """A borrowed session created with raise_for_status=True still gives the library's typed errors."""
    mocked.get(
        f"{ENDPOINT}/translator/document/batches/b1?api-version=2024-05-01",
        status=404,
        payload={"error": {"code": "ResourceNotFound", "message": "no"}},
    )
    async with (
        aiohttp.ClientSession(raise_for_status=True) as session,
        dt.DocumentTranslationClient(
            ENDPOINT, key=SECRET, api_version="2024-05-01", session=session, clock=clock
        ) as client,
    ):
        with pytest.raises(dt.NotFoundError):
            await client.get_status("b1")


def every_error() -> list[dt.DocumentTranslationError]:
    """One instance of each library error, attributes filled in."""
    status = dt.BatchStatus(
        "b1",
        dt.Status.RUNNING,
        dt.VirtualClock().utcnow(),
        dt.VirtualClock().utcnow(),
        dt.StatusSummary(1, 0, 0, 1, 0, 0),
    )
    service: dict[str, Any] = {
        "code": "C",
        "message": "m",
        "request_id": "r",
        "retry_after": 2.0,
        "method": "GET",
        "url": "u",
    }
    return [
        dt.ServiceError(status=418, **service),
        dt.NotFoundError(status=404, inner_error=dt.ErrorDetail("I", "inner"), **service),
        dt.RateLimitError(status=429, **service),
        dt.TransportError("down", request_sent=False, method="GET", url="u"),
        dt.MalformedResponseError("bad", status=200, transient=True, method="GET", url="u"),
        dt.ContinuationLinkError("loop", method="GET", url="u"),
        dt.UnsupportedOperationError("no"),
        dt.ClientClosedError("closed"),
        dt.PollingTimeoutError("late", last_status=status),
        dt.ListingTimeoutError("late", next_link="https://h/x"),
    ]


@pytest.mark.parametrize("error", every_error(), ids=lambda e: type(e).__name__)
def test_errors_pickle_and_copy(error: dt.DocumentTranslationError) -> None:
    """Every error survives pickling (process pools, task queues) and copying, message and attributes alike."""
    for clone in (pickle.loads(pickle.dumps(error)), copy.copy(error)):
        assert type(clone) is type(error)
        assert str(clone) == str(error)
        assert vars(clone) == vars(error)


async def test_invalid_id_is_one_outcome_among_others(emulator: Emulator, live: dt.DocumentTranslationClient) -> None:
    """An id that cannot be one ('..') is that batch's outcome; the other batches are still waited on."""
    good = emulator.add_batch(documents=1, seconds=5)
    outcomes = await live.wait_all(["..", good])
    assert isinstance(outcomes[0].error, ValueError)
    assert outcomes[1].status is not None


async def test_hanging_token_refresh_bounded_by_the_deadline(mocked: MockedService, clock: dt.VirtualClock) -> None:
    """A credential that never answers cannot make wait_for_completion outlive its deadline."""

    class Stuck:
        async def get_token(self, *scopes: str) -> Any:
            await asyncio.Event().wait()

    async with dt.DocumentTranslationClient(
        ENDPOINT, credential=Stuck(), clock=clock, request_timeout=0.05, retry=dt.RetryPolicy(jitter=False)
    ) as client:
        # The first retry would wait 0.5 s: past the deadline, so the stuck credential ends the call as a timeout.
        with pytest.raises(dt.PollingTimeoutError) as caught:
            await asyncio.wait_for(client.wait_for_completion("b1", timeout=0.1), timeout=30)
    assert isinstance(caught.value.__cause__, dt.TransportError)
    assert "Stuck.get_token()" in str(caught.value.__cause__)
    assert not caught.value.__cause__.request_sent
    assert mocked.sent() == []


@pytest.mark.parametrize(
    "kwargs", [{"growth": 0.5}, {"initial_interval": 60, "max_interval": 30}, {"max_retry_after": 0}]
)
def test_poll_policy_refuses_policies_that_would_hammer(kwargs: dict[str, Any]) -> None:
    """A policy that would poll faster while nothing changes, or cap hints at nothing, is refused."""
    with pytest.raises(ValueError, match=r"growth|initial_interval|max_retry_after"):
        dt.PollPolicy(**kwargs)
