"""Paths, bodies, headers and error answers of every API version, checked against the reference's facts."""

from __future__ import annotations

import hashlib
import json
import uuid

import pytest

from doctrans_async._clock import VirtualClock

from . import TIMESTAMP, VERSIONS, serve

# Verbatim from the real service's recordings (reference/recorded/), so the tests run from any checkout.
RECORDED_VALIDATION_FAILED = (
    '{"id":"e84bc959-ec9c-4588-85f1-29719ce32860","createdDateTimeUtc":"2024-10-11T02:18:42.6957534Z",'
    '"lastActionDateTimeUtc":"2024-10-11T02:18:42.9776928Z","status":"ValidationFailed","error":{"code":'
    '"InvalidRequest","message":"Cannot access source document location with the current permissions.",'
    '"target":"Operation","innerError":{"code":"InvalidDocumentAccessLevel","message":"Cannot access source '
    'document location with the current permissions."}},"summary":{"total":0,"failed":0,"success":0,'
    '"inProgress":0,"notYetStarted":0,"cancelled":0,"totalCharacterCharged":0}}'
)
RECORDED_DOCUMENT = (
    '{"path":"https://fakeendpoint.blob.core.windows.net/targetb5c6db82-edba-4d01-b7d1-5943f5d8b41a/'
    'fed97c03-bae4-41b5-bff2-45c1a7ddf3a7.txt","sourcePath":"https://fakeendpoint.blob.core.windows.net/'
    'srcf2f828be-0e80-4e59-8db6-143f7a943535/fed97c03-bae4-41b5-bff2-45c1a7ddf3a7.txt","createdDateTimeUtc":'
    '"2022-01-25T22:47:06.9802657Z","lastActionDateTimeUtc":"2022-01-25T22:47:13.6817268Z","status":"Succeeded",'
    '"to":"es","progress":1,"id":"001f0a26-0000-0000-0000-000000000000","characterCharged":27}'
)
GATEWAY_401_MESSAGE = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an "
    "active subscription and use a correct regional API endpoint for your resource."
)
START_BODY = {
    "inputs": [
        {
            "source": {"sourceUrl": "https://store.blob.core.windows.net/src"},
            "targets": [{"targetUrl": "https://store.blob.core.windows.net/de", "language": "de"}],
        }
    ]
}


@pytest.mark.parametrize("version", VERSIONS)
async def test_batch_status_is_served_in_each_versions_layout(version: str) -> None:
    """GET batches/{id} answers in every version's URL layout with the real body's fields and spellings."""
    async with serve(clock=VirtualClock()) as probe:
        batch_id = probe.emulator.add_batch(documents=3, seconds=10)
        answer = await probe.get(probe.url(version, f"/batches/{batch_id}"))
    body = answer.json()
    assert answer.status == 200
    assert list(body) == ["id", "createdDateTimeUtc", "lastActionDateTimeUtc", "status", "summary"]
    assert body["id"] == batch_id
    assert body["status"] == "NotStarted"
    assert TIMESTAMP.match(body["createdDateTimeUtc"])
    assert TIMESTAMP.match(body["lastActionDateTimeUtc"])
    summary = ["total", "failed", "success", "inProgress", "notYetStarted", "cancelled", "totalCharacterCharged"]
    if version == "2026-03-01":
        summary += ["totalImageScansSucceeded", "totalImageScansFailed", "totalImageCharged"]
    assert list(body["summary"]) == summary


async def test_200_headers_carry_etag_cache_control_and_a_fresh_request_id() -> None:
    """A GET's 200 has a quoted upper-case sha256 ETag of its body, Cache-Control, JSON content type and a new
    request id each time; a DELETE's 200 has no ETag or Cache-Control (as recorded)."""
    async with serve() as probe:
        url = probe.emulator.batch_url(probe.emulator.add_batch())
        first, second = await probe.get(url), await probe.get(url)
        cancelled = await probe.send("DELETE", url)
    for answer in (first, second):
        assert answer.headers["ETag"] == f'"{hashlib.sha256(answer.text.encode()).hexdigest().upper()}"'
        assert answer.headers["Cache-Control"] == "public, max-age=1"
        assert answer.headers["Content-Type"] == "application/json; charset=utf-8"
        assert answer.headers["apim-request-id"] == answer.headers["X-RequestId"]
        uuid.UUID(answer.headers["apim-request-id"])
    assert first.headers["apim-request-id"] != second.headers["apim-request-id"]
    assert cancelled.status == 200
    assert "ETag" not in cancelled.headers
    assert "Cache-Control" not in cancelled.headers


