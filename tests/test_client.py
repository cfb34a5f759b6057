"""The aiohttp layer, with the network mocked by aioresponses: what is sent, how answers become results."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
import pytest
from aioresponses.compat import normalize_url

import doctrans_async as dt
from tests.support import ENDPOINT, SECRET, MockedService, batch_body, document_body

STATUS_URL = f"{ENDPOINT}/translator/document/batches/b1?api-version=2024-05-01"
DOCS_URL = f"{ENDPOINT}/translator/document/batches/b1/documents?maxpagesize=100&api-version=2024-05-01"


def page(ids: list[str], next_link: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"value": [document_body(i) for i in ids]}
    if next_link is not None:
        body["nextLink"] = next_link
    return body


async def test_get_status_sends_key_and_returns_typed_status(
    client: dt.DocumentTranslationClient, mocked: MockedService
) -> None:
    """get_status GETs the version's URL with the key header and returns a BatchStatus."""
    mocked.get(STATUS_URL, payload=batch_body("Running", success=1))
    status = await client.get_status("b1")
    assert status.status is dt.Status.RUNNING
    assert status.summary.success == 1
    assert status.created_at.tzinfo is not None
    [(method, url, headers)] = mocked.sent()
    assert (method, url) == ("GET", STATUS_URL)
    assert headers["Ocp-Apim-Subscription-Key"] == SECRET
    assert "Ocp-Apim-Subscription-Region" not in headers
    assert headers["User-Agent"].startswith("doctrans-async/")


@pytest.mark.parametrize(
    ("version", "url"),
    [
        ("v1.0-preview.1", f"{ENDPOINT}/translator/text/batch/v1.0-preview.1/batches/b1"),
        ("v1.0", f"{ENDPOINT}/translator/text/batch/v1.0/batches/b1"),
        ("2024-05-01", f"{ENDPOINT}/translator/document/batches/b1?api-version=2024-05-01"),
        ("2026-03-01", f"{ENDPOINT}/translator/document/batches/b1?api-version=2026-03-01"),
    ],
)
async def test_each_version_uses_its_own_layout(
    mocked: MockedService, clock: dt.VirtualClock, version: str, url: str
) -> None:
    """A plain version string selects that version's path layout and query."""
    mocked.get(url, payload=batch_body("Succeeded"))
    async with dt.DocumentTranslationClient(ENDPOINT, key=SECRET, api_version=version, clock=clock) as c:
        assert (await c.get_status("b1")).status is dt.Status.SUCCEEDED
        assert c.api_version == dt.ApiVersion(version)


async def test_region_header_sent_when_given(mocked: MockedService, clock: dt.VirtualClock) -> None:
    """region= adds Ocp-Apim-Subscription-Region to every request."""
    mocked.get(STATUS_URL, payload=batch_body())
    async with dt.DocumentTranslationClient(
        ENDPOINT, key=SECRET, region="westeurope", api_version="2024-05-01", clock=clock
    ) as c:
        await c.get_status("b1")
    [(_, _, headers)] = mocked.sent()
    assert headers["Ocp-Apim-Subscription-Region"] == "westeurope"


def test_default_version_is_newest_ga() -> None:
    """Without api_version the client speaks the newest GA version."""
    client = dt.DocumentTranslationClient(ENDPOINT, key=SECRET)
    assert client.api_version is dt.ApiVersion.V2026_03_01


@pytest.mark.parametrize("bad", ["2023-01-01", "v2", ""])
def test_unknown_version_is_a_clear_error(bad: str) -> None:
    """An api_version string that is no known version raises ValueError naming the known ones."""
    with pytest.raises(ValueError, match=r"known: v1\.0-preview\.1"):
        dt.DocumentTranslationClient(ENDPOINT, key=SECRET, api_version=bad)


@pytest.mark.parametrize("endpoint", ["ftp://x", "https://user:pw@x.test", "https://x.test/?q=1", "x.test"])
def test_bad_endpoint_rejected(endpoint: str) -> None:
    """An endpoint that is not a plain http(s) origin is refused at construction."""
    with pytest.raises(ValueError, match="endpoint"):
        dt.DocumentTranslationClient(endpoint, key=SECRET)


