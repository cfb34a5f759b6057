"""Requests that change state (POST): what is sent, and that a retry can never start or translate twice."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

import doctrans_async as dt
from tests.support import ENDPOINT, SECRET, MockedService

TRANSLATE_URL = f"{ENDPOINT}/translator/document:translate?api-version=2024-05-01&targetLanguage=fr"


async def test_translate_document_bytes(client: dt.DocumentTranslationClient, mocked: MockedService) -> None:
    """translate_document posts the document with its query parameters and returns the bytes answered."""
    url = f"{TRANSLATE_URL}&sourceLanguage=en&category=c1&allowFallback=false"
    mocked.post(url, body=b"bonjour", content_type="application/octet-stream")
    out = await client.translate_document(
        b"hello", target_language="fr", source_language="en", category="c1", allow_fallback=False, filename="a.txt"
    )
    assert out == b"bonjour"
    [(_, _, headers)] = mocked.sent()
    assert headers["Ocp-Apim-Subscription-Key"] == SECRET


async def test_translate_document_needs_a_format(client: dt.DocumentTranslationClient, mocked: MockedService) -> None:
    """Bytes with neither content_type nor a filename to guess from raise ValueError; odd sources TypeError."""
    with pytest.raises(ValueError, match="content_type"):
        await client.translate_document(b"hello", target_language="fr")
    with pytest.raises(TypeError):
        await client.translate_document(42, target_language="fr")  # type: ignore[arg-type]
    assert mocked.sent() == []


async def test_translate_document_not_on_v1(mocked: MockedService, clock: dt.VirtualClock) -> None:
    """On v1.x single-document translation does not exist: UnsupportedOperationError before any request."""
    async with dt.DocumentTranslationClient(ENDPOINT, key=SECRET, api_version="v1.0", clock=clock) as c:
        with pytest.raises(dt.UnsupportedOperationError, match="2024-05-01"):
            await c.translate_document(b"x", target_language="fr", content_type="text/plain")
    assert mocked.sent() == []


async def test_translate_retry_rewinds_an_open_file(
    client: dt.DocumentTranslationClient, mocked: MockedService, tmp_path: Path
) -> None:
    """A 503 with Retry-After is retried, and the caller's open file is left open for them."""
    mocked.post(TRANSLATE_URL, status=503, headers={"Retry-After": "1"})
    mocked.post(TRANSLATE_URL, body=b"ok", content_type="application/octet-stream")
    path = tmp_path / "doc.txt"
    path.write_bytes(b"hello")
    with path.open("rb") as file:
        assert await client.translate_document(file, target_language="fr") == b"ok"
        assert not file.closed
    assert len(mocked.sent()) == 2


async def test_unseekable_stream_not_resent(
    client: dt.DocumentTranslationClient, mocked: MockedService, clock: dt.VirtualClock
) -> None:
    """A stream that cannot be rewound is not sent twice, even after a 503 with Retry-After."""

    class Pipe(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def seekable(self) -> bool:
            return False

        def readinto(self, buffer: Any) -> int:
            return 0

    mocked.post(TRANSLATE_URL, status=503, headers={"Retry-After": "1"})
    with pytest.raises(dt.ServerError):
        await client.translate_document(Pipe(), target_language="fr", content_type="text/plain")  # type: ignore[arg-type]
    assert clock.sleeps == []
