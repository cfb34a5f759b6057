"""The service's wire vocabulary: each API version's layout, and the JSON bodies of errors, batches and documents.

Pure data and pure functions: what the real service's bodies and error shapes look like (its public REST specs and
the recorded responses in ``tests/recorded/cassettes/``), with nothing about routing, requests or faults.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import attrs

from doctrans_async.emulator._state import VALIDATION_FAILURES, BatchView, DocumentView, Status, format_ticks

__all__ = [
    "BINARY_TYPE",
    "DOCUMENT_BASE",
    "DOCUMENT_ERROR",
    "FAILED_DOCUMENT_ERROR",
    "GATEWAY_401",
    "GATEWAY_404",
    "GATEWAY_JSON_TYPE",
    "HTML_502_PAGE",
    "JSON_TYPE",
    "LAYOUTS",
    "MAX_GLOSSARIES_ERROR",
    "OPERATION_TEXT_BASE",
    "RETRY_AFTER_SECONDS",
    "TEXT_BASE",
    "VALIDATION_ERRORS",
    "ApiError",
    "Layout",
    "batch_json",
    "document_json",
    "error_body",
    "fault_error_body",
    "invalid_argument",
    "invalid_request",
]

JSON_TYPE = "application/json; charset=utf-8"
GATEWAY_JSON_TYPE = "application/json"
"""The API gateway's 401 comes without a charset (recorded)."""
BINARY_TYPE = "application/octet-stream"


@attrs.frozen
class Layout:
    """Where a version's operations live and how it spells its listings (the client's ``_versions.Layout``)."""

    version: str
    base_path: str
    """Path prefix before ``/batches``."""
    operation_base: str
    """The prefix ``Operation-Location`` names a started batch under (v1.x: ``/translatortext/...``, recorded)."""
    top: str
    skip: str
    page_size: str
    order_by: str
    """The ordering parameter's name in requests."""
    order_by_link: str
    """Its spelling in the service's next links (re-cased by the service: ``orderby`` comes back ``orderBy``)."""
    next_link_key: str
    """The continuation key of the documents listing."""
    batches_next_link_key: str
    """The continuation key of the batch listing (``@nextLink`` in every version, as recorded)."""
    in_query: bool
    """The version travels as ``?api-version=`` (2024-05-01 and later) rather than in the path."""
    cancel_reports_prior_status: bool
    """``DELETE`` answers the status the batch had (v1.x, recorded ``NotStarted``), not ``Cancelling`` (2024)."""
    retry_after: bool
    """The status of a batch in progress carries ``Retry-After`` (2024-05-01, recorded; v1.x's polls carry none)."""
    images: bool = False


TEXT_BASE = "/translator/text/batch"
OPERATION_TEXT_BASE = "/translatortext/batch"
"""Where a v1.x ``Operation-Location`` points (no slash between translator and text); served like ``TEXT_BASE``."""
DOCUMENT_BASE = "/translator/document"


def _text_layout(version: str) -> Layout:
    # The 2021 revision of v1.0-preview.1 added $maxpagesize and the filters in place: both v1.x are alike.
    return Layout(
        version,
        f"{TEXT_BASE}/{version}",
        f"{OPERATION_TEXT_BASE}/{version}",
        "$top",
        "$skip",
        "$maxpagesize",
        "$orderBy",
        "$orderBy",
        "@nextLink",
        "@nextLink",
        in_query=False,
        cancel_reports_prior_status=True,
        retry_after=False,
    )


def _document_layout(version: str, *, images: bool) -> Layout:
    return Layout(
        version,
        DOCUMENT_BASE,
        DOCUMENT_BASE,
        "top",
        "skip",
        "maxpagesize",
        "orderby",
        "orderBy",
        "nextLink",
        "@nextLink",
        in_query=True,
        cancel_reports_prior_status=False,
        retry_after=True,
        images=images,
    )


LAYOUTS = {
    layout.version: layout
    for layout in (
        _text_layout("v1.0-preview.1"),
        _text_layout("v1.0"),
        _document_layout("2024-05-01", images=False),
        _document_layout("2026-03-01", images=True),
    )
}

RETRY_AFTER_SECONDS = 1
"""What the real service sends as ``Retry-After`` on the status of a batch still in progress (recorded)."""


