"""Timeouts that are not numbers of seconds are refused at once, everywhere a timeout is taken: NaN must never
come to mean "wait forever", nor infinity or a negative number anything at all."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

import doctrans_async as dt
from tests.support import ENDPOINT, SECRET, FakeTransport, client_over

BAD = [math.nan, math.inf, -math.inf, -1.0, -0.001]

CALLS: dict[str, Callable[[dt.DocumentTranslationClient, float], Any]] = {
    "get_status": lambda c, t: c.get_status("b1", timeout=t),
    "get_document_status": lambda c, t: c.get_document_status("b1", "d1", timeout=t),
    "cancel_translation": lambda c, t: c.cancel_translation("b1", timeout=t),
    "start_translation": lambda c, t: c.start_translation(
        source_url="s", target_url="t", target_language="fr", timeout=t
    ),
    "get_supported_formats": lambda c, t: c.get_supported_formats(timeout=t),
    "translate_document": lambda c, t: c.translate_document(b"x", target_language="fr", filename="a.txt", timeout=t),
    "wait_for_completion": lambda c, t: c.wait_for_completion("b1", timeout=t),
    "wait_all": lambda c, t: c.wait_all(["b1"], timeout=t),
}
GENERATORS: dict[str, Callable[[dt.DocumentTranslationClient, float], Any]] = {
    "watch": lambda c, t: c.watch("b1", timeout=t),
    "list_documents": lambda c, t: c.list_documents("b1", timeout=t),
    "iter_document_pages": lambda c, t: c.iter_document_pages("b1", timeout=t),
    "list_batches": lambda c, t: c.list_batches(timeout=t),
    "iter_batch_pages": lambda c, t: c.iter_batch_pages(timeout=t),
    "as_completed": lambda c, t: c.as_completed(["b1"], timeout=t),
}


@pytest.mark.parametrize("timeout", BAD, ids=repr)
@pytest.mark.parametrize("call", sorted(CALLS))
async def test_coroutines_refuse_a_timeout_that_is_not_seconds(
    fake: FakeTransport, clock: dt.VirtualClock, call: str, timeout: float
) -> None:
    """Every coroutine refuses it with ValueError, before any request."""
    with pytest.raises(ValueError, match="timeout"):
        await CALLS[call](client_over(fake, clock), timeout)
    assert fake.sent == []


@pytest.mark.parametrize("timeout", BAD, ids=repr)
@pytest.mark.parametrize("call", sorted(GENERATORS))
def test_generators_refuse_it_when_called(
    fake: FakeTransport, clock: dt.VirtualClock, call: str, timeout: float
) -> None:
    """Listings and watch refuse it when called, not at their first item (no event loop is even needed)."""
    with pytest.raises(ValueError, match="timeout"):
        GENERATORS[call](client_over(fake, clock), timeout)
    assert fake.sent == []


@pytest.mark.parametrize("value", [math.nan, math.inf, 0.0, -1.0])
@pytest.mark.parametrize(
    "make",
    [
        lambda v: dt.RetryPolicy(max_time=v),
        lambda v: dt.RetryPolicy(initial_backoff=v),
        lambda v: dt.RetryPolicy(max_backoff=v),
        lambda v: dt.RetryPolicy(max_retry_after=v),
        lambda v: dt.PollPolicy(initial_interval=v),
        lambda v: dt.PollPolicy(max_interval=v),
        lambda v: dt.PollPolicy(retry_after_cap=v),
        lambda v: dt.DocumentTranslationClient(ENDPOINT, key=SECRET, request_timeout=v),
    ],
)
def test_policies_refuse_seconds_that_are_not(make: Callable[[float], object], value: float) -> None:
    """A policy's seconds are finite and > 0."""
    with pytest.raises(ValueError, match=r"must be a finite number( of seconds)? > 0"):
        make(value)


@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_poll_policy_factors_are_finite(value: float) -> None:
    """The schedule's growth and age fraction are finite numbers too."""
    with pytest.raises(ValueError, match="growth must be a finite number"):
        dt.PollPolicy(growth=value)
    with pytest.raises(ValueError, match="age_fraction must be a finite number"):
        dt.PollPolicy(age_fraction=value)
