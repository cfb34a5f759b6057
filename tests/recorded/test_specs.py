"""Every example and every schema of the official REST specs, for every version, parses without loss.

``specs/`` holds verbatim copies of the public specs (Azure/azure-rest-api-specs at a977c730, plus two earlier
revisions of v1.0-preview.1, which changed in place). Examples: each response is read by the same sans-I/O
functions the client uses, every key checked carried; each request body is rebuilt from the input models. Schemas:
a maximal object is made from every definition (every property filled) and read back field by field, and every
definition must be known here, so a spec that adds one fails until it is handled.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

import doctrans_async as dt
from doctrans_async._converter import converter, structure_batch, structure_document, structure_error
from doctrans_async._sansio import (
    Endpoint,
    ListQuery,
    Request,
    Response,
    error_for,
    parse_batch_page,
    parse_batch_status,
    parse_document_page,
    parse_document_status,
    parse_formats,
    parse_retry_after,
    parse_started_batch_id,
    parse_storage_sources,
    parse_translated_document,
    start_translation_body,
)
from tests.recorded.replay import assert_error_matches, assert_lossless

SPECS = Path(__file__).parent / "specs"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
HOST = "https://westus.cognitiveservices.azure.com"

# The spec folder of each version, and the ApiVersion our client speaks it as (v1.1 is a spec our client has no
# version for: its responses are v1.0's and are read as such; its one request addition is listed below).
VERSIONS = {
    "TranslatorText/preview/v1.0-preview.1": dt.ApiVersion.V1_0_PREVIEW_1,
    "TranslatorText/stable/v1.0": dt.ApiVersion.V1_0,
    "TranslatorText/stable/v1.1": dt.ApiVersion.V1_0,
    "DocumentTranslation/stable/2024-05-01": dt.ApiVersion.V2024_05_01,
    "DocumentTranslation/preview/2023-11-01-preview": dt.ApiVersion.V2024_05_01,
}
SPEC_FILES = {
    **{folder: SPECS / folder / "TranslatorBatch.json" for folder in VERSIONS if folder.startswith("TranslatorText")},
    **{folder: SPECS / folder / "openapi.json" for folder in VERSIONS if folder.startswith("DocumentTranslation")},
    "history/2020-06-22": SPECS / "history/v1.0-preview.1.TranslatorBatch@71aa473135.json",
    "history/2021-02-22": SPECS / "history/v1.0-preview.1.TranslatorBatch@a23007d37f.json",
}

# Spec properties our models do not carry, each with the reason. Anything else not carried fails.
NOT_CARRIED = {
    # The 2020-06-22 shape of v1.0-preview.1, replaced in place by 2021-02-22: the service no longer sends them.
    ("history/2020-06-22", "DocumentStatusDetail", "detectedLanguage"),
    ("history/2020-06-22", "InnerErrorV2", "error"),
    # v1.1's per-target PDF option: v1.1 is not a version this client speaks.
    ("TranslatorText/stable/v1.1", "TargetInput", "options"),
    ("TranslatorText/stable/v1.1", "BatchRequestOptions", "pdfOutputAdditionalFormat"),
}


def examples() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(version folder, example file name, example) of every example."""
    for folder in VERSIONS:
        for path in sorted((SPECS / folder / "examples").glob("*.json")):
            yield folder, path.name, json.loads(path.read_text())


EXAMPLES = list(examples())
RESPONSES = [
    (folder, name, int(status), answer)
    for folder, name, example in EXAMPLES
    for status, answer in example["responses"].items()
]


def test_every_example_is_enumerated() -> None:
    """Nine examples per v1.x spec, eight for 2024-05-01, one for the 2023 preview; over a hundred responses."""
    assert len(EXAMPLES) == 9 * 3 + 8 + 1
    assert len(RESPONSES) > 100


# --- example responses -------------------------------------------------------------------------------------

PARSERS: dict[str, Callable[[Request, Response, datetime, dt.ApiVersion], Any]] = {
    "operation.json": lambda q, r, n, v: parse_batch_status(q, r, n),
    "cancel.json": lambda q, r, n, v: parse_batch_status(q, r, n),
    "document.json": lambda q, r, n, v: parse_document_status(q, r, n),
    "documents.json": parse_document_page,
    "operations.json": parse_batch_page,
    "format.json": lambda q, r, n, v: parse_formats(q, r, n),
    "glossary.json": lambda q, r, n, v: parse_formats(q, r, n),
    "storage.json": lambda q, r, n, v: parse_storage_sources(q, r, n),
    "batch.json": lambda q, r, n, v: parse_started_batch_id(q, r, n),
    "DocumentTranslate_MaximumSet_Gen.json": lambda q, r, n, v: parse_translated_document(q, r, n),
}


