"""The public client driven through each real recorded scenario, over a loopback replay of the service's answers.

Each test checks field by field that nothing the service said was lost: every batch and document exactly once,
every wire field carried, timestamps to the microsecond, next links followed as written, errors typed with the
recorded code, message, target, inner error and request id. Time is virtual and retries are off: nothing sleeps.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import re
from collections.abc import AsyncIterator, Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

import doctrans_async as dt
from tests.recorded.replay import Replay, assert_error_matches, assert_lossless, load


@contextlib.asynccontextmanager
async def replaying(
    name: str, *, extra: Iterable[Mapping[str, Any]] = ()
) -> AsyncIterator[tuple[Replay, dt.DocumentTranslationClient]]:
    """A replay of cassette ``name`` and a client of it at the cassette's API version; every entry must be used."""
    cassette = load(name)
    async with Replay(cassette, extra=extra) as replay:
        try:
            async with dt.DocumentTranslationClient(
                replay.endpoint,
                key="recorded-key",
                api_version=cassette["api_version"],
                retry=None,
                clock=dt.VirtualClock(),
            ) as client:
                yield replay, client
        except Exception as failure:
            # A request the cassette did not expect is the cause of whatever failed next: name it first.
            if replay.mismatches:
                raise AssertionError("\n".join(replay.mismatches)) from failure
            raise
        replay.check_done()


def body(replay: Replay, index: int) -> Any:
    """Entry ``index``'s JSON body, hosts rewritten as the client saw them."""
    entry = replay.entries[index]
    return _localised(replay, entry["body"])


def _localised(replay: Replay, value: Any) -> Any:
    if isinstance(value, str):
        return replay.local(value)
    if isinstance(value, dict):
        return {key: _localised(replay, item) for key, item in value.items()}
    if isinstance(value, list):
        return [_localised(replay, item) for item in value]
    return value


def header(replay: Replay, index: int, name: str) -> str:
    """Entry ``index``'s response header ``name`` (any case)."""
    headers = {key.lower(): str(value) for key, value in replay.entries[index]["headers"].items()}
    return headers[name.lower()]


def assert_items(wire_items: list[dict[str, Any]], items: list[Any]) -> None:
    """Every recorded item exactly once, in order, each carried without loss."""
    assert [item.id for item in items] == [wire["id"] for wire in wire_items]
    assert len({item.id for item in items}) == len(items)
    for index, (wire, item) in enumerate(zip(wire_items, items, strict=True)):
        assert_lossless(wire, item, f"value[{index}]")


# --- batches: start, poll, cancel ---------------------------------------------------------------------------


async def test_v1_0_start_poll_cancel() -> None:
    """v1.0: the 202's empty body and its 'translatortext' Operation-Location give the id; DELETE answers the
    current (NotStarted) status; the next poll says Cancelled (double L), all fields kept."""
    async with replaying("py-v1.0-start-cancel") as (replay, client):
        batch_id = await client.start_translation(source_url="s", target_url="t", target_language="es")
        assert batch_id == "24514f35-1632-49f6-bfc0-65372c766a06"
        assert_lossless(body(replay, 1), await client.get_status(batch_id))
        cancelling = await client.cancel_translation(batch_id)
        assert cancelling.status is dt.Status.NOT_STARTED
        assert_lossless(body(replay, 2), cancelling)
        final = await client.wait_for_completion(batch_id)
        assert final.status is dt.Status.CANCELED
        assert_lossless(body(replay, 3), final)


async def test_2024_start_cancel_poll_through_stale_cached_statuses() -> None:
    """2024-05-01: the id from the 202 body; DELETE says Cancelling; polling goes on through the cached NotStarted
    answers until Cancelled; each status read in full."""
    async with replaying("py-2024-05-01-start-cancel-poll") as (replay, client):
        batch_id = await client.start_translation(source_url="s", target_url="t", target_language="es")
        assert batch_id == "d23ee5c2-1e7b-48b4-8299-c9d998ac83f9"
        cancelling = await client.cancel_translation(batch_id)
        assert cancelling.status is dt.Status.CANCELING
        assert_lossless(body(replay, 1), cancelling)
        seen = [status async for status in client.watch(batch_id)]
        assert [s.status for s in seen] == [dt.Status.NOT_STARTED] * 22 + [dt.Status.CANCELED]
        for offset, status in enumerate(seen):
            assert_lossless(body(replay, 2 + offset), status, f"poll {offset}")
        again = await client.get_status(batch_id)
        assert_lossless(body(replay, len(replay.entries) - 1), again)