async def test_retry_after_is_sent_on_the_status_of_a_batch_in_progress() -> None:
    """Retry-After: 1 (retry_after=, default 1) comes on the status of a batch in progress in 2024-05-01 and later,
    not on a finished one's, nor on document lists, nor in v1.x (as recorded); retry_after=None sends none."""
    clock = VirtualClock()
    async with serve(clock=clock) as probe:
        running = probe.emulator.add_batch(seconds=10)
        done = probe.emulator.add_batch(seconds=0)
        status = await probe.get(probe.emulator.batch_url(running))
        finished = await probe.get(probe.emulator.batch_url(done))
        documents = await probe.get(probe.url("2024-05-01", f"/batches/{running}/documents"))
        v1 = await probe.get(probe.url("v1.0", f"/batches/{running}"))
    async with serve(retry_after=None) as probe:
        silent = await probe.get(probe.emulator.batch_url(probe.emulator.add_batch()))
    async with serve(retry_after=3) as probe:
        three = await probe.get(probe.emulator.batch_url(probe.emulator.add_batch()))
    assert status.headers["Retry-After"] == "1"
    assert three.headers["Retry-After"] == "3"
    for answer in (finished, documents, v1, silent):
        assert "Retry-After" not in answer.headers


@pytest.mark.parametrize(
    "headers",
    [{}, {"Ocp-Apim-Subscription-Key": "wrong"}, {"Authorization": "Bearer not-a-token"}],
    ids=["none", "wrong-key", "wrong-token"],
)
async def test_missing_or_wrong_credentials_get_the_gateways_401(headers: dict[str, str]) -> None:
    """Without the key or an accepted token the answer is the API gateway's 401 body, with a request id."""
    async with serve(tokens=["good-token"]) as probe:
        answer = await probe.get(probe.emulator.batch_url(probe.emulator.add_batch()), headers=headers)
    assert answer.status == 401
    assert answer.json() == {"error": {"code": "401", "message": GATEWAY_401_MESSAGE}}
    assert "apim-request-id" in answer.headers


async def test_an_accepted_bearer_token_authorizes() -> None:
    """Authorization: Bearer with one of the emulator's tokens is as good as the key."""
    async with serve(tokens=["good-token"]) as probe:
        url = probe.emulator.batch_url(probe.emulator.add_batch())
        answer = await probe.get(url, headers={"Authorization": "Bearer good-token"})
    assert answer.status == 200


async def test_unknown_batch_is_404_resource_not_found_and_unknown_document_404_with_no_body() -> None:
    """An unknown batch id answers 404 ResourceNotFound in the service's error shape; an unknown document id of a
    known batch answers 404 with an empty body and no content type (recorded)."""
    async with serve() as probe:
        batch_id = probe.emulator.add_batch()
        no_batch = await probe.get(probe.emulator.batch_url(str(uuid.UUID(int=1))))
        no_document = await probe.get(probe.url("v1.0", f"/batches/{batch_id}/documents/nope"))
        blank = await probe.get(probe.url("2024-05-01", f"/batches/{batch_id}/documents/%20"))
    assert no_batch.status == no_document.status == blank.status == 404
    assert no_batch.json()["error"]["code"] == "ResourceNotFound"
    assert no_batch.json()["error"]["target"] == "Operation"
    assert set(no_batch.json()["error"]["innerError"]) == {"code", "message"}
    for empty in (no_document, blank):
        assert empty.data == b""
        assert empty.headers["Content-Length"] == "0"
        assert "Content-Type" not in empty.headers
        assert "x-ms-error-code" not in empty.headers


@pytest.mark.parametrize("query", ["", "?api-version=2099-01-01"], ids=["missing", "unknown"])
async def test_document_layout_requires_a_known_api_version(query: str) -> None:
    """Under /translator/document a missing or unknown api-version is a 400 with an error body."""
    async with serve() as probe:
        batch_id = probe.emulator.add_batch()
        answer = await probe.get(f"{probe.emulator.endpoint}/translator/document/batches/{batch_id}{query}")
    assert answer.status == 400
    assert answer.json()["error"]["code"] == "InvalidRequest"
    assert answer.json()["error"]["target"] == "api-version"