async def test_not_found_is_typed_with_request_id(client: dt.DocumentTranslationClient, mocked: MockedService) -> None:
    """A 404 raises NotFoundError carrying the service's code, message, target and request id, without retry."""
    mocked.get(
        STATUS_URL,
        status=404,
        payload={"error": {"code": "ResourceNotFound", "message": "Batch not found", "target": "Operation"}},
        headers={"apim-request-id": "req-42"},
    )
    with pytest.raises(dt.NotFoundError) as caught:
        await client.get_status("b1")
    error = caught.value
    assert (error.status, error.code, error.target, error.request_id) == (
        404,
        "ResourceNotFound",
        "Operation",
        "req-42",
    )
    assert "GET" in str(error)
    assert "req-42" in str(error)
    assert len(mocked.sent()) == 1


async def test_retry_after_obeyed_exactly(
    client: dt.DocumentTranslationClient, mocked: MockedService, clock: dt.VirtualClock
) -> None:
    """A 503 with Retry-After: 2 is retried after exactly 2 seconds (no jitter on the server's value)."""
    mocked.get(STATUS_URL, status=503, headers={"Retry-After": "2"})
    mocked.get(STATUS_URL, payload=batch_body("Succeeded"))
    assert (await client.get_status("b1")).status is dt.Status.SUCCEEDED
    assert clock.sleeps == [2.0]


async def test_rate_limit_raised_once_attempts_spent(mocked: MockedService, clock: dt.VirtualClock) -> None:
    """A 429 that never clears raises RateLimitError after max_attempts requests, with the server's hint."""
    mocked.get(STATUS_URL, status=429, headers={"Retry-After": "1"}, repeat=True)
    policy = dt.RetryPolicy(max_attempts=3)
    async with dt.DocumentTranslationClient(
        ENDPOINT, key=SECRET, api_version="2024-05-01", retry=policy, clock=clock
    ) as c:
        with pytest.raises(dt.RateLimitError) as caught:
            await c.get_status("b1")
    assert caught.value.retry_after == 1.0
    assert len(mocked.sent()) == 3
    assert clock.sleeps == [1.0, 1.0]


async def test_retry_none_sends_once(mocked: MockedService, clock: dt.VirtualClock) -> None:
    """retry=None turns retries off: one 500 raises ServerError at once."""
    mocked.get(STATUS_URL, status=500, body="oops", content_type="text/plain")
    async with dt.DocumentTranslationClient(
        ENDPOINT, key=SECRET, api_version="2024-05-01", retry=None, clock=clock
    ) as c:
        with pytest.raises(dt.ServerError):
            await c.get_status("b1")
    assert len(mocked.sent()) == 1
    assert clock.sleeps == []


async def test_connection_errors_retried_then_wrapped(
    client: dt.DocumentTranslationClient, mocked: MockedService, clock: dt.VirtualClock
) -> None:
    """Connection failures are retried with backoff and, once spent, raise TransportError chaining the cause."""
    mocked.get(STATUS_URL, exception=aiohttp.ClientConnectionError("refused"), repeat=True)
    with pytest.raises(dt.TransportError) as caught:
        await client.get_status("b1")
    assert isinstance(caught.value.__cause__, aiohttp.ClientConnectionError)
    assert len(mocked.sent()) == dt.RetryPolicy().max_attempts
    assert all(0 <= wait <= dt.RetryPolicy().max_backoff for wait in clock.sleeps)


async def test_timeout_becomes_transport_error(mocked: MockedService, clock: dt.VirtualClock) -> None:
    """A request timeout surfaces as TransportError, never a bare TimeoutError."""
    mocked.get(STATUS_URL, exception=TimeoutError())
    async with dt.DocumentTranslationClient(
        ENDPOINT, key=SECRET, api_version="2024-05-01", retry=None, clock=clock
    ) as c:
        with pytest.raises(dt.TransportError, match="TimeoutError"):
            await c.get_status("b1")


async def test_non_json_success_is_malformed(client: dt.DocumentTranslationClient, mocked: MockedService) -> None:
    """A 200 whose body is not JSON raises MalformedResponseError naming the request, after retrying it."""
    mocked.get(STATUS_URL, body="<html>proxy</html>", content_type="text/html", repeat=True)
    with pytest.raises(dt.MalformedResponseError) as caught:
        await client.get_status("b1")
    assert caught.value.status == 200
    assert STATUS_URL in str(caught.value)


async def test_wrong_shape_not_retried(client: dt.DocumentTranslationClient, mocked: MockedService) -> None:
    """A 200 JSON body of the wrong shape raises MalformedResponseError at once (a retry would not help)."""
    mocked.get(STATUS_URL, payload={"id": "b1"}, repeat=True)
    with pytest.raises(dt.MalformedResponseError, match="required field missing"):
        await client.get_status("b1")
    assert len(mocked.sent()) == 1