async def test_2024_poll_list_and_get_one_document() -> None:
    """2024-05-01: polls honour Retry-After: 1 (on virtual time), then the listing's one document and the same
    document fetched alone carry every recorded field."""
    async with replaying("js-2024-05-01-poll-list-get-document") as (replay, client):
        batch_id = "ec0dbd5a-3c95-4209-b768-4122e90e6a50"
        final = await client.wait_for_completion(batch_id)
        assert final.status is dt.Status.SUCCEEDED
        assert_lossless(body(replay, 5), final)
        documents = [d async for d in client.list_documents(batch_id)]
        assert_items(body(replay, 6)["value"], documents)
        document = await client.get_document_status(batch_id, documents[0].id)
        assert_lossless(body(replay, 7), document)


async def test_v1_0_preview_1_start_poll_and_page_through_every_next_link() -> None:
    """v1.0-preview.1: the id from Operation-Location; after the polls, page_size=2 is sent as $maxpagesize and
    every @nextLink is followed exactly as written, to the last page: ten documents, each once."""
    async with replaying("py-v1.0-preview.1-start-poll-list-paged") as (replay, client):
        batch_id = await client.start_translation(source_url="s", target_url="t", target_language="es")
        assert batch_id == "1435b24d-5d63-4843-954c-aa0dd334a0de"
        final = await client.wait_for_completion(batch_id)
        assert final.status is dt.Status.SUCCEEDED
        assert_lossless(body(replay, 19), final)
        pages = [page async for page in client.iter_document_pages(batch_id, skip=0, page_size=2)]
        first_listing = 20
        wire_pages = [body(replay, first_listing + n) for n in range(len(pages))]
        assert [page.next_link for page in pages] == [wire.get("@nextLink") for wire in wire_pages]
        assert_items([item for wire in wire_pages for item in wire["value"]], [d for p in pages for d in p.items])
        assert len({d.id for p in pages for d in p.items}) == 10
        sent = [received.target for received in replay.received[first_listing:]]
        assert sent == [replay.recorded_target(first_listing + n) for n in range(len(pages))]


# --- listings -----------------------------------------------------------------------------------------------

SYNTHETIC_LAST_PAGE: dict[str, Any] = {
    "method": "GET",
    "status": 200,
    "headers": {"Content-Type": "application/json; charset=utf-8", "apim-request-id": "synthetic"},
    "body": {"value": []},
}


async def test_2024_ordered_batch_listing_follows_the_link_with_a_raw_space() -> None:
    """The real 2024-05-01 batch listing answers '@nextLink' with an unencoded space ('orderBy=createdDateTimeUtc
    asc'): the client follows it, the space as %20 and every other byte as written. (The recording stops after
    page one, so the second page is a synthetic empty last page.)"""
    recorded = load("py-2024-05-01-batches-orderby-page1")
    link: str = recorded["entries"][0]["body"]["@nextLink"]
    assert " " in link
    async with replaying(
        "py-2024-05-01-batches-orderby-page1", extra=[{**SYNTHETIC_LAST_PAGE, "uri": link.replace(" ", "%20")}]
    ) as (replay, client):
        pages = [page async for page in client.iter_batch_pages(order_by="asc")]
        wire = body(replay, 0)
        assert pages[0].next_link == replay.local(link).replace(" ", "%20")
        assert pages[1].next_link is None
        assert_items(wire["value"], pages[0].items)
        assert len(pages[0].items) == 50
        failed = [b for b in pages[0].items if b.error is not None]
        assert failed, "the recorded page holds ValidationFailed batches with errors"
        sent_link = urlsplit_target(replay.local(link).replace(" ", "%20"))
        assert replay.received[1].target == sent_link


def urlsplit_target(url: str) -> str:
    """The request target (path and query) of an absolute URL, as given."""
    scheme_and_host, _, rest = url.partition("://")[2].partition("/")
    assert scheme_and_host
    return f"/{rest}"


