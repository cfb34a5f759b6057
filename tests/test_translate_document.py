"""``DocumentTranslationClient.translate_document`` against the emulator over real sockets, on virtual time, and at
the aiohttp layer (aioresponses): what is sent, and what is never sent twice."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import doctrans_async as dt
from doctrans_async.emulator import Emulator, Fault
from tests.hostile_server import Seen, hostile
from tests.support import ENDPOINT, SECRET, MockedService

WORD = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TRANSLATE_URL = f"{ENDPOINT}/translator/document:translate?api-version=2024-05-01&targetLanguage=fr"


@pytest.fixture(params=["2024-05-01", "2026-03-01"])
async def translator(
    request: pytest.FixtureRequest, emulator: Emulator, clock: dt.VirtualClock
) -> AsyncIterator[dt.DocumentTranslationClient]:
    """A client of the emulator at each API version that has single-document translation."""
    async with dt.DocumentTranslationClient(
        emulator.endpoint, key=emulator.key, api_version=request.param, clock=clock
    ) as client:
        yield client


def translations(emulator: Emulator) -> list[int | None]:
    """The statuses of the document:translate requests the emulator received, in order."""
    return [r.status for r in emulator.requests if r.route == "translate"]


# --- documents in every form --------------------------------------------------------------------------


async def test_bytes_come_back_translated(translator: dt.DocumentTranslationClient) -> None:
    """Bytes with a file name to tell the format come back with each line marked ``[fr]``."""
    translated = await translator.translate_document(b"Hello\n\nWorld\n", target_language="fr", filename="a.txt")
    assert translated == b"[fr] Hello\n\n[fr] World\n"


async def test_a_path_is_uploaded_and_its_suffix_gives_the_format(
    translator: dt.DocumentTranslationClient, tmp_path: Path
) -> None:
    """A Markdown file by path, several MiB so it streams in chunks, is translated line by line."""
    source = tmp_path / "notes.md"
    source.write_bytes(b"# heading\n" * 400_000)
    translated = await translator.translate_document(source, target_language="de")
    assert translated == b"[de] # heading\n" * 400_000


async def test_an_open_file_is_sent_from_where_it_stands(
    translator: dt.DocumentTranslationClient, tmp_path: Path
) -> None:
    """An open binary file is read from its current position; its name gives the format."""
    source = tmp_path / "page.html"
    source.write_bytes(b"skipped\n<p>kept</p>\n")
    with source.open("rb") as file:
        file.readline()
        translated = await translator.translate_document(file, target_language="es")
    assert translated == b"[es] <p>kept</p>\n"


async def test_a_binary_document_comes_back_unchanged(translator: dt.DocumentTranslationClient) -> None:
    """A Word document (content type given explicitly) comes back byte for byte: the emulator keeps binaries."""
    docx = bytes(range(256)) * 16
    translated = await translator.translate_document(docx, target_language="fr", content_type=WORD)
    assert translated == docx


async def test_glossaries_by_path_and_open_file_are_applied(
    translator: dt.DocumentTranslationClient, tmp_path: Path
) -> None:
    """A TSV glossary by path and a CSV one as an open file each replace their terms before translation (one per
    request: the real service refuses a second glossary)."""
    (tmp_path / "animals.tsv").write_text("cat\tchat\n")
    (tmp_path / "places.csv").write_text("garden,jardin\n")
    story = b"the cat in the garden\n"
    by_path = await translator.translate_document(
        story, target_language="fr", filename="story.txt", glossaries=[tmp_path / "animals.tsv"]
    )
    with (tmp_path / "places.csv").open("rb") as places:
        by_file = await translator.translate_document(
            story, target_language="fr", filename="story.txt", glossaries=[places]
        )
    assert by_path == b"[fr] the chat in the garden\n"
    assert by_file == b"[fr] the cat in the jardin\n"


async def test_source_language_category_and_allow_fallback_reach_the_service(
    translator: dt.DocumentTranslationClient, emulator: Emulator
) -> None:
    """The optional parameters arrive as the query the service documents; unset ones are not sent."""
    await translator.translate_document(
        b"x", target_language="fr", source_language="en", category="tech", allow_fallback=False, filename="a.txt"
    )
    await translator.translate_document(b"x", target_language="fr", filename="a.txt")
    first, second = (r.query for r in emulator.requests)
    assert (first["sourceLanguage"], first["category"], first["allowFallback"]) == ("en", "tech", "false")
    assert set(second) == {"api-version", "targetLanguage"}
    assert first["api-version"] == translator.api_version


# --- errors ----------------------------------------------------------------------------------------------


async def test_a_blank_target_language_is_the_services_invalid_argument(
    translator: dt.DocumentTranslationClient, emulator: Emulator
) -> None:
    """An empty target is refused before sending; a blank one reaches the service, which answers 400."""
    with pytest.raises(ValueError, match="target_language"):
        await translator.translate_document(b"x", target_language="", filename="a.txt")
    assert emulator.requests == []
    with pytest.raises(dt.InvalidRequestError) as refused:
        await translator.translate_document(b"x", target_language=" ", filename="a.txt")
    assert (refused.value.code, refused.value.target) == ("InvalidArgument", "targetLanguage")


async def test_an_unsupported_format_is_invalid_request_invalid_format(
    translator: dt.DocumentTranslationClient, emulator: Emulator
) -> None:
    """A PDF (batch-only) is refused with 400 InvalidFormat, sent once: a 400 is not retried."""
    with pytest.raises(dt.InvalidRequestError) as refused:
        await translator.translate_document(b"%PDF-1.7", target_language="fr", filename="a.pdf")
    assert (refused.value.status, refused.value.code, refused.value.target) == (400, "InvalidFormat", "ContentType")
    assert translations(emulator) == [400]


async def test_a_document_over_the_limit_is_a_413_service_error(clock: dt.VirtualClock) -> None:
    """Past max_document_bytes the service answers 413 RequestEntityTooLarge; the client raises it, unretried."""
    emulator = Emulator(clock=clock, max_document_bytes=1000)
    async with emulator, dt.DocumentTranslationClient(emulator.endpoint, key=emulator.key, clock=clock) as client:
        with pytest.raises(dt.ServiceError) as refused:
            await client.translate_document(b"x" * 1001, target_language="fr", filename="big.txt")
    assert type(refused.value) is dt.ServiceError
    assert (refused.value.status, refused.value.code) == (413, "RequestEntityTooLarge")
    assert translations(emulator) == [413]


async def test_a_503_with_retry_after_is_retried_and_the_file_sent_again_whole(
    translator: dt.DocumentTranslationClient, emulator: Emulator, clock: dt.VirtualClock, tmp_path: Path
) -> None:
    """503 with Retry-After: 3 means the service did nothing; the client waits 3 s and re-sends the whole file."""
    emulator.faults.script("translate", [Fault.http(503, retry_after=3)])
    source = tmp_path / "a.txt"
    source.write_bytes(b"line one\nline two\n")
    with source.open("rb") as file:
        translated = await translator.translate_document(file, target_language="fr")
    assert translated == b"[fr] line one\n[fr] line two\n"
    assert translations(emulator) == [503, 200]
    assert clock.monotonic() == pytest.approx(3)


async def test_a_500_is_not_retried(translator: dt.DocumentTranslationClient, emulator: Emulator) -> None:
    """A 500 may come after the document was translated (and charged): ServerError after one request."""
    emulator.faults.script("translate", [Fault.http(500)])
    with pytest.raises(dt.ServerError) as failed:
        await translator.translate_document(b"x", target_language="fr", filename="a.txt")
    assert failed.value.status == 500
    assert translations(emulator) == [500]


@pytest.mark.parametrize("version", ["v1.0-preview.1", "v1.0"])
async def test_v1_versions_refuse_before_any_request(emulator: Emulator, clock: dt.VirtualClock, version: str) -> None:
    """v1.x has no single-document translation: UnsupportedOperationError naming 2024-05-01, nothing sent."""
    async with dt.DocumentTranslationClient(
        emulator.endpoint, key=emulator.key, api_version=version, clock=clock
    ) as client:
        with pytest.raises(dt.UnsupportedOperationError, match="2024-05-01"):
            await client.translate_document(b"x", target_language="fr", filename="a.txt")
    assert emulator.requests == []


async def test_two_megabytes_of_bytes_raise_no_warning(translator: dt.DocumentTranslationClient) -> None:
    """Large bytes are streamed in slices, not handed to aiohttp whole (which warns that it blocks the loop; and
    warnings are errors here)."""
    document = b"hello world\n" * 180_000  # a little over 2 MiB
    translated = await translator.translate_document(document, target_language="fr", filename="big.txt")
    assert translated.count(b"\n") == 180_000
    assert translated.startswith(b"[fr] hello world\n")


# --- request_timeout -----------------------------------------------------------------------------------


async def test_translate_document_timeout(emulator: Emulator, clock: dt.VirtualClock) -> None:
    """translate_document's request_timeout replaces the client's for that call: too short fails, long enough
    works."""
    emulator.faults.script("translate", [Fault.slow(0.3), Fault.slow(0.3)])
    async with dt.DocumentTranslationClient(
        emulator.endpoint, key=emulator.key, clock=clock, request_timeout=0.05
    ) as client:
        with pytest.raises(dt.TransportError):
            await client.translate_document(b"hello", target_language="fr", filename="a.txt")
        translated = await client.translate_document(
            b"hello", target_language="fr", filename="a.txt", request_timeout=5
        )
    assert b"hello" in translated


# --- at the aiohttp layer (aioresponses) ---------------------------------------------------------------


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


@pytest.mark.parametrize("ending", ["dropped", "stalled"])
async def test_a_translation_cut_off_is_an_error_not_a_shorter_document(clock: dt.VirtualClock, ending: str) -> None:
    """A 200 whose body stops short (the connection dropped, or stalled until request_timeout) is a
    MalformedResponseError, never the bytes that came as if they were the document; the POST is not resent."""
    posts: list[Seen] = []

    def answer(seen: Seen) -> bytes:
        posts.append(seen)
        return b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\npartial"

    async with (
        hostile(answer, stall=ending == "stalled") as endpoint,
        dt.DocumentTranslationClient(
            endpoint, key=SECRET, api_version="2024-05-01", clock=clock, request_timeout=0.5
        ) as client,
    ):
        with pytest.raises(dt.MalformedResponseError, match="cut off"):
            await client.translate_document(b"hello", filename="a.txt", target_language="fr")
    assert len(posts) == 1