async def test_listing_follows_next_links(client: dt.DocumentTranslationClient, mocked: MockedService) -> None:
    """list_documents follows nextLink page after page and yields every document once, in order."""
    second = f"{DOCS_URL}&skip=2"
    mocked.get(DOCS_URL, payload=page(["a", "b"], second))
    mocked.get(second, payload=page(["c"]))
    assert [d.id async for d in client.list_documents("b1")] == ["a", "b", "c"]


async def test_v1_at_next_link_followed(mocked: MockedService, clock: dt.VirtualClock) -> None:
    """On v1.0 the '@nextLink' key is followed (the official SDK stops after page one there)."""
    first = f"{ENDPOINT}/translator/text/batch/v1.0/batches/b1/documents?$top=3&$maxpagesize=2"
    second = f"{ENDPOINT}/translator/text/batch/v1.0/batches/b1/documents?$skip=2&$top=1&$maxpagesize=2"
    mocked.get(first, payload={"value": [document_body("a"), document_body("b")], "@nextLink": second})
    mocked.get(second, payload={"value": [document_body("c")]})
    async with dt.DocumentTranslationClient(ENDPOINT, key=SECRET, api_version="v1.0", clock=clock) as c:
        assert [d.id async for d in c.list_documents("b1", top=3, page_size=2)] == ["a", "b", "c"]
    assert len(mocked.sent()) == 2  # aioresponses matched both URLs (it records them with sorted queries)


async def test_failed_page_retried_alone(
    client: dt.DocumentTranslationClient, mocked: MockedService, clock: dt.VirtualClock
) -> None:
    """A page that fails mid-listing is fetched again alone: nothing lost, nothing yielded twice."""
    second = f"{DOCS_URL}&skip=2"
    mocked.get(DOCS_URL, payload=page(["a", "b"], second))
    mocked.get(second, status=503, headers={"Retry-After": "1"})
    mocked.get(second, payload=page(["c"]))
    assert [d.id async for d in client.list_documents("b1")] == ["a", "b", "c"]
    assert clock.sleeps == [1.0]


async def test_top_caps_even_a_generous_server(client: dt.DocumentTranslationClient, mocked: MockedService) -> None:
    """top=2 yields at most 2 documents and stops following links, whatever the server sends."""
    url = f"{ENDPOINT}/translator/document/batches/b1/documents?top=2&skip=1&maxpagesize=100&api-version=2024-05-01"
    mocked.get(url, payload=page(["a", "b", "c"], f"{DOCS_URL}&skip=4"))
    assert [d.id async for d in client.list_documents("b1", top=2, skip=1)] == ["a", "b"]
    assert len(mocked.sent()) == 1


async def test_foreign_next_link_never_receives_the_key(
    client: dt.DocumentTranslationClient, mocked: MockedService
) -> None:
    """A next link to another origin raises ContinuationLinkError and no request goes there."""
    mocked.get(DOCS_URL, payload=page(["a"], "https://evil.test/steal?page=2"))
    with pytest.raises(dt.ContinuationLinkError, match="another origin"):
        async for _ in client.list_documents("b1"):
            pass
    assert [url for _, url, _ in mocked.sent()] == [str(normalize_url(DOCS_URL))]  # aioresponses sorts the query


async def test_repeated_next_link_is_an_error(client: dt.DocumentTranslationClient, mocked: MockedService) -> None:
    """A next link that leads back to a page already fetched (A→B→A) raises instead of looping, after the
    documents already fetched are delivered."""
    second = f"{DOCS_URL}&skip=1"
    mocked.get(DOCS_URL, payload=page(["a"], second))
    mocked.get(second, payload=page(["b"], DOCS_URL))
    seen: list[str] = []

    async def consume() -> None:
        async for doc in client.list_documents("b1"):
            seen.append(doc.id)

    with pytest.raises(dt.ContinuationLinkError, match="repeated"):
        await consume()
    assert seen == ["a", "b"]


async def test_pages_expose_resumable_links(client: dt.DocumentTranslationClient, mocked: MockedService) -> None:
    """iter_document_pages yields each page with its next link; resume_from continues from a saved one."""
    second = f"{DOCS_URL}&skip=2"
    mocked.get(DOCS_URL, payload=page(["a", "b"], second))
    mocked.get(second, payload=page(["c"]), repeat=True)
    pages = [p async for p in client.iter_document_pages("b1")]
    assert [(len(p.items), p.next_link) for p in pages] == [(2, second), (1, None)]
    resumed = [d.id async for d in client.list_documents("b1", resume_from=second)]
    assert resumed == ["c"]
    with pytest.raises(ValueError, match="resume_from"):
        async for _ in client.list_documents("b1", resume_from=second, top=1):
            pass