async def test_resume_from_a_real_link_with_a_raw_space() -> None:
    """resume_from= takes the service's link as written (raw space included) and sends it like a next link."""
    recorded = load("py-2024-05-01-batches-orderby-page1")
    link: str = recorded["entries"][0]["body"]["@nextLink"]
    cassette = {"name": "resume", "entries": [{**SYNTHETIC_LAST_PAGE, "uri": link.replace(" ", "%20")}]}
    async with Replay(cassette) as replay:
        async with dt.DocumentTranslationClient(
            replay.endpoint, key="k", api_version="2024-05-01", retry=None, clock=dt.VirtualClock()
        ) as client:
            assert [b async for b in client.list_batches(resume_from=replay.local(link))] == []
        replay.check_done()
        assert replay.received[0].target == urlsplit_target(replay.local(link).replace(" ", "%20"))


async def test_v1_0_resume_at_the_recorded_link_reads_the_last_page() -> None:
    """v1.0: resuming at the recorded '$skip=855&$top=22&$maxpagesize=50' link gives its 22 batches; the last
    page has no @nextLink, so the listing ends there."""
    async with replaying("py-v1.0-batches-last-page") as (replay, client):
        link = replay.local(replay.cassette["previous_page_next_link"])
        pages = [page async for page in client.iter_batch_pages(resume_from=link)]
        assert [page.next_link for page in pages] == [None]
        assert_items(body(replay, 0)["value"], pages[0].items)
        assert len(pages[0].items) == 22
        assert replay.received[0].target == replay.recorded_target(0)


async def test_2024_documents_with_skip() -> None:
    """2024-05-01: skip=2 sent as 'skip', one page without a next-link key, every document carried."""
    async with replaying("py-2024-05-01-documents-skip") as (replay, client):
        documents = [d async for d in client.list_documents("17b218b1-f16b-442b-b203-bee1182df674", skip=2)]
        assert_items(body(replay, 0)["value"], documents)


# --- formats ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"), [("py-2024-05-01-document-formats", "document"), ("py-v1.0-glossary-formats", "glossary")]
)
async def test_formats_carry_every_field(name: str, kind: Any) -> None:
    """The real formats lists (defaultVersion, versions, type where sent) are carried item by item."""
    async with replaying(name) as (replay, client):
        formats = await client.get_supported_formats(kind)
        wire = body(replay, 0)["value"]
        assert len(formats) == len(wire)
        for index, (item, kept) in enumerate(zip(wire, formats, strict=True)):
            assert_lossless(item, kept, f"value[{index}]")


# --- errors -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["net-2024-05-01-formats-401", "net-v1.0-formats-401"])
async def test_gateway_401_is_typed_with_its_string_code(name: str) -> None:
    """The gateway's 401 (code "401", a message, no target) is an AuthenticationError carrying both, and the
    request id."""
    async with replaying(name) as (replay, client):
        with pytest.raises(dt.AuthenticationError) as caught:
            await client.get_supported_formats("document")
    assert caught.value.status == 401
    assert_error_matches(body(replay, 0)["error"], caught.value)
    assert caught.value.request_id == header(replay, 0, "apim-request-id")


async def test_unknown_document_404_with_an_empty_body_is_typed() -> None:
    """The real 404 of an unknown document has no body at all: still a NotFoundError, with the request id.

    The recording asked for the ids 'Foo Bar' and ' ', which this client refuses before sending (an id with
    whitespace cannot be one); the recorded answers are replayed for an unknown id it does send."""
    cassette = copy.deepcopy(load("js-2024-05-01-document-404-empty-body"))
    for entry in cassette["entries"][1:3]:
        entry["uri"] = re.sub(r"/documents/[^?]*", "/documents/unknown-document", entry["uri"])
    async with Replay(cassette) as replay:
        async with dt.DocumentTranslationClient(
            replay.endpoint, key="recorded-key", api_version=cassette["api_version"], retry=None
        ) as client:
            batch_id = await client.start_translation(source_url="s", target_url="t", target_language="es")
            assert batch_id == "e1f4b786-fc77-43e4-a31d-4b816f963718"
            for refused in ("Foo Bar", " "):
                with pytest.raises(ValueError, match="whitespace"):
                    await client.get_document_status(batch_id, refused)
            for index in (1, 2):
                with pytest.raises(dt.NotFoundError) as caught:
                    await client.get_document_status(batch_id, "unknown-document")
                assert (caught.value.status, caught.value.code) == (404, "NotFound")
                assert caught.value.request_id == header(replay, index, "apim-request-id")
        replay.check_done()


