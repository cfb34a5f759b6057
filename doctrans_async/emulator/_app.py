"""The wire: aiohttp.web routes that serve the simulated service in every API version's layout.

One application serves all four versions (see ``reference/rest-api.md``): v1.0-preview.1 and v1.0 under
``/translator/text/batch/{version}`` (``$top``/``$skip``, ``@nextLink``), 2024-05-01 and 2026-03-01 under
``/translator/document`` with ``?api-version=`` (``top``/``skip``/``maxpagesize``, ``nextLink``). Every request goes
through :func:`_endpoint`: fault plan, then the checks in the real service's order (unknown path → 404 from the
gateway, key → 401, api-version → 400), then the route, then the fault's changes to what is sent, then the log.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, Literal
from urllib.parse import quote

import attrs
from aiohttp import BodyPartReader, web
from yarl import URL

from doctrans_async._clock import Clock
from doctrans_async.emulator._faults import LINK_FAULTS, Fault, FaultKind, Faults
from doctrans_async.emulator._state import (
    Batch,
    BatchView,
    DocumentView,
    NotCancellable,
    Runs,
    Service,
    Status,
    format_ticks,
    to_ticks,
)
from doctrans_async.emulator._translate import glossary_pairs, translate_text

__all__ = ["RequestRecord", "Settings", "Site", "make_app"]

JSON_TYPE = "application/json; charset=utf-8"
BINARY_TYPE = "application/octet-stream"
_INT32_MAX = 2147483647
_MAX_IDS = 25


@attrs.frozen
class Dialect:
    """What differs between API versions on the wire."""

    version: str
    base: str
    """Path prefix before ``/batches``."""
    top: str
    skip: str
    max_page_size: str | None
    order_by: str | None
    """The orderby parameter's name; None means the version has no list filters at all."""
    next_key: str
    in_query: bool
    """The version travels as ``?api-version=`` (2024-05-01 and later) rather than in the path."""
    images: bool = False


_TEXT_BASE = "/translator/text/batch"
_DOCUMENT_BASE = "/translator/document"
DIALECTS = {
    d.version: d
    for d in (
        Dialect("v1.0-preview.1", f"{_TEXT_BASE}/v1.0-preview.1", "$top", "$skip", None, None,
                "@nextLink", in_query=False),
        Dialect("v1.0", f"{_TEXT_BASE}/v1.0", "$top", "$skip", "$maxpagesize", "$orderBy",
                "@nextLink", in_query=False),
        Dialect("2024-05-01", _DOCUMENT_BASE, "top", "skip", "maxpagesize", "orderby",
                "nextLink", in_query=True),
        Dialect("2026-03-01", _DOCUMENT_BASE, "top", "skip", "maxpagesize", "orderby",
                "nextLink", in_query=True, images=True),
    )
}  # fmt: skip


@attrs.frozen
class RequestRecord:
    """One request as the emulator saw it, credentials redacted."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    """A copy of the request headers with the key and token values replaced by ``REDACTED``."""
    host: str
    """The Host the request came to (``127.0.0.2:<port>`` for a followed foreign-origin link)."""
    route: str | None
    """The fault route name (``"documents"``…), None for a path the service does not have."""
    authorized: bool
    """It carried the emulator's key or an accepted bearer token."""
    sent_credentials: bool
    """It carried a key or Authorization header at all, right or wrong (what a leak check wants)."""
    status: int | None
    """The response status; None while the request is being answered, or when the connection was dropped."""
    fault: FaultKind | None


@attrs.define
class Settings:
    """The emulator's knobs that routes read."""

    key: str
    tokens: frozenset[str]
    page_size: int
    retry_after: int | None
    start_documents: int
    start_seconds: float
    start_failures: int
    foreign_host: str
    max_document_bytes: int = 10 * 1024 * 1024


@attrs.define
class Site:
    """Everything a request is served from."""

    service: Service
    clock: Clock
    faults: Faults
    settings: Settings
    log: deque[RequestRecord] = attrs.Factory(deque)


SITE = web.AppKey("doctrans_emulator_site", Site)


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


def _invalid_argument(name: str, message: str) -> ApiError:
    return ApiError(400, error_body("InvalidArgument", message, name, "InvalidQueryParameterValue"))


def _invalid_request(message: str, target: str, inner_code: str) -> ApiError:
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

VALIDATION_ERROR = error_body(
    "InvalidRequest",
    "Cannot access source document location with the current permissions.",
    "Operation",
    "InvalidDocumentAccessLevel",
)
"""The recorded error of a real ValidationFailed batch (``recorded/2024-05-01-batch-validation-failed.json``)."""

