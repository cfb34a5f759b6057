"""The rest of the batch API at the aiohttp layer (aioresponses): URLs, filters, bodies, results."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

import doctrans_async as dt
from tests.support import ENDPOINT, SECRET, MockedService, batch_body, document_body

BASE = f"{ENDPOINT}/translator/document"
V1 = f"{ENDPOINT}/translator/text/batch/v1.0"
Q = "api-version=2024-05-01"


async def test_cancel_translation(client: dt.DocumentTranslationClient, mocked: MockedService) -> None:
    """cancel_translation sends DELETE to the batch and returns the status the service answers."""
    mocked.delete(f"{BASE}/batches/b1?{Q}", payload=batch_body("Cancelling"))
    status = await client.cancel_translation("b1")
    assert status.status is dt.Status.CANCELING
    [(method, _, _)] = mocked.sent()
    assert method == "DELETE"


async def test_get_document_status(client: dt.DocumentTranslationClient, mocked: MockedService) -> None:
    """get_document_status reads one document at its own URL, the id quoted as one path segment."""
    mocked.get(f"{BASE}/batches/b1/documents/d%251?{Q}", payload=document_body("d%1", "Running"))
    document = await client.get_document_status("b1", "d%1")
    assert (document.id, document.status) == ("d%1", dt.Status.RUNNING)


async def test_list_batches_with_filters(client: dt.DocumentTranslationClient, mocked: MockedService) -> None:
    """list_batches sends ids, statuses, dates and order as the 2024 API names them, and pages through."""
    after = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    first = (
        f"{BASE}/batches?top=3&ids=a,b&statuses=Succeeded,Cancelled"
        f"&createdDateTimeUtcStart=2024-01-02T03:04:05.000000Z&orderby=createdDateTimeUtc%20desc&maxpagesize=100&{Q}"
    )
    second = f"{BASE}/batches?skip=2&top=1&{Q}"
    mocked.get(first, payload={"value": [batch_body(batch_id="a"), batch_body(batch_id="b")], "nextLink": second})
    mocked.get(second, payload={"value": [batch_body(batch_id="c")]})
    listed = [
        b.id
        async for b in client.list_batches(
            top=3, ids=["a", "b"], statuses=[dt.Status.SUCCEEDED, "Canceled"], created_after=after, order_by="desc"
        )
    ]
    assert listed == ["a", "b", "c"]


async def test_v1_filters_use_dollar_orderby(mocked: MockedService, clock: dt.VirtualClock) -> None:
    """On v1.0 the order parameter is $orderBy and batch pages use '@nextLink'."""
    mocked.get(
        f"{V1}/batches?$orderBy=createdDateTimeUtc%20asc&$maxpagesize=100",
        payload={"value": [batch_body(batch_id="x")], "@nextLink": None},
    )
    async with dt.DocumentTranslationClient(ENDPOINT, key=SECRET, api_version="v1.0", clock=clock) as c:
        assert [b.id async for b in c.list_batches(order_by="asc")] == ["x"]


@pytest.mark.parametrize(
    "kwargs",
    [{"ids": "abc"}, {"created_after": datetime(2024, 1, 1)}, {"order_by": "newest"}],
)
async def test_bad_filters_fail_before_sending(
    client: dt.DocumentTranslationClient, mocked: MockedService, kwargs: dict[str, Any]
) -> None:
    """A string for ids, a naive datetime or an unknown order is a clear error before any request."""
    with pytest.raises((TypeError, ValueError)):
        async for _ in client.list_batches(**kwargs):
            pass
    assert mocked.sent() == []


async def test_filters_refused_on_preview(mocked: MockedService, clock: dt.VirtualClock) -> None:
    """v1.0-preview.1 has no filters: asking for one raises UnsupportedOperationError, nothing sent."""
    async with dt.DocumentTranslationClient(ENDPOINT, key=SECRET, api_version="v1.0-preview.1", clock=clock) as c:
        with pytest.raises(dt.UnsupportedOperationError, match="ids"):
            async for _ in c.list_documents("b1", ids=["d1"]):
                pass
    assert mocked.sent() == []


@pytest.mark.parametrize(
    ("version", "kind", "url"),
    [
        ("2024-05-01", "document", f"{BASE}/formats?type=document&{Q}"),
        ("2024-05-01", "glossary", f"{BASE}/formats?type=glossary&{Q}"),
        ("v1.0", "document", f"{V1}/documents/formats"),
        ("v1.0", "glossary", f"{V1}/glossaries/formats"),
    ],
)
async def test_supported_formats(
    mocked: MockedService, clock: dt.VirtualClock, version: str, kind: str, url: str
) -> None:
    """get_supported_formats reads each version's formats route into FileFormat models."""
    fmt = {"format": "PlainText", "fileExtensions": [".txt"], "contentTypes": ["text/plain"], "versions": []}
    mocked.get(url, payload={"value": [fmt]})
    async with dt.DocumentTranslationClient(ENDPOINT, key=SECRET, api_version=version, clock=clock) as c:
        [got] = await c.get_supported_formats(kind)  # type: ignore[arg-type]
    assert got == dt.FileFormat("PlainText", (".txt",), ("text/plain",))