async def test_unknown_paths_and_path_versions_get_the_gateways_404() -> None:
    """A path the service does not have (or a version it does not know) is the gateway's 404."""
    async with serve() as probe:
        batch_id = probe.emulator.add_batch()
        wrong_version = await probe.get(f"{probe.emulator.endpoint}/translator/text/batch/v9/batches/{batch_id}")
        nowhere = await probe.get(f"{probe.emulator.endpoint}/nowhere")
        no_storage_in_2024 = await probe.get(probe.url("2024-05-01", "/storagesources"))
    for answer in (wrong_version, nowhere, no_storage_in_2024):
        assert answer.status == 404
        assert answer.json() == {"error": {"code": "404", "message": "Resource not found"}}


@pytest.mark.parametrize("version", ["v1.0-preview.1", "v1.0"])
async def test_start_in_v1_answers_202_with_operation_location_and_no_body(version: str) -> None:
    """POST batches in v1.x answers 202, empty body, and an Operation-Location under /translatortext/ (no slash, as
    recorded) naming the new batch; that URL serves its status too."""
    async with serve(start_documents=4, start_seconds=1) as probe:
        started = await probe.send("POST", probe.url(version, "/batches"), body=START_BODY)
        location = started.headers["Operation-Location"]
        batch = await probe.get(location)
    assert started.status == 202
    assert started.text == ""
    assert "Content-Type" not in started.headers
    assert location.startswith(f"{probe.emulator.endpoint}/translatortext/batch/{version}/batches/")
    assert batch.json()["summary"]["total"] == 4


async def test_start_in_2024_answers_202_with_id_and_not_started() -> None:
    """POST batches in 2024-05-01 answers 202 with {id, status: NotStarted} and an api-version'd location."""
    async with serve() as probe:
        started = await probe.send("POST", probe.url("2024-05-01", "/batches"), body=START_BODY)
        document = (await probe.documents("2024-05-01", started.json()["id"]))[0].json()["value"][0]
    assert started.status == 202
    assert started.json() == {"id": started.json()["id"], "status": "NotStarted"}
    assert started.headers["Operation-Location"] == probe.emulator.batch_url(started.json()["id"])
    assert document["to"] == "de"
    assert document["sourcePath"].startswith("https://store.blob.core.windows.net/src/")


@pytest.mark.parametrize(
    "body",
    [{}, {"inputs": []}, {"inputs": [{"source": {}, "targets": []}]}, {"inputs": [{"source": {"sourceUrl": "x"}}]}],
    ids=["no-inputs", "empty-inputs", "no-source-url", "no-targets"],
)
async def test_start_with_a_malformed_body_is_400_invalid_request(body: object) -> None:
    """A start request without inputs[].source.sourceUrl and targets[] is refused with 400 InvalidRequest."""
    async with serve() as probe:
        answer = await probe.send("POST", probe.url("2024-05-01", "/batches"), body=body)
        batches = await probe.get(probe.url("2024-05-01", "/batches"))
    assert answer.status == 400
    assert answer.json()["error"]["code"] == "InvalidRequest"
    assert batches.json()["value"] == []


async def test_start_with_a_body_that_is_not_json_is_400() -> None:
    """A start request whose body is not JSON is refused with 400 InvalidRequest."""
    async with serve() as probe:
        answer = await probe.send("POST", probe.url("v1.0", "/batches"), data=b"{")
    assert answer.status == 400
    assert answer.json()["error"]["code"] == "InvalidRequest"