DOCUMENT_ERROR = error_body(
    "InvalidRequest",
    "The document has an encoding that is not supported; save it as UTF-8 and resubmit.",
    "Document",
    "WrongDocumentEncoding",
)

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


# ---------------------------------------------------------------------------------------------------- parameters


@attrs.frozen
class Paging:
    """A list request's paging: what was asked for and what the server applies."""

    skip: int
    top: int | None
    page_size: int
    max_page_size: int | None
    """The client's maxpagesize, echoed in next links; None if it sent none."""

    def window(self, total: int) -> tuple[int, int, Paging | None]:
        """The slice of a ``total``-long collection this page holds, and the paging of the next page if any.

        Skip applies before top; top shrinks by what each page consumed; no next page once top is used up.
        """
        room = max(0, total - self.skip)
        count = min(self.page_size, room, self.top if self.top is not None else room)
        stop = self.skip + count
        left = None if self.top is None else self.top - count
        if count == 0 or stop >= total or left == 0:
            return self.skip, stop, None
        return self.skip, stop, attrs.evolve(self, skip=stop, top=left)


def _int_param(query: Mapping[str, str], name: str, low: int, high: int) -> int | None:
    raw = query.get(name)
    if raw is None:
        return None
    if not re.fullmatch(r"[0-9]{1,10}", raw) or not low <= int(raw) <= high:
        raise _invalid_argument(name, f"The value '{raw}' of {name} must be an integer from {low} to {high}.")
    return int(raw)


def parse_paging(query: Mapping[str, str], dialect: Dialect, default_size: int) -> Paging:
    """Paging parameters in the dialect's spelling; 400 InvalidArgument on a bad value."""
    top = _int_param(query, dialect.top, 0, _INT32_MAX)
    skip = _int_param(query, dialect.skip, 0, _INT32_MAX) or 0
    size = _int_param(query, dialect.max_page_size, 1, 100) if dialect.max_page_size else None
    return Paging(skip, top, size or default_size, size)


@attrs.frozen
class Filters:
    """List filters (v1.0 and later)."""

    ids: tuple[str, ...] | None = None
    statuses: frozenset[Status] | None = None
    created_from: int | None = None
    created_to: int | None = None
    descending: bool = True

    def admits(self, created_ticks: int) -> bool:
        """Whether something created at ``created_ticks`` is inside the created-date window."""
        after = self.created_from is None or created_ticks >= self.created_from
        return after and (self.created_to is None or created_ticks <= self.created_to)


_STATUS_NAMES = {s.value.lower(): s for s in Status} | {"canceled": Status.CANCELLED}


