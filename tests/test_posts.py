"""Requests that change state (POST): what is sent, and that a retry can never start or translate twice."""

from __future__ import annotations

import asyncio
import io
import json
import socket
from pathlib import Path
from typing import Any

import aiohttp
import pytest

import doctrans_async as dt
from tests.support import ENDPOINT, SECRET, MockedService

START_URL = f"{ENDPOINT}/translator/document/batches?api-version=2024-05-01"
TRANSLATE_URL = f"{ENDPOINT}/translator/document:translate?api-version=2024-05-01&targetLanguage=fr"
OPERATION = f"{ENDPOINT}/translator/document/batches/new-batch?api-version=2024-05-01"


def sent_json(mocked: MockedService) -> list[Any]:
    """The JSON bodies of the requests made."""
    return [json.loads(call.kwargs["data"]) for calls in mocked.requests.values() for call in calls]


async def test_start_translation_simple_form(client: dt.DocumentTranslationClient, mocked: MockedService) -> None:
    """The simple form posts one input with one target and returns the id from the body."""
    mocked.post(START_URL, status=202, payload={"id": "new-batch", "status": "NotStarted"})
    batch_id = await client.start_translation(
        source_url="https://s.blob/src", target_url="https://s.blob/fr", target_language="fr", category="general"
    )
    assert batch_id == "new-batch"
    [body] = sent_json(mocked)
    assert body == {
        "inputs": [
            {
                "source": {"sourceUrl": "https://s.blob/src"},
                "targets": [{"targetUrl": "https://s.blob/fr", "language": "fr", "category": "general"}],
            }
        ]
    }
    [(_, _, headers)] = mocked.sent()
    assert headers["Content-Type"] == "application/json"


async def test_start_translation_typed_inputs(client: dt.DocumentTranslationClient, mocked: MockedService) -> None:
    """Typed inputs carry glossaries, filters, storage type and source language onto the wire."""
    mocked.post(START_URL, status=202, headers={"Operation-Location": OPERATION}, body="")
    item = dt.TranslationInput(
        "https://s.blob/src",
        [dt.TranslationTarget("https://s.blob/de", "de", glossaries=[dt.Glossary("https://s.blob/g.tsv", "TSV")])],
        source_language="en",
        storage_type=dt.StorageType.FOLDER,
        suffix=".docx",
    )
    assert await client.start_translation(item) == "new-batch"
    [body] = sent_json(mocked)
    assert body["inputs"][0] == {
        "source": {"sourceUrl": "https://s.blob/src", "language": "en", "filter": {"suffix": ".docx"}},
        "targets": [
            {
                "targetUrl": "https://s.blob/de",
                "language": "de",
                "glossaries": [{"glossaryUrl": "https://s.blob/g.tsv", "format": "TSV"}],
            }
        ],
        "storageType": "Folder",
    }


async def test_start_translation_raw_dict(client: dt.DocumentTranslationClient, mocked: MockedService) -> None:
    """A raw request dict is sent exactly as given."""
    raw = {"inputs": [{"source": {"sourceUrl": "u"}, "targets": [{"targetUrl": "t", "language": "fr"}]}], "x": 1}
    mocked.post(START_URL, status=202, payload={"id": "new-batch", "status": "NotStarted"})
    await client.start_translation(raw)
    assert sent_json(mocked) == [raw]


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"source_url": "u"}, {"inputs": [], "source_url": "u", "target_url": "t", "target_language": "fr"}],
)
async def test_start_translation_argument_errors(
    client: dt.DocumentTranslationClient, mocked: MockedService, kwargs: dict[str, Any]
) -> None:
    """Incomplete or conflicting arguments raise ValueError before any request."""
    with pytest.raises(ValueError, match="inputs"):
        await client.start_translation(**kwargs)
    assert mocked.sent() == []


async def test_start_not_retried_after_a_500(client: dt.DocumentTranslationClient, mocked: MockedService) -> None:
    """A 500 on the POST is raised at once: the batch may have started, a retry could start a second."""
    mocked.post(START_URL, status=500, payload={"error": {"code": "InternalServerError", "message": "x"}})
    with pytest.raises(dt.ServerError):
        await client.start_translation(source_url="u", target_url="t", target_language="fr")
    assert len(mocked.sent()) == 1


async def test_start_not_retried_after_a_drop(client: dt.DocumentTranslationClient, mocked: MockedService) -> None:
    """A connection dropped after sending is raised at once, marked as possibly sent."""
    mocked.post(START_URL, exception=aiohttp.ServerDisconnectedError())
    with pytest.raises(dt.TransportError) as caught:
        await client.start_translation(source_url="u", target_url="t", target_language="fr")
    assert caught.value.request_sent
    assert len(mocked.sent()) == 1


@pytest.mark.parametrize("status", [429, 503])
async def test_start_retried_after_refusal_with_retry_after(
    client: dt.DocumentTranslationClient, mocked: MockedService, clock: dt.VirtualClock, status: int
) -> None:
    """A 429/503 with Retry-After refused the request outright, so the POST is sent again after the wait."""
    mocked.post(START_URL, status=status, headers={"Retry-After": "3"})
    mocked.post(START_URL, status=202, payload={"id": "new-batch", "status": "NotStarted"})
    assert await client.start_translation(source_url="u", target_url="t", target_language="fr") == "new-batch"
    assert clock.sleeps == [3.0]


async def test_post_retried_when_connection_never_made(clock: dt.VirtualClock) -> None:
    """A refused connection (nothing sent) is retried even for a POST, then raised with request_sent False."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    policy = dt.RetryPolicy(max_attempts=3)
    async with dt.DocumentTranslationClient(f"http://127.0.0.1:{port}", key=SECRET, retry=policy, clock=clock) as c:
        with pytest.raises(dt.TransportError) as caught:
            await c.start_translation(source_url="u", target_url="t", target_language="fr")
    assert not caught.value.request_sent
    assert len(clock.sleeps) == 2


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


async def test_started_batch_kept_when_the_202_body_is_cut_off(clock: dt.VirtualClock) -> None:
    """A 202 whose body stops short of its Content-Length still names the batch in Operation-Location: the id is
    returned, and the POST is not sent again (it started a batch)."""
    posts: list[bytes] = []
    batch = "0123abcd-0000-4000-8000-000000000001"

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))[15:])
        posts.append(head + await reader.readexactly(length))
        host = head.split(b"Host: ")[1].split(b"\r\n")[0].decode()
        writer.write(
            b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 400\r\n"
            + f"Operation-Location: http://{host}/translator/document/batches/{batch}?api-version=2024-05-01\r\n\r\n".encode()
            + b'{"id": "0123abcd-0000-4000-'
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    endpoint = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    try:
        async with dt.DocumentTranslationClient(
            endpoint, key=SECRET, api_version=dt.ApiVersion.V2024_05_01, clock=clock
        ) as client:
            started = await client.start_translation(
                source_url="https://a.blob.core.windows.net/src", target_url="https://a/t", target_language="fr"
            )
    finally:
        server.close()
        await server.wait_closed()
    assert started == batch
    assert len(posts) == 1
