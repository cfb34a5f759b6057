"""What the service supports, at the aiohttp layer (aioresponses): get_supported_formats and get_storage_sources on
each version's routes."""

from __future__ import annotations

import pytest

import doctrans_async as dt
from tests.support import BASE, ENDPOINT, SECRET, V1, MockedService, Q


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
