"""``POST document:translate``: reading the multipart upload and translating one document synchronously."""

from __future__ import annotations

from typing import Literal

import attrs
from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.multipart import BadContentDispositionHeader, BadContentDispositionParam

from doctrans_async.emulator._call import Call, Reply
from doctrans_async.emulator._formats import SYNCHRONOUS_FORMATS, Format
from doctrans_async.emulator._translate import glossary_pairs, translate_text
from doctrans_async.emulator._wire import (
    DOCUMENT_ERROR,
    GATEWAY_404,
    MAX_GLOSSARIES_ERROR,
    ApiError,
    error_body,
    invalid_argument,
    invalid_request,
)

__all__ = ["MAX_DOCUMENT_BYTES", "MAX_GLOSSARY_BYTES", "translate_document"]

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
"""The synchronous route's default document size limit (the service's documented "10 MB")."""
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
    unsupported content type 400 InvalidFormat (target ``ContentType``); a second glossary 400 InvalidRequest
    (target ``GlossaryBodies``, as recorded); a document over ``max_document_bytes`` or a glossary over 1 MiB 413
    RequestEntityTooLarge, answered as soon as the limit is passed; a body that is not well-formed multipart 400
    InvalidRequest, whatever is wrong in it.
    """
    if not call.layout.in_query:
        # v1.x has no such operation: the path is unknown to the gateway.
        raise ApiError(404, GATEWAY_404)
    target = (call.query.get("targetLanguage") or "").strip()
    if not target:
        raise invalid_argument("targetLanguage", "The targetLanguage query parameter is required.")
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


_MALFORMED = (
    ValueError,
    HttpProcessingError,  # bad part headers, an overlong line
    BadContentDispositionHeader,  # the two warnings, when warnings are errors (as under pytest)
    BadContentDispositionParam,
    AssertionError,  # aiohttp 3.10: "Reading after EOF", for a body that ends before its closing boundary
    IndexError,  # aiohttp 3.10: an empty Content-Disposition parameter value
)


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
                    raise invalid_request(
                        "Only one document can be translated per request.", "Document", "MultipleDocuments"
                    )
                document = await _read_part(part, "document", limit)
            elif glossaries:
                raise ApiError(400, MAX_GLOSSARIES_ERROR)
            else:
                glossaries.append(await _read_part(part, "glossary", MAX_GLOSSARY_BYTES))
    except _MALFORMED:
        # aiohttp's multipart reader raises these for a malformed body: the client's fault, a 400.
        raise invalid_request("The multipart body is malformed.", "Body", "InvalidRequestBody") from None
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
    return invalid_request(message, target, "MissingDocument")


def _too_large(kind: str, limit: int) -> ApiError:
    message = f"The {kind} is larger than the {limit} bytes synchronous translation accepts."
    return ApiError(413, error_body("RequestEntityTooLarge", message, kind.title()))


def _utf8(data: bytes, target: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApiError(400, {"error": {**DOCUMENT_ERROR["error"], "target": target}}) from None