async def test_wait_returns_failed_batch_and_calls_async_callback(
    client: dt.DocumentTranslationClient, mocked: MockedService
) -> None:
    """wait_for_completion returns a Failed batch as a result and shows every status to an async on_status."""
    mocked.get(STATUS_URL, payload=batch_body("NotStarted"))
    mocked.get(STATUS_URL, payload=batch_body("Running"))
    mocked.get(STATUS_URL, payload=batch_body("Failed"))
    seen: list[dt.Status] = []

    async def on_status(status: dt.BatchStatus) -> None:
        seen.append(status.status)

    final = await client.wait_for_completion("b1", on_status=on_status)
    assert final.status is dt.Status.FAILED
    assert seen == [dt.Status.NOT_STARTED, dt.Status.RUNNING, dt.Status.FAILED]


async def test_cancelling_is_not_terminal(client: dt.DocumentTranslationClient, mocked: MockedService) -> None:
    """watch keeps polling through Cancelling and stops after Cancelled (either spelling)."""
    mocked.get(STATUS_URL, payload=batch_body("Cancelling"))
    mocked.get(STATUS_URL, payload=batch_body("Canceled"))
    assert [s.status async for s in client.watch("b1")] == [dt.Status.CANCELING, dt.Status.CANCELED]


async def test_wait_timeout_carries_last_status(
    client: dt.DocumentTranslationClient, mocked: MockedService, clock: dt.VirtualClock
) -> None:
    """A batch still running at the deadline raises PollingTimeoutError with the last status, never oversleeping."""
    mocked.get(STATUS_URL, payload=batch_body("Running"), repeat=True)
    with pytest.raises(dt.PollingTimeoutError) as caught:
        await client.wait_for_completion("b1", timeout=10)
    assert isinstance(caught.value, TimeoutError)
    assert caught.value.last_status is not None
    assert caught.value.last_status.status is dt.Status.RUNNING
    assert sum(clock.sleeps) == pytest.approx(10)


async def test_closed_client_is_a_clear_error(mocked: MockedService) -> None:
    """Using a client after close raises ClientClosedError; close is idempotent."""
    c = dt.DocumentTranslationClient(ENDPOINT, key=SECRET)
    await c.close()
    await c.close()
    with pytest.raises(dt.ClientClosedError):
        await c.get_status("b1")
    assert mocked.sent() == []


async def test_borrowed_session_is_not_closed(mocked: MockedService, clock: dt.VirtualClock) -> None:
    """A borrowed aiohttp session is used and left open when the client closes."""
    mocked.get(STATUS_URL, payload=batch_body())
    async with aiohttp.ClientSession() as session:
        async with dt.DocumentTranslationClient(
            ENDPOINT, key=SECRET, api_version="2024-05-01", session=session, clock=clock
        ) as c:
            await c.get_status("b1")
        assert not session.closed
    assert len(mocked.sent()) == 1


async def test_key_never_in_reprs_messages_or_logs(
    client: dt.DocumentTranslationClient, mocked: MockedService, caplog: pytest.LogCaptureFixture
) -> None:
    """The key appears in no repr, error message, error repr or log line."""
    caplog.set_level(logging.DEBUG, logger="doctrans_async")
    mocked.get(STATUS_URL, status=401, payload={"error": {"code": "401", "message": "Access denied"}})
    mocked.get(DOCS_URL, payload=page(["a"], "https://evil.test/x"))
    errors: list[BaseException] = []
    with pytest.raises(dt.AuthenticationError) as auth:
        await client.get_status("b1")
    errors.append(auth.value)
    with pytest.raises(dt.ContinuationLinkError) as link:
        async for _ in client.list_documents("b1"):
            pass
    errors.append(link.value)
    texts = [repr(client), *map(str, errors), *map(repr, errors), caplog.text]
    assert all(SECRET not in text for text in texts)


async def test_cancellation_propagates_from_a_poll_sleep(
    client: dt.DocumentTranslationClient, mocked: MockedService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cancelling the task awaiting wait_for_completion mid-sleep re-raises CancelledError at once."""
    mocked.get(STATUS_URL, payload=batch_body("Running"), repeat=True)
    sleeping = asyncio.Event()

    async def sleep_forever(seconds: float) -> None:
        sleeping.set()
        await asyncio.Event().wait()

    monkeypatch.setattr(client._clock, "sleep", sleep_forever)
    task = asyncio.create_task(client.wait_for_completion("b1"))
    await sleeping.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(mocked.sent()) == 1