class ApiError(Exception):
    """An error answer in the service's shape, raised from anywhere in a route."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


def error_body(
    code: str, message: str, target: str, inner_code: str | None = None, inner_message: str | None = None
) -> dict[str, Any]:
    """``{"error": {code, message, target, innerError: {code, message}}}`` as the service sends it."""
    inner = {"code": inner_code or code, "message": inner_message or message}
    return {"error": {"code": code, "message": message, "target": target, "innerError": inner}}


def invalid_argument(name: str, message: str) -> ApiError:
    return ApiError(400, error_body("InvalidArgument", message, name, "InvalidQueryParameterValue"))


def invalid_request(message: str, target: str, inner_code: str) -> ApiError:
    return ApiError(400, error_body("InvalidRequest", message, target, inner_code))


GATEWAY_401 = {
    "error": {
        "code": "401",
        "message": "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a "
        "valid key for an active subscription and use a correct regional API endpoint for your resource.",
    }
}
"""What the API gateway (APIM) answers before the service sees the request: note the string code."""
GATEWAY_404 = {"error": {"code": "404", "message": "Resource not found"}}

MAX_GLOSSARIES_ERROR = error_body(
    "InvalidRequest",
    "The maximum number of glossary files has been exceeded.",
    "GlossaryBodies",
    "MaxGlossaryFilesExceeded",
)
"""``POST document:translate`` with more than one glossary (recorded)."""

VALIDATION_ERRORS = {
    code: error_body("InvalidRequest", message, "Operation", code) for code, message in VALIDATION_FAILURES.items()
}
"""The recorded errors of real ValidationFailed batches, by inner code."""

DOCUMENT_ERROR = error_body(
    "InvalidRequest",
    "The document has an encoding that is not supported; save it as UTF-8 and resubmit.",
    "Document",
    "WrongDocumentEncoding",
)
"""``document:translate``'s answer to a text document that is not UTF-8."""
FAILED_DOCUMENT_ERROR = error_body(
    "InvalidRequest", "The document does not have any translatable text.", "Document", "NoTranslatableText"
)
"""A failed document's error; a batch whose every document failed carries it too, aimed at ``Operation`` (recorded)."""

_FAULT_ERRORS = {
    400: error_body("InvalidRequest", "The request is invalid.", "Operation"),
    404: error_body("ResourceNotFound", "The requested resource was not found.", "Operation"),
    429: error_body("RequestRateTooHigh", "The request rate is too high; retry after some time.", "Operation"),
    500: error_body(
        "InternalServerError",
        "Internal Server Error",
        "Operation",
        inner_message="Unexpected internal server error has occurred",
    ),
    503: error_body("ServiceUnavailable", "The service is temporarily unavailable; retry later.", "Operation"),
}

HTML_502_PAGE = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>Microsoft-Azure-Application-Gateway/v2"
    "</center>\r\n</body>\r\n</html>\r\n"
)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def fault_error_body(status: int) -> dict[str, Any]:
    """The body the real service (or its gateway, for 401) sends with ``status``."""
    if status == 401:
        return GATEWAY_401
    phrase = _phrase(status)
    code = phrase.title().replace(" ", "").replace("-", "")
    return _FAULT_ERRORS.get(status) or error_body(code, phrase, "Operation")


def batch_json(view: BatchView, layout: Layout) -> dict[str, Any]:
    """A batch status body, fields in the real service's order."""
    body: dict[str, Any] = {
        "id": view.id,
        "createdDateTimeUtc": format_ticks(view.created_ticks),
        "lastActionDateTimeUtc": format_ticks(view.last_action_ticks),
        "status": view.status.value,
    }
    if view.validation_error is not None:
        body["error"] = VALIDATION_ERRORS[view.validation_error]["error"]
    elif view.status is Status.FAILED:
        body["error"] = {**FAILED_DOCUMENT_ERROR["error"], "target": "Operation"}
    summary = {
        "total": view.total,
        "failed": view.failed,
        "success": view.success,
        "inProgress": view.in_progress,
        "notYetStarted": view.not_yet_started,
        "cancelled": view.cancelled,
        "totalCharacterCharged": view.characters,
    }
    if layout.images:
        summary |= {
            "totalImageScansSucceeded": view.image_scans,
            "totalImageScansFailed": 0,
            "totalImageCharged": view.image_scans,
        }
    body["summary"] = summary
    return body


def document_json(view: DocumentView, layout: Layout) -> dict[str, Any]:
    """A document status body, fields in the recorded order; ``path`` and ``error`` only where they apply."""
    failed = view.status is Status.FAILED
    body: dict[str, Any] = {} if failed else {"path": view.path}
    body |= {
        "sourcePath": view.source_path,
        "createdDateTimeUtc": format_ticks(view.created_ticks),
        "lastActionDateTimeUtc": format_ticks(view.last_action_ticks),
        "status": view.status.value,
        "to": view.language,
    }
    if failed:
        body["error"] = FAILED_DOCUMENT_ERROR["error"]
    body |= {"progress": view.progress, "id": view.id, "characterCharged": view.characters}
    if layout.images:
        body |= {
            "totalImageScansSucceeded": view.image_scans,
            "totalImageScansFailed": 0,
            "imageCharged": view.image_scans,
            "imageCharacterDetected": view.image_scans * 42,
        }
    return body
