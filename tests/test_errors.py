"""The library's errors as values: each survives pickling and copying, message and attributes alike."""

from __future__ import annotations

import copy
import pickle
from typing import Any

import pytest

import doctrans_async as dt


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