# --- single documents ---------------------------------------------------------------------------------------


def glossary_files(tmp_path: Path, parts: list[dict[str, Any]]) -> list[Path]:
    """The recorded glossary parts written as files (their names give the format)."""
    files = []
    for number, part in enumerate(p for p in parts if p["name"] == "glossary"):
        folder = tmp_path / str(number)
        folder.mkdir()
        path = folder / part["filename"]
        path.write_text(part["data"])
        files.append(path)
    return files


def sent_parts(replay: Replay) -> list[dict[str, Any]]:
    """The multipart parts of the single request, in the cassette's notation."""
    (received,) = replay.received
    return [
        {"name": name, "filename": filename, "content_type": content_type, "data": data.decode()}
        for name, filename, content_type, data in received.parts
    ]


async def test_translate_document_returns_the_recorded_bytes(tmp_path: Path) -> None:
    """The translated document comes back byte for byte; the upload has the recorded part."""
    async with replaying("py-2024-05-01-translate-document") as (replay, client):
        (document,) = replay.cassette["request"]["parts"]
        translated = await client.translate_document(
            document["data"].encode(),
            target_language="hi",
            content_type=document["content_type"],
            filename=document["filename"],
        )
    assert translated == base64.b64decode(replay.entries[0]["body_b64"])
    assert sent_parts(replay) == replay.cassette["request"]["parts"]


async def test_translate_document_with_two_glossaries_is_an_invalid_request(tmp_path: Path) -> None:
    """Two glossaries: the recorded 400 InvalidRequest, with target and inner error, typed and kept whole."""
    async with replaying("py-2024-05-01-translate-document-400") as (replay, client):
        parts = replay.cassette["request"]["parts"]
        with pytest.raises(dt.InvalidRequestError) as caught:
            await client.translate_document(
                parts[0]["data"].encode(),
                target_language="hi",
                content_type=parts[0]["content_type"],
                filename=parts[0]["filename"],
                glossaries=glossary_files(tmp_path, parts),
            )
    assert_error_matches(body(replay, 0)["error"], caught.value)
    assert caught.value.inner_error == dt.ErrorDetail(
        "MaxGlossaryFilesExceeded", "The maximum number of glossary files has been exceeded."
    )
    assert caught.value.request_id == header(replay, 0, "apim-request-id")
    assert sent_parts(replay) == parts


# --- the loop guards still hold on real links ---------------------------------------------------------------


async def test_a_repeated_real_link_is_refused_after_its_page() -> None:
    """A page whose @nextLink names the page itself (raw space and all) is delivered, then the loop is refused."""
    recorded = load("py-2024-05-01-batches-orderby-page1")
    link: str = recorded["entries"][0]["body"]["@nextLink"]
    looping = {**SYNTHETIC_LAST_PAGE, "uri": link.replace(" ", "%20"), "body": {"value": [], "@nextLink": link}}
    async with replaying("py-2024-05-01-batches-orderby-page1", extra=[looping]) as (replay, client):
        got: list[dt.BatchStatus] = []

        async def drain() -> None:
            async for batch in client.list_batches(order_by="asc"):
                got.append(batch)

        with pytest.raises(dt.ContinuationLinkError, match="repeated"):
            await drain()
        assert len(got) == 50
        assert len(replay.received) == 2


async def test_a_request_the_cassette_does_not_expect_is_reported_with_both_sides() -> None:
    """The replay is strict: a different request fails the test, naming what was sent and what was recorded."""
    with pytest.raises(AssertionError, match=r"(?s)GET /translator/text/batch/v1.0/documents/formats.*recorded: GET"):
        async with replaying("py-v1.0-glossary-formats") as (_, client):
            await client.get_supported_formats("document")


async def test_an_entry_never_asked_for_is_reported() -> None:
    """Stopping before the cassette's end fails too: every recorded answer must be read."""
    with pytest.raises(AssertionError, match="entries never requested"):
        async with replaying("py-v1.0-start-cancel") as (_, client):
            await client.start_translation(source_url="s", target_url="t", target_language="es")