def response_of(status: int, answer: dict[str, Any]) -> Response:
    body = answer.get("body")
    raw = b"" if body is None else json.dumps(body).encode()
    headers = [(name, str(value)) for name, value in (answer.get("headers") or {}).items()]
    return Response.build(status, [("Content-Type", "application/json"), *headers], raw)


@pytest.mark.parametrize(
    ("folder", "name", "status", "answer"), RESPONSES, ids=[f"{f}/{n}/{s}" for f, n, s, _ in RESPONSES]
)
def test_example_response_parses_without_loss(folder: str, name: str, status: int, answer: dict[str, Any]) -> None:
    """Each example answer gives its model (every key carried) or its typed error (code, message, target and
    inner error as written)."""
    version = VERSIONS[folder]
    request = Request("GET", f"{HOST}/x")
    response = response_of(status, answer)
    body: Any = answer.get("body")
    if (folder, name) in MALFORMED:
        with pytest.raises(dt.MalformedResponseError, match="Operation-Location"):
            PARSERS[name](request, response, NOW, version)
        return
    if status >= 400:
        error = error_for(request, response, NOW)
        assert isinstance(error, ERROR_CLASSES.get(status, dt.ServerError))
        assert_error_matches(body["error"], error)
        return
    parsed = PARSERS[name](request, response, NOW, version)
    if name == "batch.json":
        assert parsed == answer["headers"]["Operation-Location"].rpartition("/")[2]
        assert parsed != "batches"
    elif name == "DocumentTranslate_MaximumSet_Gen.json":
        assert json.loads(parsed) == body
    elif name == "storage.json":
        assert parsed == body["value"]
    elif isinstance(parsed, list):
        assert_all(body["value"], parsed)
    elif isinstance(parsed, dt.DocumentPage | dt.BatchPage):
        assert set(body) <= {"value", "@nextLink", "nextLink"}
        assert parsed.next_link == (body.get("@nextLink") or body.get("nextLink"))
        assert_all(body["value"], parsed.items)
    else:
        assert_lossless(body, parsed)
    if "retry-after" in (answer.get("headers") or {}):
        assert parse_retry_after(response.headers, NOW) == float(answer["headers"]["retry-after"])


def assert_all(wire: list[Any], items: list[Any]) -> None:
    """Each listed item carried without loss, none missing."""
    assert len(items) == len(wire)
    for index, (item, kept) in enumerate(zip(wire, items, strict=True)):
        assert_lossless(item, kept, f"value[{index}]")


MALFORMED = {
    # Its Operation-Location puts the query before the id ('batches?api-version=2024-05-01/operation/{id}') and
    # its body is empty: no id can be read, and the collection's name must not be taken for one. The real
    # service's 202 (recorded: cassettes/py-2024-05-01-start-cancel-poll.json) has the id in the body.
    ("DocumentTranslation/stable/2024-05-01", "batch.json"),
}
ERROR_CLASSES: dict[int, type[dt.ServiceError]] = {
    400: dt.InvalidRequestError,
    401: dt.AuthenticationError,
    404: dt.NotFoundError,
    429: dt.RateLimitError,
}


# --- example requests --------------------------------------------------------------------------------------


def input_from_wire(item: dict[str, Any]) -> dt.TranslationInput:
    """A request input rebuilt with the public input models, reading the wire independently of the library."""
    source = item["source"]
    targets = [
        dt.TranslationTarget(
            target["targetUrl"],
            target["language"],
            category=target.get("category"),
            glossaries=[
                dt.Glossary(g["glossaryUrl"], g["format"], g.get("version"), g.get("storageSource"))
                for g in target.get("glossaries", [])
            ],
            storage_source=target.get("storageSource"),
            deployment_name=target.get("deploymentName"),
        )
        for target in item["targets"]
    ]
    storage_type = item.get("storageType")
    return dt.TranslationInput(
        source["sourceUrl"],
        targets,
        source_language=source.get("language"),
        storage_type=dt.StorageType(storage_type) if storage_type else None,
        prefix=source.get("filter", {}).get("prefix"),
        suffix=source.get("filter", {}).get("suffix"),
        storage_source=source.get("storageSource"),
    )


BATCH_REQUESTS = [(folder, example) for folder, name, example in EXAMPLES if name == "batch.json"]


@pytest.mark.parametrize(("folder", "example"), BATCH_REQUESTS, ids=[folder for folder, _ in BATCH_REQUESTS])
def test_example_batch_request_is_reproduced_by_the_input_models(folder: str, example: dict[str, Any]) -> None:
    """The example's start-translation body is exactly what the input models send (v1.1's target options aside)."""
    wanted = json.loads(json.dumps(example["parameters"]["body"]))
    for item in wanted["inputs"]:
        for target in item["targets"]:
            if (folder, "TargetInput", "options") in NOT_CARRIED:
                target.pop("options", None)
    inputs = [input_from_wire(item) for item in wanted["inputs"]]
    assert json.loads(start_translation_body(inputs, VERSIONS[folder])) == wanted