async def test_storage_sources(mocked: MockedService, clock: dt.VirtualClock) -> None:
    """get_storage_sources reads v1.x's list; on 2024-05-01 it is refused before any request."""
    mocked.get(f"{V1}/storagesources", payload={"value": ["AzureBlob"]})
    async with dt.DocumentTranslationClient(ENDPOINT, key=SECRET, api_version="v1.0", clock=clock) as c:
        assert await c.get_storage_sources() == ["AzureBlob"]
    async with dt.DocumentTranslationClient(ENDPOINT, key=SECRET, api_version="2024-05-01", clock=clock) as c:
        with pytest.raises(dt.UnsupportedOperationError):
            await c.get_storage_sources()
    assert len(mocked.sent()) == 1


async def test_as_completed_and_wait_all(client: dt.DocumentTranslationClient, mocked: MockedService) -> None:
    """wait_all keeps input order and every outcome; as_completed yields each as it ends, errors included."""
    mocked.get(f"{BASE}/batches/done?{Q}", payload=batch_body("Succeeded", batch_id="done"), repeat=True)
    mocked.get(f"{BASE}/batches/gone?{Q}", status=404, payload={"error": {"code": "ResourceNotFound", "message": "x"}})
    mocked.get(f"{BASE}/batches/gone?{Q}", status=404, payload={"error": {"code": "ResourceNotFound", "message": "x"}})
    outcomes = await client.wait_all(["gone", "done"], concurrency=1)
    assert [o.batch_id for o in outcomes] == ["gone", "done"]
    assert isinstance(outcomes[0].error, dt.NotFoundError)
    assert outcomes[1].status is not None
    streamed = {o.batch_id: o async for o in client.as_completed(["done", "gone"], concurrency=2)}
    assert set(streamed) == {"done", "gone"}


async def test_credential_sends_bearer_token(mocked: MockedService, clock: dt.VirtualClock) -> None:
    """With credential= the request carries Authorization: Bearer and no key header."""

    class Token:
        token = "t0k3n"
        expires_on = 4_000_000_000

    class Credential:
        async def get_token(self, *scopes: str) -> Token:
            return Token()

    mocked.get(re.compile(r".*/batches/b1\?.*"), payload=batch_body())
    async with dt.DocumentTranslationClient(ENDPOINT, credential=Credential(), region="westus", clock=clock) as c:
        await c.get_status("b1")
    [(_, _, headers)] = mocked.sent()
    assert headers["Authorization"] == "Bearer t0k3n"
    assert headers["Ocp-Apim-Subscription-Region"] == "westus"
    assert "Ocp-Apim-Subscription-Key" not in headers


def test_key_and_credential_are_exclusive() -> None:
    """Passing both key and credential, or neither, is a clear error."""
    with pytest.raises(ValueError, match="exactly one"):
        dt.DocumentTranslationClient(ENDPOINT)