@pytest.mark.parametrize("body", [b"[" * 100_000, b'{"inputs": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"])
async def test_start_with_json_nested_too_deep_is_400_not_500(body: bytes) -> None:
    """JSON nested deeper than the decoder goes is refused like any malformed body, with 400 InvalidRequest."""
    async with serve() as probe:
        answer = await probe.send("POST", probe.url("2024-05-01", "/batches"), data=body)
    assert answer.status == 400
    assert answer.json()["error"]["code"] == "InvalidRequest"


async def test_validation_failed_batch_matches_the_recorded_body() -> None:
    """A ValidationFailed batch has exactly the recorded body's fields, error and zero summary."""
    recorded = json.loads(RECORDED_VALIDATION_FAILED)
    async with serve() as probe:
        batch_id = probe.emulator.add_batch(outcome="ValidationFailed")
        body = (await probe.get(probe.emulator.batch_url(batch_id))).json()
    assert list(body) == list(recorded)
    assert body["status"] == "ValidationFailed"
    assert body["error"] == recorded["error"]
    assert body["summary"] == recorded["summary"]


async def test_document_bodies_follow_the_recorded_shape() -> None:
    """Documents carry the recorded fields; a failed one has an error with innerError and no target path, and a
    batch whose every document failed carries that error aimed at the Operation (as recorded)."""
    clock = VirtualClock()
    recorded = json.loads(RECORDED_DOCUMENT)
    async with serve(clock=clock) as probe:
        batch_id = probe.emulator.add_batch(documents=3, seconds=1, outcome="Failed")
        ok_id = probe.emulator.add_batch(documents=3, seconds=1)
        clock.advance(1)
        failed = (await probe.documents("v1.0", batch_id))[0].json()["value"][0]
        succeeded = (await probe.documents("v1.0", ok_id))[0].json()["value"][0]
        batch = (await probe.get(probe.emulator.batch_url(batch_id))).json()
    assert list(succeeded) == list(recorded)
    assert succeeded["progress"] == 1
    assert isinstance(succeeded["characterCharged"], int)
    assert succeeded["characterCharged"] > 0
    assert "path" not in failed
    assert failed["status"] == "Failed"
    assert failed["error"]["target"] == "Document"
    assert failed["error"]["innerError"]["code"] == "NoTranslatableText"
    assert list(batch) == ["id", "createdDateTimeUtc", "lastActionDateTimeUtc", "status", "error", "summary"]
    assert batch["error"] == {**failed["error"], "target": "Operation"}


async def test_one_documents_status_is_served_by_id() -> None:
    """GET batches/{id}/documents/{documentId} answers the same body the list gives for that document."""
    async with serve() as probe:
        batch_id = probe.emulator.add_batch(documents=3)
        listed = (await probe.documents("2024-05-01", batch_id))[0].json()["value"][1]
        one = await probe.get(probe.url("2024-05-01", f"/batches/{batch_id}/documents/{listed['id']}"))
    assert one.json() == listed


async def test_2026_documents_carry_image_fields() -> None:
    """In 2026-03-01 documents add image scan fields, and the batch summary totals them."""
    clock = VirtualClock()
    async with serve(clock=clock) as probe:
        batch_id = probe.emulator.add_batch(documents=10, seconds=1)
        clock.advance(1)
        documents = (await probe.documents("2026-03-01", batch_id))[0].json()["value"]
        summary = (await probe.get(probe.url("2026-03-01", f"/batches/{batch_id}"))).json()["summary"]
    scans = sum(d["totalImageScansSucceeded"] for d in documents)
    assert scans > 0
    assert summary["totalImageScansSucceeded"] == scans
    assert summary["totalImageCharged"] == sum(d["imageCharged"] for d in documents)


async def test_v1_formats_and_storage_sources() -> None:
    """v1.x serves documents/formats, glossaries/formats and storagesources."""
    async with serve() as probe:
        documents = await probe.get(probe.url("v1.0", "/documents/formats"))
        glossaries = await probe.get(probe.url("v1.0-preview.1", "/glossaries/formats"))
        storage = await probe.get(probe.url("v1.0", "/storagesources"))
    assert "PlainText" in {f["format"] for f in documents.json()["value"]}
    assert "XLIFF" in {f["format"] for f in glossaries.json()["value"]}
    assert set(documents.json()["value"][0]) == {"format", "fileExtensions", "contentTypes"}
    assert storage.json() == {"value": ["AzureBlob"]}


async def test_2024_formats_are_one_route_with_a_type() -> None:
    """2024-05-01 serves formats?type=document|glossary; a wrong type is 400 InvalidArgument."""
    async with serve() as probe:
        documents = await probe.get(probe.url("2024-05-01", "/formats", "type=document"))
        glossaries = await probe.get(probe.url("2024-05-01", "/formats", "type=glossary"))
        wrong = await probe.get(probe.url("2024-05-01", "/formats", "type=spreadsheet"))
    assert {f["type"] for f in documents.json()["value"]} == {"Document"}
    assert {f["type"] for f in glossaries.json()["value"]} == {"Glossary"}
    assert wrong.status == 400
    assert wrong.json()["error"]["code"] == "InvalidArgument"