LISTINGS = [
    (folder, name, example) for folder, name, example in EXAMPLES if name in ("documents.json", "operations.json")
]


@pytest.mark.parametrize(("folder", "name", "example"), LISTINGS, ids=[f"{f}/{n}" for f, n, _ in LISTINGS])
def test_example_listing_parameters_are_the_ones_the_client_sends(folder: str, name: str, example: Any) -> None:
    """The example's paging and filter parameters are sent under the example's names and values (the order
    parameter's case aside: the examples disagree with each other on it)."""
    version = VERSIONS[folder]
    params = example["parameters"]
    endpoint = Endpoint(HOST, version)
    paging = {key: params[key] for key in params if key.lstrip("$") in ("top", "skip", "maxpagesize")}
    given = {key.lstrip("$").replace("maxpagesize", "page_size"): value for key, value in paging.items()}
    filters: ListQuery | None = None
    if version is dt.ApiVersion.V1_0_PREVIEW_1:
        # The spec's last revision lists the filters here too, but the service has them from v1.0 on, so the
        # client refuses them on v1.0-preview.1 rather than risk a silently ignored filter.
        with pytest.raises(dt.UnsupportedOperationError):
            endpoint.documents(params.get("id", "b"), **_filters(params))
    else:
        filters = _filters(params)
    query: ListQuery = {**given, **(filters or {})}
    request = endpoint.documents(params["id"], **query) if name == "documents.json" else endpoint.batches(**query)
    sent = dict(parse_qsl(urlsplit(request.url).query))
    expected = {key: str(value) for key, value in paging.items()}
    if filters is not None:
        expected |= {"ids": ",".join(params["ids"]), "statuses": ",".join(params["statuses"])}
        order_key = next(key for key in params if key.lower().lstrip("$") == "orderby")
        assert sent[order_key if version.is_v1 else "orderby"].split()[1] == _order(params).split()[1]
        for key in ("createdDateTimeUtcStart", "createdDateTimeUtcEnd"):
            assert datetime.fromisoformat(sent[key]) == datetime.fromisoformat(params[key][:26] + "Z")
    assert {key: sent[key] for key in expected} == expected


def _order(params: dict[str, Any]) -> str:
    # v1.1's examples give the order as a one-item list.
    order = next(value for key, value in params.items() if key.lower().lstrip("$") == "orderby")
    return str(order[0] if isinstance(order, list) else order)


def _filters(params: dict[str, Any]) -> ListQuery:
    order = _order(params)
    return ListQuery(
        ids=params["ids"],
        statuses=params["statuses"],
        created_after=datetime.fromisoformat(params["createdDateTimeUtcStart"]),
        created_before=datetime.fromisoformat(params["createdDateTimeUtcEnd"]),
        order_by="desc" if order.split()[1] == "desc" else "asc",
    )


# --- schemas -----------------------------------------------------------------------------------------------

STRUCTURE: dict[str, Callable[[Any], Any]] = {
    "TranslationStatus": structure_batch,
    "BatchStatusDetail": structure_batch,
    "DocumentStatus": structure_document,
    "DocumentStatusDetail": structure_document,
    "StatusSummary": lambda o: converter.structure(o, dt.StatusSummary),
    "FileFormat": lambda o: converter.structure(o, dt.FileFormat),
    "TranslationError": structure_error,
    "InnerTranslationError": structure_error,
    "ErrorV2": structure_error,
    "InnerErrorV2": structure_error,
    "Azure.Core.Foundations.Error": structure_error,
    "Azure.Core.Foundations.InnerError": structure_error,
}
PAGES = {
    "TranslationsStatus",
    "DocumentsStatus",
    "BatchStatusResponse",
    "DocumentStatusResponse",
    "SupportedFileFormats",
    "FileFormatListResult",
    "SupportedStorageSources",
    "StorageSourceListResult",
}
ERROR_RESPONSES = {"TranslationErrorResponse", "ErrorResponseV2", "Azure.Core.Foundations.ErrorResponse"}
REQUESTS = {
    "StartTranslationDetails",
    "BatchSubmissionRequest",
    "BatchRequest",
    "SourceInput",
    "TargetInput",
    "Glossary",
    "DocumentFilter",
    "BatchRequestOptions",
}
# Sent as the multipart parts of translate_document ("document", "glossary"), or the raw translated bytes.
MULTIPART = {"DocumentTranslateContent", "DocumentTranslateResult"}
SCALARS = {
    "Status",
    "StorageSource",
    "StorageInputType",
    "TranslationErrorCode",
    "ErrorCodeV2",
    "AdditionalOutputFileFormat",
    "FileFormatType",
    "Azure.Core.uuid",
    "Versions",
}
DEFINITIONS = [
    (spec, name, definition)
    for spec, path in SPEC_FILES.items()
    for name, definition in json.loads(path.read_text())["definitions"].items()
]