def _split(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def _parse_ids(raw: str | None) -> tuple[str, ...] | None:
    if raw is None:
        return None
    parts = _split(raw)
    if len(parts) > _MAX_IDS:
        raise _invalid_argument("ids", f"At most {_MAX_IDS} ids can be given.")
    try:
        return tuple(str(uuid.UUID(part)) for part in parts)
    except ValueError:
        raise _invalid_argument("ids", "Every id must be a GUID.") from None


def _parse_statuses(raw: str | None) -> frozenset[Status] | None:
    if raw is None:
        return None
    try:
        return frozenset(_STATUS_NAMES[part.lower()] for part in _split(raw))
    except KeyError as unknown:
        raise _invalid_argument("statuses", f"Unknown status {unknown}.") from None


def _parse_date(name: str, raw: str | None) -> int | None:
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise _invalid_argument(name, f"The value '{raw}' of {name} is not a date-time.") from None
    return to_ticks(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def _parse_order(name: str, raw: str | None) -> bool:
    if raw is None:
        return True
    words = raw.split()
    if not words or words[0].lower() != "createddatetimeutc" or len(words) > 2:
        raise _invalid_argument(name, f"{name} supports only 'createdDateTimeUtc asc|desc'.")
    direction = words[1].lower() if len(words) == 2 else "asc"
    if direction not in ("asc", "desc"):
        raise _invalid_argument(name, f"{name} direction must be asc or desc.")
    return direction == "desc"


def parse_filters(query: Mapping[str, str], dialect: Dialect) -> Filters:
    """List filters in the dialect's spelling; v1.0-preview.1 has none and ignores them, as unknown parameters."""
    if dialect.order_by is None:
        return Filters()
    return Filters(
        ids=_parse_ids(query.get("ids")),
        statuses=_parse_statuses(query.get("statuses")),
        created_from=_parse_date("createdDateTimeUtcStart", query.get("createdDateTimeUtcStart")),
        created_to=_parse_date("createdDateTimeUtcEnd", query.get("createdDateTimeUtcEnd")),
        descending=_parse_order(dialect.order_by, query.get(dialect.order_by)),
    )


# ------------------------------------------------------------------------------------------------------- bodies


def batch_json(view: BatchView, dialect: Dialect) -> dict[str, Any]:
    """A batch status body, fields in the real service's order."""
    body: dict[str, Any] = {
        "id": view.id,
        "createdDateTimeUtc": format_ticks(view.created_ticks),
        "lastActionDateTimeUtc": format_ticks(view.last_action_ticks),
        "status": view.status.value,
    }
    if view.status is Status.VALIDATION_FAILED:
        body["error"] = VALIDATION_ERROR["error"]
    summary = {
        "total": view.total,
        "failed": view.failed,
        "success": view.success,
        "inProgress": view.in_progress,
        "notYetStarted": view.not_yet_started,
        "cancelled": view.cancelled,
        "totalCharacterCharged": view.characters,
    }
    if dialect.images:
        summary |= {
            "totalImageScansSucceeded": view.image_scans,
            "totalImageScansFailed": 0,
            "totalImageCharged": view.image_scans,
        }
    body["summary"] = summary
    return body


def document_json(view: DocumentView, dialect: Dialect) -> dict[str, Any]:
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
        body["error"] = DOCUMENT_ERROR["error"]
    body |= {"progress": view.progress, "id": view.id, "characterCharged": view.characters}
    if dialect.images:
        body |= {
            "totalImageScansSucceeded": view.image_scans,
            "totalImageScansFailed": 0,
            "imageCharged": view.image_scans,
            "imageCharacterDetected": view.image_scans * 42,
        }
    return body


@attrs.frozen
class Format:
    """One format the service reads: a row of the formats routes, and what ``document:translate`` does with it."""

    name: str
    extensions: tuple[str, ...]
    content_types: tuple[str, ...]
    kind: Literal["Document", "Glossary"]
    synchronous: bool = True
    """``document:translate`` accepts it (a glossary format: as a glossary part)."""
    textual: bool = False
    """UTF-8 text the emulator "translates"; other documents come back unchanged."""

    def json(self) -> dict[str, Any]:
        """The formats routes' item (v1.x drops ``type``)."""
        return {
            "format": self.name,
            "fileExtensions": list(self.extensions),
            "contentTypes": list(self.content_types),
            "versions": [],
            "type": self.kind,
        }


def _document(name: str, extensions: str, content_type: str, *, synchronous: bool = True) -> Format:
    textual = content_type.startswith("text/") or content_type.endswith("+xml")
    return Format(name, tuple(extensions.split()), (content_type,), "Document", synchronous, textual)


def _glossary(name: str, extensions: str, content_type: str) -> Format:
    return Format(name, tuple(extensions.split()), (content_type,), "Glossary", textual=True)


_OPEN_XML = "application/vnd.openxmlformats-officedocument"
# Names as the real formats route spells them. PDF is batch-only: the synchronous route refuses it with
# InvalidFormat (seen by users of the real service), though the formats route lists it.
FORMATS: dict[str, list[Format]] = {
    "document": [
        _document("PlainText", ".txt", "text/plain"),
        _document("HtmlFile", ".html .htm", "text/html"),
        _document("PortableDocumentFormat", ".pdf", "application/pdf", synchronous=False),
        _document("OpenXmlWord", ".docx", f"{_OPEN_XML}.wordprocessingml.document"),
        _document("OpenXmlSpreadsheet", ".xlsx", f"{_OPEN_XML}.spreadsheetml.sheet"),
        _document("OpenXmlPresentation", ".pptx", f"{_OPEN_XML}.presentationml.presentation"),
        _document("OutlookMailMessage", ".msg", "application/vnd.ms-outlook"),
        _document("Markdown", ".md .markdown", "text/markdown"),
        _document("CSV", ".csv", "text/csv"),
        _document("TSV", ".tsv .tab", "text/tab-separated-values"),
        _document("XLIFF", ".xlf", "application/xliff+xml"),
    ],
    "glossary": [
        _glossary("XLIFF", ".xlf .xliff", "application/xliff+xml"),
        _glossary("TSV", ".tsv .tab", "text/tab-separated-values"),
        _glossary("CSV", ".csv", "text/csv"),
    ],
}
"""Every format, by the formats route's ``type``: the one table the formats routes and ``document:translate`` read."""


def _by_content_type(kind: str) -> dict[str, Format]:
    return {t: f for f in FORMATS[kind] if f.synchronous for t in f.content_types}


SYNCHRONOUS_FORMATS = {"document": _by_content_type("document"), "glossary": _by_content_type("glossary")}
"""What ``document:translate`` accepts in each kind of part, by content type."""


# ------------------------------------------------------------------------------------------------------- routes


@attrs.define
class Reply:
    """What a route answers, before faults and serialization."""

    status: int
    body: dict[str, Any] | None
    headers: dict[str, str] = attrs.Factory(dict)
    next_link: str | None = None
    paged: bool = False
    data: bytes | None = None
    """A binary body (sent as ``application/octet-stream``) instead of the JSON ``body``."""


@attrs.frozen
class Call:
    """One request, resolved: what a route needs to answer it."""

    request: web.Request
    site: Site
    dialect: Dialect
    now: float

    @property
    def origin(self) -> str:
        return f"{self.request.scheme}://{self.request.host}"

    @property
    def query(self) -> Mapping[str, str]:
        return self.request.query

    def batch(self) -> Batch:
        batch = self.site.service.get(self.request.match_info["batch_id"])
        if batch is None:
            message = "The requested batch was not found."
            raise ApiError(404, error_body("ResourceNotFound", message, "Operation"))
        return batch

    def batch_url(self, batch_id: str) -> str:
        suffix = f"?api-version={self.dialect.version}" if self.dialect.in_query else ""
        return f"{self.origin}{self.dialect.base}/batches/{batch_id}{suffix}"

    def page(self, items: list[dict[str, Any]], following: Paging | None) -> Reply:
        link = self.next_link(following) if following is not None else None
        return Reply(200, {"value": items}, next_link=link, paged=True)

    def next_link(self, paging: Paging) -> str:
        """This request's URL on its own origin with the paging moved on, every other parameter kept."""
        d = self.dialect
        paging_names = {d.top, d.skip, d.max_page_size}
        pairs = [(k, v) for k, v in self.query.items() if k not in paging_names]
        pairs.append((d.skip, str(paging.skip)))
        if paging.top is not None:
            pairs.append((d.top, str(paging.top)))
        if paging.max_page_size is not None and d.max_page_size is not None:
            pairs.append((d.max_page_size, str(paging.max_page_size)))
        query = "&".join(f"{quote(k, safe='$')}={quote(v, safe=',:')}" for k, v in pairs)
        return f"{self.origin}{self.request.rel_url.raw_path}?{query}"


Route = Callable[[Call], Awaitable[Reply]]


async def get_status(call: Call) -> Reply:
    """``GET batches/{id}``."""
    reply = Reply(200, batch_json(call.batch().view(call.now), call.dialect))
    if call.site.settings.retry_after is not None:
        reply.headers["Retry-After"] = str(call.site.settings.retry_after)
    return reply


async def list_documents(call: Call) -> Reply:
    """``GET batches/{id}/documents``: documents by id descending, computed lazily for the page only.

    Every document of a batch shares its creation time, so ordering by it keeps the id order.
    """
    batch = call.batch()
    paging = parse_paging(call.query, call.dialect, call.site.settings.page_size)
    filters = parse_filters(call.query, call.dialect)
    moment = batch.moment(call.now)
    runs = batch.select(moment, filters.statuses, filters.ids)
    if not filters.admits(batch.created_ticks):
        runs = Runs(())
    start, stop, following = paging.window(len(runs))
    items = [document_json(batch.document(i, moment), call.dialect) for i in runs.slice(start, stop)]
    return call.page(items, following)


async def get_document(call: Call) -> Reply:
    """``GET batches/{id}/documents/{documentId}``."""
    batch = call.batch()
    index = batch.document_index(call.request.match_info["document_id"])
    if index is None:
        message = "The requested document was not found."
        raise ApiError(404, error_body("ResourceNotFound", message, "Document"))
    return Reply(200, document_json(batch.document(index, batch.moment(call.now)), call.dialect))


async def list_batches(call: Call) -> Reply:
    """``GET batches``: every batch, newest first unless ordered otherwise."""
    paging = parse_paging(call.query, call.dialect, call.site.settings.page_size)
    filters = parse_filters(call.query, call.dialect)
    ordered = sorted(
        call.site.service.batches(),
        key=lambda b: (b.created_ticks, b.sequence),
        reverse=filters.descending,
    )
    chosen = [v for v in (b.view(call.now) for b in ordered) if _batch_matches(v, filters)]
    start, stop, following = paging.window(len(chosen))
    return call.page([batch_json(v, call.dialect) for v in chosen[start:stop]], following)


def _batch_matches(view: BatchView, filters: Filters) -> bool:
    if filters.ids is not None and view.id not in filters.ids:
        return False
    if filters.statuses is not None and view.status not in filters.statuses:
        return False
    return filters.admits(view.created_ticks)


async def start_batch(call: Call) -> Reply:
    """``POST batches``: 202 with ``Operation-Location``; a body only from 2024-05-01 on."""
    source, target, language = _start_request(await _json_body(call.request))
    settings = call.site.settings
    batch = call.site.service.add(
        now=call.now,
        utcnow=call.site.clock.utcnow(),
        documents=settings.start_documents,
        seconds=settings.start_seconds,
        failures=min(settings.start_failures, settings.start_documents),
        language=language,
        source_url=source,
        target_url=target,
    )
    body = {"id": batch.id, "status": Status.NOT_STARTED.value} if call.dialect.in_query else None
    return Reply(202, body, {"Operation-Location": call.batch_url(batch.id)})


async def _json_body(request: web.Request) -> Any:
    try:
        return json.loads(await request.read())
    except (ValueError, UnicodeDecodeError):
        raise _invalid_request("The request body is not valid JSON.", "Body", "InvalidRequestBody") from None


def _start_request(body: Any) -> tuple[str, str, str]:
    """The first input's source URL, target URL and language; 400 InvalidRequest if the shape is wrong."""
    inputs = body.get("inputs") if isinstance(body, dict) else None
    if not isinstance(inputs, list) or not inputs or not all(map(_valid_input, inputs)):
        message = "Each input needs source.sourceUrl and at least one target with targetUrl and language."
        raise _invalid_request(message, "Inputs", "InvalidDocumentInputs")
    first = inputs[0]
    return first["source"]["sourceUrl"], first["targets"][0]["targetUrl"], first["targets"][0]["language"]


def _valid_input(item: Any) -> bool:
    source = item.get("source") if isinstance(item, dict) else None
    targets = item.get("targets") if isinstance(item, dict) else None
    if not isinstance(source, dict) or not isinstance(source.get("sourceUrl"), str):
        return False
    return isinstance(targets, list) and bool(targets) and all(map(_valid_target, targets))


def _valid_target(target: Any) -> bool:
    return (
        isinstance(target, dict)
        and isinstance(target.get("targetUrl"), str)
        and isinstance(target.get("language"), str)
    )


async def cancel_batch(call: Call) -> Reply:
    """``DELETE batches/{id}``: 200 with the batch now Cancelling; 400 if it already finished or is cancelling."""
    batch = call.batch()
    try:
        batch.cancel(call.now)
    except NotCancellable as refused:
        message = f"The operation cannot be cancelled because its status is {refused.status.value}."
        raise _invalid_request(message, "Operation", "OperationNotCancellable") from None
    return Reply(200, batch_json(batch.view(call.now), call.dialect))


def _formats_reply(kinds: Iterable[str], dialect: Dialect) -> Reply:
    items = [f.json() for kind in kinds for f in FORMATS[kind]]
    if not dialect.in_query:
        items = [{k: v for k, v in f.items() if k != "type"} for f in items]
    return Reply(200, {"value": items})


async def document_formats(call: Call) -> Reply:
    """v1.x ``GET documents/formats``."""
    return _formats_reply(["document"], call.dialect)


async def glossary_formats(call: Call) -> Reply:
    """v1.x ``GET glossaries/formats``."""
    return _formats_reply(["glossary"], call.dialect)


async def storage_sources(call: Call) -> Reply:
    """v1.x ``GET storagesources``."""
    return Reply(200, {"value": ["AzureBlob"]})


async def formats(call: Call) -> Reply:
    """2024-05-01+ ``GET formats?type=document|glossary`` (both kinds without ``type``)."""
    kind = call.query.get("type")
    if kind is not None and kind.lower() not in FORMATS:
        raise _invalid_argument("type", "type must be document or glossary.")
    return _formats_reply([kind.lower()] if kind else list(FORMATS), call.dialect)


# ------------------------------------------------------------------------------------------- document:translate

MAX_GLOSSARY_BYTES = 1024 * 1024
"""The synchronous route's glossary size limit (the service's documented "1 MB")."""


@attrs.frozen
class Upload:
    """A ``document:translate`` body, read: the document and the glossaries, each with its format."""

    document: bytes
    format: Format
    glossaries: tuple[tuple[bytes, Format], ...]


async def translate_document(call: Call) -> Reply:
    """``POST /translator/document:translate`` (2024-05-01 on): one document translated synchronously.

    The multipart body holds a ``document`` part (a file name and a content type the service translates
    synchronously) and optional ``glossary`` parts. Text documents come back "translated" as
    :func:`~doctrans_async.emulator._translate.translate_text` does (TSV/CSV glossaries applied); binary ones
    (Word, Excel, PowerPoint, Outlook) come back byte for byte as they were sent, which still shows the upload
    arrived whole. Error bodies: a missing target language is 400 InvalidArgument (target ``targetLanguage``); an
    unsupported content type 400 InvalidFormat (target ``ContentType``); a document over ``max_document_bytes`` or
    a glossary over 1 MiB 413 RequestEntityTooLarge, answered as soon as the limit is passed.
    """
    if not call.dialect.in_query:
        # v1.x has no such operation: the path is unknown to the gateway.
        raise ApiError(404, GATEWAY_404)
    target = call.query.get("targetLanguage", "").strip()
    if not target:
        raise _invalid_argument("targetLanguage", "The targetLanguage query parameter is required.")
    upload = await _read_upload(call.request, call.site.settings.max_document_bytes)
    if not upload.format.textual:
        return Reply(200, None, data=upload.document)
    pairs = [
        pair
        for data, kind in upload.glossaries
        for pair in glossary_pairs(_utf8(data, "Glossary"), kind.content_types[0])
    ]
    text = translate_text(_utf8(upload.document, "Document"), target, pairs)
    return Reply(200, None, data=text.encode())


async def _read_upload(request: web.Request, limit: int) -> Upload:
    """Read the multipart body part by part, never holding more of a part than its limit."""
    if request.content_type.partition("/")[0] != "multipart":
        raise _no_document("The request body must be multipart/form-data with a document part.")
    document: tuple[bytes, Format] | None = None
    glossaries: list[tuple[bytes, Format]] = []
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or part.name not in ("document", "glossary"):
                # The service ignores fields it does not know; draining one costs nothing kept.
                await part.release()
            elif part.name == "document":
                if document is not None:
                    raise _invalid_request(
                        "Only one document can be translated per request.", "Document", "MultipleDocuments"
                    )
                document = await _read_part(part, "document", limit)
            else:
                glossaries.append(await _read_part(part, "glossary", MAX_GLOSSARY_BYTES))
    except ValueError:
        raise _invalid_request("The multipart body is malformed.", "Body", "InvalidRequestBody") from None
    if document is None:
        raise _no_document("The request has no document part.")
    return Upload(document[0], document[1], tuple(glossaries))


async def _read_part(part: BodyPartReader, kind: Literal["document", "glossary"], limit: int) -> tuple[bytes, Format]:
    if not part.filename:
        raise _no_document(f"The {kind} part needs a file name.", kind.title())
    content_type = part.headers.get("Content-Type", "").partition(";")[0].strip().lower()
    found = SYNCHRONOUS_FORMATS[kind].get(content_type)
    if found is None:
        # Code, message and target as the real service sends them for a PDF; the status is a guess.
        raise ApiError(400, error_body("InvalidFormat", "The format parameter is not valid.", "ContentType"))
    data = bytearray()
    while chunk := await part.read_chunk():
        data += chunk
        if len(data) > limit:
            raise _too_large(kind, limit)
    return bytes(data), found


def _no_document(message: str, target: str = "Document") -> ApiError:
    return _invalid_request(message, target, "MissingDocument")


def _too_large(kind: str, limit: int) -> ApiError:
    message = f"The {kind} is larger than the {limit} bytes synchronous translation accepts."
    return ApiError(413, error_body("RequestEntityTooLarge", message, kind.title()))


def _utf8(data: bytes, target: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApiError(400, {"error": {**DOCUMENT_ERROR["error"], "target": target}}) from None


# ----------------------------------------------------------------------------------------------------- plumbing

Layout = Literal["text", "document"]
_BATCH = "/batches/{batch_id}"
_RouteTable = list[tuple[str, str, str, Route]]
_COMMON_ROUTES: _RouteTable = [
    ("GET", "/batches", "batches", list_batches),
    ("POST", "/batches", "start", start_batch),
    ("GET", _BATCH, "status", get_status),
    ("DELETE", _BATCH, "cancel", cancel_batch),
    ("GET", f"{_BATCH}/documents", "documents", list_documents),
    ("GET", f"{_BATCH}/documents/{{document_id}}", "document", get_document),
]
_TEXT_ROUTES: _RouteTable = [
    ("GET", "/documents/formats", "formats", document_formats),
    ("GET", "/glossaries/formats", "formats", glossary_formats),
    ("GET", "/storagesources", "storagesources", storage_sources),
]
_DOCUMENT_ROUTES: _RouteTable = [
    ("GET", "/formats", "formats", formats),
    # Not under /document/ but beside it: /translator/document:translate.
    ("POST", ":translate", "translate", translate_document),
]


def _dialect(request: web.Request, layout: Layout) -> Dialect | None:
    if layout == "document":
        return DIALECTS.get(request.query.get("api-version", ""))
    found = DIALECTS.get(request.match_info["version"])
    return found if found is not None and not found.in_query else None


def _authorized(headers: Mapping[str, str], settings: Settings) -> bool:
    key = headers.get("Ocp-Apim-Subscription-Key")
    if key is not None and hmac.compare_digest(key.encode(), settings.key.encode()):
        return True
    scheme, _, token = headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and token.strip() in settings.tokens


def _redacted(headers: Mapping[str, str]) -> dict[str, str]:
    copy = dict(headers)
    for name in list(copy):
        if name.lower() == "ocp-apim-subscription-key":
            copy[name] = "REDACTED"
        elif name.lower() == "authorization":
            copy[name] = f"{copy[name].partition(' ')[0]} REDACTED"
    return copy


def _page_key(url: URL) -> str:
    return f"{url.path}?{sorted(url.query.items())}"


def _api_version_error() -> dict[str, Any]:
    versions = ", ".join(v for v, d in DIALECTS.items() if d.in_query)
    message = f"The api-version query parameter is missing or unsupported; use one of {versions}."
    return error_body("InvalidRequest", message, "api-version", "InvalidApiVersion")


def _apply_link_fault(call: Call, reply: Reply, fault: Fault | None) -> None:
    """Rewrite a page's next link as ``fault`` says, and close any armed A → B → A cycle."""
    self_url = f"{call.origin}{call.request.rel_url}"
    kind = fault.kind if fault is not None else None
    if kind is FaultKind.REPEAT_NEXT_LINK:
        reply.next_link = self_url
    elif kind is FaultKind.FOREIGN_NEXT_LINK:
        foreign = URL(reply.next_link or self_url, encoded=True)
        reply.next_link = str(foreign.with_host(call.site.settings.foreign_host))
    elif kind is FaultKind.CYCLE_NEXT_LINK:
        reply.next_link = reply.next_link or self_url
        call.site.faults.arm_cycle(_page_key(URL(reply.next_link)), self_url)
    back = call.site.faults.cycle_link(_page_key(call.request.rel_url))
    if back is not None and kind not in LINK_FAULTS:
        reply.next_link = back


def _request_ids(request_id: str) -> dict[str, str]:
    return {"apim-request-id": request_id, "X-RequestId": request_id}


def _json(body: dict[str, Any]) -> bytes:
    # Compact, like the real service's bodies.
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def _render(reply: Reply, request_id: str, fault: Fault | None = None, next_key: str = "") -> web.Response:
    headers = _request_ids(request_id) | reply.headers
    if reply.data is not None:
        headers["Content-Type"] = BINARY_TYPE
        return web.Response(status=reply.status, body=_corrupt(reply.data, headers, fault), headers=headers)
    body = reply.body
    if reply.paged and body is not None and reply.next_link is not None:
        body = {**body, next_key: reply.next_link}
    if body is None:
        return web.Response(status=reply.status, headers=headers)
    data = _json(body)
    headers["Content-Type"] = JSON_TYPE
    if reply.status == 200:
        headers["ETag"] = f'"{hashlib.sha256(data).hexdigest()}"'
        headers["Cache-Control"] = "public, max-age=1"
    data = _corrupt(data, headers, fault)
    return web.Response(status=reply.status, body=data, headers=headers)


def _corrupt(data: bytes, headers: dict[str, str], fault: Fault | None) -> bytes:
    """Body faults: what a half-written, mislabelled or empty 200 looks like."""
    kind = fault.kind if fault is not None else None
    if kind is FaultKind.TRUNCATED:
        return data[: len(data) // 2]
    if kind is FaultKind.NOT_JSON:
        headers["Content-Type"] = "text/plain; charset=utf-8"
        return b"Service is healthy. Thank you for asking."
    if kind is FaultKind.EMPTY:
        return b""
    return data


def _early(fault: Fault, request_id: str) -> web.Response | None:
    """Faults answered before the service is asked anything."""
    if fault.kind is FaultKind.HTML_502:
        return web.Response(status=502, text=HTML_502_PAGE, content_type="text/html")
    if fault.kind is FaultKind.HTTP:
        assert fault.status is not None
        headers = _request_ids(request_id) | fault.retry_headers() | {"Content-Type": JSON_TYPE}
        return web.Response(status=fault.status, body=_json(fault_error_body(fault.status)), headers=headers)
    return None


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _endpoint(name: str | None, route: Route | None, layout: Layout) -> Handler:
    """The aiohttp handler of one route in one layout (``route`` None: the gateway's 404)."""

    async def handle(request: web.Request) -> web.StreamResponse:
        site = request.app[SITE]
        fault = site.faults.take(name) if name is not None else None
        # Logged on arrival, so a test sees a slow request while it is in flight; completed once answered.
        arrived = _record(request, site, name, None, fault)
        site.log.append(arrived)
        status: int | None = None
        try:
            response = await _serve(request, site, route, layout, fault)
            status = response.status if response is not None else None
            return response if response is not None else web.Response()
        finally:
            _complete(site.log, arrived, status)

    return handle


def _complete(log: deque[RequestRecord], arrived: RequestRecord, status: int | None) -> None:
    """Put the answered status into ``arrived``'s log entry, unless the entry was since evicted or cleared."""
    if status is None:
        return
    # Searched from the newest end: only requests that arrived meanwhile lie between it and the end.
    for back, record in enumerate(reversed(log), start=1):
        if record is arrived:
            log[-back] = attrs.evolve(arrived, status=status)
            return


async def _serve(
    request: web.Request,
    site: Site,
    route: Route | None,
    layout: Layout,
    fault: Fault | None,
) -> web.Response | None:
    """The response to send, or None when the connection is dropped instead.

    Link faults on a route without next links, and body faults on bodiless answers, change nothing.
    """
    request_id = str(uuid.uuid4())
    if fault is not None:
        if fault.kind is FaultKind.SLOW:
            # Sockets do not share the virtual clock: a slow response is slow in real time.
            await asyncio.sleep(fault.delay)
        elif fault.kind is FaultKind.DROP:
            if request.transport is not None:
                request.transport.close()
            return None
        early = _early(fault, request_id)
        if early is not None:
            return early
    dialect = _dialect(request, layout) if route is not None else None
    if route is None or (dialect is None and layout == "text"):
        return _render(Reply(404, GATEWAY_404), request_id)
    if not _authorized(request.headers, site.settings):
        return _render(Reply(401, GATEWAY_401), request_id)
    if dialect is None:
        return _render(Reply(400, _api_version_error()), request_id)
    call = Call(request, site, dialect, site.clock.monotonic())
    try:
        reply = await route(call)
    except ApiError as error:
        reply = Reply(error.status, error.body)
    if reply.paged:
        _apply_link_fault(call, reply, fault)
    return _render(reply, request_id, fault, dialect.next_key)


def _record(
    request: web.Request, site: Site, name: str | None, status: int | None, fault: Fault | None
) -> RequestRecord:
    headers = request.headers
    return RequestRecord(
        method=request.method,
        path=request.path,
        query=dict(request.query),
        headers=_redacted(headers),
        host=request.host,
        route=name,
        authorized=_authorized(headers, site.settings),
        sent_credentials="Ocp-Apim-Subscription-Key" in headers or "Authorization" in headers,
        status=status,
        fault=fault.kind if fault is not None else None,
    )


def make_app(site: Site) -> web.Application:
    """The aiohttp application serving ``site`` in every version's layout."""
    app = web.Application()
    app[SITE] = site
    text_prefix = f"{_TEXT_BASE}/{{version}}"
    layouts: list[tuple[Layout, str, _RouteTable]] = [
        ("text", text_prefix, _COMMON_ROUTES + _TEXT_ROUTES),
        ("document", _DOCUMENT_BASE, _COMMON_ROUTES + _DOCUMENT_ROUTES),
    ]
    for layout, prefix, table in layouts:
        for method, path, name, route in table:
            app.router.add_route(method, prefix + path, _endpoint(name, route, layout))
    app.router.add_route("*", "/{tail:.*}", _endpoint(None, None, "text"))
    return app