def maximal(spec: str, definitions: dict[str, Any], schema: dict[str, Any], depth: int = 0, name: str = "") -> Any:
    """A value of ``schema`` with every property filled but those in NOT_CARRIED (recursion to three levels)."""
    if "$ref" in schema:
        ref = schema["$ref"].rpartition("/")[2]
        return maximal(spec, definitions, definitions[ref], depth, ref)
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            merged |= maximal(spec, definitions, part, depth)
        return merged
    if "enum" in schema:
        return schema["enum"][-1]
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if kind == "object":
        if depth > 3:
            return {}
        return {
            key: maximal(spec, definitions, prop, depth + 1)
            for key, prop in schema.get("properties", {}).items()
            if (spec, name, key) not in NOT_CARRIED
        }
    if kind == "array":
        return [maximal(spec, definitions, schema["items"], depth + 1)]
    if kind == "integer":
        return 7
    if kind == "number":
        return 0.5
    if kind == "boolean":
        return True
    if schema.get("format") == "date-time":
        return "2021-03-23T07:03:38.0136316-08:00"
    return f"text-{depth}"


@pytest.mark.parametrize(("spec", "name", "definition"), DEFINITIONS, ids=[f"{s}/{n}" for s, n, _ in DEFINITIONS])
def test_every_schema_is_read_or_sent_without_loss(spec: str, name: str, definition: dict[str, Any]) -> None:
    """A maximal object of each response schema is read with every property carried; each request schema's
    properties are sent by the input models; page and error envelopes hold only the keys the client reads."""
    definitions = json.loads(SPEC_FILES[spec].read_text())["definitions"]
    properties = set(definition.get("properties", {}))
    skipped = {key for (where, model, key) in NOT_CARRIED if (where, model) == (spec, name)}
    if name in STRUCTURE:
        wire = maximal(spec, definitions, definition, name=name)
        assert set(wire) == properties - skipped
        assert_lossless(wire, STRUCTURE[name](wire), name)
    elif name in PAGES:
        assert properties <= {"value", "@nextLink", "nextLink"}
    elif name in ERROR_RESPONSES:
        assert properties == {"error"}
    elif name in REQUESTS:
        assert properties - skipped <= SENT[name], f"{name}: {properties - skipped - SENT[name]} never sent"
    elif name in MULTIPART:
        assert properties <= {"document", "glossary"}
    else:
        assert name in SCALARS, f"{spec}: a definition this test does not know: {name}"
        assert "properties" not in definition


SENT = {
    "StartTranslationDetails": {"inputs", "options"},
    "BatchSubmissionRequest": {"inputs"},
    "BatchRequest": {"source", "targets", "storageType"},
    "SourceInput": {"sourceUrl", "filter", "language", "storageSource"},
    "TargetInput": {"targetUrl", "category", "language", "glossaries", "storageSource", "deploymentName"},
    "Glossary": {"glossaryUrl", "format", "version", "storageSource"},
    "DocumentFilter": {"prefix", "suffix"},
    "BatchRequestOptions": set(),  # v1.1's per-target options: listed in NOT_CARRIED with TargetInput.options
}


def test_what_the_request_schemas_name_is_what_the_input_models_send() -> None:
    """SENT is not a wish list: a maximal input with every option set sends exactly those keys."""
    glossary = dt.Glossary("g", "XLIFF", "1.2", "AzureBlob")
    target = dt.TranslationTarget("t", "fr", "general", [glossary], "AzureBlob", deployment_name="d")
    item = dt.TranslationInput("s", [target], "en", dt.StorageType.FOLDER, "pre", ".txt", "AzureBlob")
    body = json.loads(start_translation_body([item], dt.ApiVersion.V2026_03_01, translate_text_within_image=True))
    (wire,) = body["inputs"]
    assert set(body) == SENT["StartTranslationDetails"]
    assert set(wire) == SENT["BatchRequest"]
    assert set(wire["source"]) == SENT["SourceInput"]
    assert set(wire["source"]["filter"]) == SENT["DocumentFilter"]
    assert set(wire["targets"][0]) == SENT["TargetInput"]
    assert set(wire["targets"][0]["glossaries"][0]) == SENT["Glossary"]


def test_every_spec_status_is_a_known_one() -> None:
    """Every status any spec lists parses to a known Status member."""
    statuses = {value for spec, name, definition in DEFINITIONS if name == "Status" for value in definition["enum"]}
    assert statuses >= {"NotStarted", "Running", "Succeeded", "Failed", "Cancelled", "Cancelling", "ValidationFailed"}
    assert all(dt.Status(value).is_known for value in statuses)
