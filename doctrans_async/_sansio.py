"""The protocol, with no I/O: requests are built and responses interpreted here, by pure functions.

Nothing in this module touches a socket, an event loop or aiohttp: (status, headers, body) go in, a model or an
exception comes out. The aiohttp layer in :mod:`doctrans_async._client` only sends and receives.

Credentials are deliberately absent from :class:`Request`: the transport adds them at send time, and only for
the configured origin, so no request object, error or log line can carry the key.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any, BinaryIO, Literal, TypedDict, TypeVar, Unpack
from urllib.parse import SplitResult, quote, unquote, urljoin, urlsplit

import attrs
import cattrs

from doctrans_async._converter import (
    error_detail,
    input_to_wire,
    structure_batch,
    structure_batches,
    structure_document,
    structure_documents,
    structure_formats,
    structure_strings,
)
from doctrans_async._errors import (
    AuthenticationError,
    ContinuationLinkError,
    InvalidRequestError,
    MalformedResponseError,
    NotFoundError,
    RateLimitError,
    ServerError,
    ServiceError,
    UnsupportedOperationError,
)
from doctrans_async._json import loads
from doctrans_async._models import (
    BatchPage,
    BatchStatus,
    DocumentPage,
    DocumentStatus,
    ErrorDetail,
    FileFormat,
    Status,
    TranslationInput,
)
from doctrans_async._versions import ApiVersion, layout_of

__all__ = [
    "MAX_INT32",
    "Endpoint",
    "ListQuery",
    "Origin",
    "Part",
    "Request",
    "Response",
    "check_id",
    "check_next_link",
    "error_for",
    "origin_of",
    "page_key",
    "parse_batch_page",
    "parse_batch_poll",
    "parse_batch_status",
    "parse_document_page",
    "parse_document_status",
    "parse_formats",
    "parse_retry_after",
    "parse_started_batch_id",
    "parse_storage_sources",
    "parse_translated_document",
    "request_id_of",
    "start_translation_body",
]

MAX_INT32 = 2_147_483_647
"""The largest ``top``/``skip`` the service accepts."""

Origin = tuple[str, str, int]
"""(scheme, host, port), lower-cased, port defaulted: what decides where credentials may go."""

_DEFAULT_PORTS = {"http": 80, "https": 443}


@attrs.frozen
class Part:
    """One part of a multipart body; ``source`` is bytes, a file path (opened when sent), or an open binary file."""

    name: str
    filename: str
    content_type: str
    source: bytes | Path | BinaryIO
    start: int | None = None
    """Where an open file's content starts (sent again from there on a retry); ``None`` if it cannot seek."""


@attrs.frozen
class Request:
    """A request to send: method and absolute, already-encoded URL. Never holds credentials.

    The body is ``body`` (with ``content_type``) or, for a multipart upload, ``parts``. ``timeout`` replaces
    the client's ``request_timeout`` for each attempt of this request (real seconds).
    """

    method: str
    url: str
    body: bytes | None = None
    content_type: str | None = None
    parts: tuple[Part, ...] = ()
    timeout: float | None = None

    def __str__(self) -> str:
        return f"{self.method} {self.url}"


@attrs.frozen
class Response:
    """A received response. ``headers`` is looked up with lower-case names: a case-insensitive mapping, or a
    plain dict with lower-cased keys (see :meth:`build`)."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    complete: bool = True
    """Whether the whole body arrived (``False``: the connection broke after the headers)."""

    @classmethod
    def build(cls, status: int, headers: Iterable[tuple[str, str]], body: bytes) -> Response:
        """Make a response from raw parts, folding header names to lower case."""
        return cls(status, {name.lower(): value for name, value in headers}, body)


def origin_of(url: str) -> Origin:
    """The origin of an absolute http(s) URL; ``ValueError`` for anything else."""
    return _origin(urlsplit(url))


def _origin(parts: SplitResult) -> Origin:
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ValueError("not an absolute http(s) URL")
    if parts.username is not None or parts.password is not None:
        raise ValueError("URL carries user information")
    return scheme, parts.hostname.lower(), parts.port or _DEFAULT_PORTS[scheme]


def _query(pairs: Iterable[tuple[str, object]]) -> str:
    # '$' stays literal: '$top' is what the v1.x spec and service use, not '%24top'.
    encoded = "&".join(f"{quote(name, safe='$')}={quote(str(value), safe=',')}" for name, value in pairs)
    return f"?{encoded}" if encoded else ""


def _check_range(name: str, value: int | None, low: int, high: int) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}, got {value}")


_V1_FORMAT_PATHS = {"document": "/documents/formats", "glossary": "/glossaries/formats"}


def _strip_slash(url: str) -> str:
    return url.rstrip("/")


class ListQuery(TypedDict, total=False):
    """What selects a listing's items: the one place the listing keywords are written (a new filter is added here
    and in :meth:`Endpoint.query_params`). Filters need API v1.0 or later."""

    top: int | None
    """At most this many items in all."""
    skip: int | None
    """Skip this many first (applied before ``top``)."""
    page_size: int | None
    """Ask for pages of this many (1–100); by default the largest, 100 (the service's own default is 50)."""
    ids: Sequence[str] | None
    statuses: Sequence[Status | str] | None
    created_after: datetime | None
    """Only what was created at or after this (timezone-aware)."""
    created_before: datetime | None
    """Only what was created at or before this (timezone-aware), to the end of its microsecond: the service stamps
    in 100 ns ticks, which a status's ``created_at`` cuts to microseconds."""
    order_by: Literal["asc", "desc"] | None
    """Order by creation time, ascending or descending."""


def _joined(values: Sequence[str] | None) -> str | None:
    if values is None:
        return None
    if isinstance(values, str):
        raise TypeError("pass a list of values, not one string")
    return ",".join(values)


def _status_texts(statuses: Sequence[str] | None) -> Sequence[str] | None:
    if statuses is None or isinstance(statuses, str):
        return statuses  # _joined refuses a lone string (it would be sent as its letters, F,a,i,l,e,d)
    return [str(Status(status)) for status in statuses]


def _filter_ids(ids: Sequence[str] | None) -> Sequence[str] | None:
    if ids is None or isinstance(ids, str):
        return ids  # _joined refuses a lone string
    for value in ids:
        if "," in check_id(value):
            raise ValueError(f"an id in a filter cannot contain ',' (it separates the ids), got {value!r}")
    return ids


def _timestamp(name: str, value: datetime | None, *, last_tick: bool = False) -> str | None:
    """``value`` as the service's filters take it; ``last_tick`` makes it the microsecond's last 100 ns tick.

    The service stamps and compares in 100 ns ticks, a datetime holds microseconds: a status's ``created_at`` is
    its stamp cut to the microsecond. An inclusive end at a whole microsecond would leave out the stamps later in
    it, so ``created_before=doc.created_at`` would miss ``doc`` nine times in ten.
    """
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(value).__name__}")
    if value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (which time zone a naive datetime means is a guess)")
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{name} has no UTC time a datetime can hold: {value.isoformat()}") from None
    # isoformat, not strftime: strftime's %Y does not pad a year before 1000 to ISO 8601's four digits.
    text = utc.replace(tzinfo=None).isoformat(timespec="microseconds")
    return f"{text}9Z" if last_tick else f"{text}Z"


def _order(value: str | None) -> str | None:
    if value is None:
        return None
    if value not in ("asc", "desc"):
        raise ValueError(f"order_by must be 'asc' or 'desc', got {value!r}")
    return f"createdDateTimeUtc {value}"


def start_translation_body(
    inputs: Sequence[TranslationInput] | Mapping[str, Any],
    version: ApiVersion,
    *,
    translate_text_within_image: bool | None = None,
) -> bytes:
    """The JSON body that starts a batch: typed inputs, or a raw request dict passed through as given.

    What ``version`` lacks (a target's ``deployment_name``, ``translate_text_within_image``) raises
    :class:`UnsupportedOperationError`, so it is never silently dropped by the service.
    """
    if isinstance(inputs, Mapping):
        if translate_text_within_image is not None:
            raise ValueError("a raw request body carries its own options; pass translate_text_within_image in it")
        return json.dumps(inputs).encode()
    if not inputs:
        raise ValueError("a batch needs at least one input")
    layout = layout_of(ApiVersion(version))
    if not layout.has_deployments and any(t.deployment_name is not None for item in inputs for t in item.targets):
        raise UnsupportedOperationError(_newer_only("deployment_name (a target's)", version))
    body: dict[str, Any] = {"inputs": [input_to_wire(item) for item in inputs]}
    if translate_text_within_image is not None:
        if not layout.has_image_translation:
            raise UnsupportedOperationError(_newer_only("translate_text_within_image", version))
        body["options"] = {"translateTextWithinImage": bool(translate_text_within_image)}
    return json.dumps(body).encode()


def _newer_only(what: str, version: ApiVersion) -> str:
    return f"API {ApiVersion(version).value} has no {what}; use 2026-03-01 or later"


def _flag(value: bool | None) -> str | None:
    return None if value is None else str(bool(value)).lower()


_STATUS_REQUESTS_KEPT = 4096


@attrs.frozen
class Endpoint:
    """One service endpoint at one API version: builds the requests for it.

    ``url`` is the resource's origin (``https://<name>.cognitiveservices.azure.com``), optionally with a path
    prefix (a proxy); a trailing slash is ignored.
    """

    url: str = attrs.field(converter=_strip_slash)
    version: ApiVersion = attrs.field(converter=ApiVersion)
    origin: Origin = attrs.field(init=False)
    # The constant parts of every URL, built once: the operations' root and the query every call carries.
    _root: str = attrs.field(init=False, repr=False, eq=False)
    _fixed_query: str = attrs.field(init=False, repr=False, eq=False)
    # A poller asks for the same few statuses over and over: each one's request is built (its id checked and
    # quoted) once. A Request is immutable, so one serves every poll; the dict is emptied when full.
    _status_requests: dict[str, Request] = attrs.field(init=False, factory=dict, repr=False, eq=False)

    @origin.default
    def _origin(self) -> Origin:
        parts = urlsplit(self.url)
        if parts.query or parts.fragment:
            raise ValueError("the endpoint must not have a query or fragment")
        try:
            return origin_of(self.url)
        except ValueError as exc:
            raise ValueError(f"the endpoint must be an http(s) origin without credentials: {exc}") from None

    @_root.default
    def _root_default(self) -> str:
        return f"{self.url}{layout_of(self.version).base_path}"

    @_fixed_query.default
    def _fixed_query_default(self) -> str:
        return _query(layout_of(self.version).query)

    def _url(self, path: str, params: Iterable[tuple[str, object]] = ()) -> str:
        if not params:
            return f"{self._root}{path}{self._fixed_query}"
        return f"{self._root}{path}{_query([*params, *layout_of(self.version).query])}"

    def batch_status(self, batch_id: str) -> Request:
        """``GET /batches/{id}``."""
        cacheable = type(batch_id) is str  # a str subclass may hash and compare as it likes: never a cache key
        known = self._status_requests.get(batch_id) if cacheable else None
        if known is not None:
            return known
        request = Request("GET", self._url(f"/batches/{_segment(batch_id)}"))
        if cacheable:
            if len(self._status_requests) >= _STATUS_REQUESTS_KEPT:
                self._status_requests.clear()
            self._status_requests[batch_id] = request
        return request

    def documents(self, batch_id: str, **query: Unpack[ListQuery]) -> Request:
        """``GET /batches/{id}/documents``: the first page of a document listing."""
        return Request("GET", self._url(f"/batches/{_segment(batch_id)}/documents", self.query_params(query)))

    def batches(self, **query: Unpack[ListQuery]) -> Request:
        """``GET /batches``: the first page of a batch listing."""
        return Request("GET", self._url("/batches", self.query_params(query)))

    def query_params(self, query: ListQuery) -> list[tuple[str, object]]:
        """A listing's query parameters in this version's names; :class:`UnsupportedOperationError` for filters
        the version lacks."""
        _check_range("top", query.get("top"), 0, MAX_INT32)
        _check_range("skip", query.get("skip"), 0, MAX_INT32)
        layout = layout_of(self.version)
        page_size = query.get("page_size")
        _check_range("page_size", page_size, 1, layout.max_page_size)
        paging = {
            layout.top: query.get("top"),
            layout.skip: query.get("skip"),
            # The largest page unless asked otherwise: half the requests of the service's default (50).
            layout.page_size: layout.max_page_size if page_size is None else page_size,
        }
        filters = {
            "ids": _joined(_filter_ids(query.get("ids"))),
            "statuses": _joined(_status_texts(query.get("statuses"))),
            "createdDateTimeUtcStart": _timestamp("created_after", query.get("created_after")),
            "createdDateTimeUtcEnd": _timestamp("created_before", query.get("created_before"), last_tick=True),
            layout.order_by: _order(query.get("order_by")),
        }
        given = [(name, value) for name, value in filters.items() if value is not None]
        if given and not layout.has_filters:
            names = ", ".join(name for name, _ in given)
            raise UnsupportedOperationError(f"this API version has no listing filters (got {names}); use v1.0 or later")
        return [*((name, value) for name, value in paging.items() if value is not None), *given]

    def document_status(self, batch_id: str, document_id: str) -> Request:
        """``GET /batches/{id}/documents/{documentId}``."""
        return Request("GET", self._url(f"/batches/{_segment(batch_id)}/documents/{_segment(document_id)}"))

    def start_translation(self, body: bytes) -> Request:
        """``POST /batches`` with a JSON body from :func:`start_translation_body`."""
        return Request("POST", self._url("/batches"), body=body, content_type="application/json")

    def cancel_translation(self, batch_id: str) -> Request:
        """``DELETE /batches/{id}``."""
        return Request("DELETE", self._url(f"/batches/{_segment(batch_id)}"))

    def supported_formats(self, kind: Literal["document", "glossary"]) -> Request:
        """The supported document or glossary formats (a path per kind on v1.x, a ``type`` query later)."""
        if kind not in ("document", "glossary"):
            raise ValueError(f"kind must be 'document' or 'glossary', got {kind!r}")
        if self.version.is_v1:
            return Request("GET", self._url(_V1_FORMAT_PATHS[kind]))
        return Request("GET", self._url("/formats", [("type", kind)]))

    def translate_document(
        self,
        parts: Sequence[Part],
        *,
        target_language: str,
        source_language: str | None = None,
        category: str | None = None,
        allow_fallback: bool | None = None,
        deployment_name: str | None = None,
        translate_text_within_image: bool | None = None,
    ) -> Request:
        """``POST /translator/document:translate``: one document, translated synchronously (2024-05-01 on;
        ``deployment_name`` and ``translate_text_within_image`` 2026-03-01 on)."""
        if self.version.is_v1:
            raise UnsupportedOperationError(
                f"API {self.version.value} cannot translate a single document; use 2024-05-01 or later"
            )
        if not target_language:
            raise ValueError("target_language is required")
        layout = layout_of(self.version)
        if deployment_name is not None and not layout.has_deployments:
            raise UnsupportedOperationError(_newer_only("deployment_name", self.version))
        if translate_text_within_image is not None and not layout.has_image_translation:
            raise UnsupportedOperationError(_newer_only("translate_text_within_image", self.version))
        given = {
            "targetLanguage": target_language,
            "sourceLanguage": source_language,
            "category": category,
            "allowFallback": _flag(allow_fallback),
            "deploymentName": deployment_name,
            "translateTextWithinImage": _flag(translate_text_within_image),
        }
        params = [(name, value) for name, value in given.items() if value is not None]
        query = _query([*layout_of(self.version).query, *params])
        return Request("POST", f"{self.url}/translator/document:translate{query}", parts=tuple(parts))

    def storage_sources(self) -> Request:
        """``GET /storagesources`` (v1.x only)."""
        if not self.version.is_v1:
            raise UnsupportedOperationError(f"API {self.version.value} has no storage sources operation; use v1.0")
        return Request("GET", self._url("/storagesources"))

    def follow(self, link: str) -> Request:
        """A GET of a continuation link already checked by :func:`check_next_link`."""
        return Request("GET", link)


def check_id(value: str) -> str:
    """``value`` if it can be a batch or document id; otherwise ``ValueError``, before anything is sent.

    Refused: anything but a non-empty string, ``.`` and ``..``, and ids with ``/``, ``?``, ``#``, whitespace or
    control characters (no id the service makes has one, and each would change what a URL means).
    """
    if not isinstance(value, str) or not value:
        raise ValueError(f"an id must be a non-empty string, got {value!r}")
    if value in (".", ".."):
        # Quoting leaves dots alone, and servers and proxies resolve them as path steps.
        raise ValueError(f"an id cannot be {value!r}")
    if _NOT_IN_ID.search(value) or any(character.isspace() for character in value):
        raise ValueError(f"an id cannot contain '/', '?', '#', whitespace or control characters, got {value!r}")
    return value


_NOT_IN_ID = re.compile(r"[/?#\x00-\x1f\x7f-\x9f]")


# What quote(safe="") leaves as it is: an id of only these (every id the service makes) is its own segment.
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]+")


def _segment(value: str) -> str:
    # An id is one path segment; quoting is the second line of defence after check_id.
    if type(value) is str and _UNRESERVED.fullmatch(value) and value not in (".", ".."):
        return value
    return quote(check_id(value), safe="")


def check_next_link(link: object, *, current_url: str, origin: Origin, seen: set[str]) -> str | None:
    """Validate a page's continuation link; return the absolute URL to fetch, or ``None`` at the end.

    ``""`` and ``null`` mean no more pages. A relative link is resolved against the page it came on. The link
    is otherwise followed as given (opaque), but only if it stays on ``origin`` (the credentials go nowhere
    else) and was not seen before in this listing (``seen`` is updated). Raises :class:`ContinuationLinkError`.

    The real service writes raw spaces into its links (``orderBy=createdDateTimeUtc asc``): each is sent as
    ``%20``, every other character byte for byte. Control and non-ASCII characters are refused.
    """
    if link is None or link == "":
        return None
    if type(link) is str:
        fast = _own_origin_link(link, origin, seen)
        if fast is not None:
            return fast
    if not isinstance(link, str):
        raise ContinuationLinkError(
            f"the next link is a {type(link).__name__}, not a string", method="GET", url=current_url
        )
    if _NOT_URL_CHARACTER.search(link):
        # Sent as given, a line break would corrupt the request line (a header injection), and echo into logs.
        raise ContinuationLinkError(
            "refusing to follow a next link with control or non-ASCII characters",
            method="GET",
            url=_redact(_NOT_URL_CHARACTER.sub("?", link)),
        )
    # A raw space would end the request target; percent-encoded, it reaches the service as the space it wrote.
    link = link.replace(" ", "%20")
    try:
        # An absolute link is followed byte for byte; only a relative one is resolved against its page.
        absolute = link if link.startswith(("https://", "http://")) else urljoin(current_url, link)
        parts = urlsplit(absolute)
        link_origin = _origin(parts)
    except ValueError as exc:
        raise ContinuationLinkError(
            f"refusing to follow a next link that is {exc}", method="GET", url=_redact(link)
        ) from None
    if link_origin != origin:
        raise ContinuationLinkError(
            "refusing to follow a next link to another origin "
            f"({link_origin[0]}://{link_origin[1]}:{link_origin[2]}); credentials stay on the endpoint",
            method="GET",
            url=_redact(absolute),
        )
    key = _page_key(link_origin, parts)
    if key in seen:
        raise ContinuationLinkError(
            "the service repeated a next link; stopping instead of looping", method="GET", url=absolute
        )
    seen.add(key)
    return absolute


_NOT_URL_CHARACTER = re.compile(r"[^\x20-\x7e]")
# What the fast path refuses to reason about: anything outside printable ASCII, a space, a fragment.
_NOT_PLAIN = re.compile(r"[^\x21-\x7e]|#")


@functools.cache
def _origin_prefixes(origin: Origin) -> tuple[tuple[str, ...], str]:
    """How a link on ``origin`` may start, written as the service writes it (lower case, the default port
    written or not, a path following), and the normalised origin that starts its page key."""
    scheme, host, port = origin
    written = f"{scheme}://{host}:{port}"
    prefixes = (f"{written}/",) if port != _DEFAULT_PORTS[scheme] else (f"{written}/", f"{scheme}://{host}/")
    return prefixes if ":" not in host else (), written  # an IPv6 host is written in brackets: the careful path


def _own_origin_link(link: str, origin: Origin, seen: set[str]) -> str | None:
    """``check_next_link``'s answer for the ordinary link (absolute, on ``origin``, plain characters, no
    fragment), or ``None`` to leave the link to the careful path, which also words every refusal.

    The prefix decides the origin without parsing: the authority ends at the first '/', and it is the very
    text of the endpoint's. The page key is what :func:`_page_key` makes of the same URL.
    """
    prefixes, written = _origin_prefixes(origin)
    if not link.startswith(prefixes) or _NOT_PLAIN.search(link):
        return None
    rest = link[len(prefixes[0]) - 1 :] if link.startswith(prefixes[0]) else link[len(prefixes[-1]) - 1 :]
    key = f"{written}{rest}" if "?" in rest else f"{written}{rest}?"
    if key in seen:
        return None  # the careful path raises, with its message
    seen.add(key)
    return link


def page_key(url: str) -> str:
    """What identifies a page for loop detection: the origin normalised (so 'https://H:443/x' is the page
    'https://h/x'), path and query as given."""
    parts = urlsplit(url)
    return _page_key(_origin(parts), parts)


def _page_key(origin: Origin, parts: SplitResult) -> str:
    scheme, host, port = origin
    return f"{scheme}://{host}:{port}{parts.path}?{parts.query}"


def _redact(url: str) -> str:
    # A link we refuse may carry anything; keep only what identifies it: no user information, no query.
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    host = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{host}{parts.path}"


# --- responses -------------------------------------------------------------------------------------------


def request_id_of(headers: Mapping[str, str]) -> str | None:
    """The service's request id (``apim-request-id``, else ``x-requestid``) from lower-cased headers."""
    return headers.get("apim-request-id") or headers.get("x-requestid")


def parse_retry_after(headers: Mapping[str, str], now: datetime) -> float | None:
    """Seconds the server asks us to wait, or ``None`` if it asks nothing usable.

    Reads ``retry-after-ms`` (milliseconds), then ``retry-after`` as seconds (integer or fractional) or an
    HTTP-date (relative to ``now``; a date in the past means 0). Negative, non-finite or unparsable values are
    ignored. The value is returned as given; capping is the retry policy's business.
    """
    millis = _non_negative_number(headers.get("retry-after-ms"))
    if millis is not None:
        return millis / 1000.0
    raw = headers.get("retry-after")
    if raw is None:
        return None
    seconds = _non_negative_number(raw)
    if seconds is not None:
        return seconds
    return _seconds_until(raw, now)


# HTTP allows only spaces and tabs around a header value; other "whitespace" float() would refuse.
_NUMBER = re.compile(r"[ \t]*[0-9]+(\.[0-9]+)?[ \t]*")


def _non_negative_number(raw: str | None) -> float | None:
    if raw is None or not _NUMBER.fullmatch(raw):
        return None
    value = float(raw)
    return value if math.isfinite(value) else None


def _seconds_until(http_date: str, now: datetime) -> float | None:
    try:
        when = parsedate_to_datetime(http_date)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


_ERROR_CLASSES: dict[int, type[ServiceError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    403: AuthenticationError,
    404: NotFoundError,
    429: RateLimitError,
}


def error_for(request: Request, response: Response, now: datetime) -> ServiceError:
    """The typed error for an error response, read leniently: whatever part of the service's error can be read
    is kept (see :func:`~doctrans_async._converter.error_detail`); an empty body or a proxy's HTML page still
    gives the error class of its status, a code from the reason phrase and a snippet of the body."""
    status = response.status
    cls = _ERROR_CLASSES.get(status) or (ServerError if status >= 500 else ServiceError)
    detail = _error_detail(response)
    return cls(
        status=status,
        code=detail.code,
        message=detail.message,
        target=detail.target,
        inner_error=detail.inner_error,
        details=detail.details,
        request_id=request_id_of(response.headers),
        retry_after=parse_retry_after(response.headers, now),
        method=request.method,
        url=request.url,
    )


def _error_detail(response: Response) -> ErrorDetail:
    try:
        payload = loads(response.body) if response.body.strip() else None
    except (ValueError, RecursionError):
        payload = None
    if isinstance(payload, dict):
        error = payload.get("error")
        if error is None and "message" in payload:
            # The API gateway answers some refusals unwrapped: {"statusCode": 401, "message": "..."}.
            error = payload
        if error is not None:
            detail = error_detail(error)
            return detail if detail.code else attrs.evolve(detail, code=_reason(response.status).replace(" ", ""))
    return _detail_from_text(response)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown status"


def _detail_from_text(response: Response) -> ErrorDetail:
    reason = _reason(response.status)
    text = response.body[:200].decode("utf-8", "replace")
    snippet = " ".join(re.sub(r"<[^>]*>", " ", text).split())
    content_type = response.headers.get("content-type", "no content type")
    message = f"{reason} ({content_type}, {len(response.body)} bytes)"
    if snippet:
        message += f": {snippet}"
    return ErrorDetail(code=reason.replace(" ", ""), message=message)


def _json_body(request: Request, response: Response) -> Any:
    if not response.complete:
        raise _malformed(request, response, "the body was cut off", transient=True)
    try:
        return loads(response.body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:  # garbled on the way, perhaps: a read may be retried
        raise _malformed(request, response, f"the body is not valid JSON ({exc})", transient=True) from None
    except (ValueError, RecursionError) as exc:
        # Nested deeper, or an integer longer, than Python reads: the same body would fail the same way again.
        raise _malformed(request, response, f"the body is beyond what Python reads as JSON ({exc})") from None


def _malformed(request: Request, response: Response, why: str, *, transient: bool = False) -> MalformedResponseError:
    return MalformedResponseError(
        f"{response.status} response cannot be read: {why}",
        status=response.status,
        transient=transient,
        method=request.method,
        url=request.url,
        request_id=request_id_of(response.headers),
    )


def _shape_error(request: Request, response: Response, exc: Exception) -> MalformedResponseError:
    reasons = (
        "; ".join(cattrs.transform_error(exc))
        if isinstance(exc, cattrs.BaseValidationError)
        else f"{type(exc).__name__}: {exc}"
    )
    return _malformed(request, response, f"unexpected shape ({reasons})")


def _raise_for_status(request: Request, response: Response, now: datetime) -> None:
    if not 200 <= response.status < 300:
        raise error_for(request, response, now)


T = TypeVar("T")
_SHAPE_ERRORS = (cattrs.BaseValidationError, TypeError, ValueError, KeyError, AttributeError)


def _structured(request: Request, response: Response, body: Any, structure: Callable[[Any], T]) -> T:
    try:
        return structure(body)
    except _SHAPE_ERRORS as exc:
        raise _shape_error(request, response, exc) from None


def _parse(request: Request, response: Response, now: datetime, structure: Callable[[Any], T]) -> T:
    _raise_for_status(request, response, now)
    return _structured(request, response, _json_body(request, response), structure)


def parse_batch_status(request: Request, response: Response, now: datetime) -> BatchStatus:
    """A batch status from a ``GET /batches/{id}`` (or cancel) response; raises the typed error otherwise."""
    return _parse(request, response, now, structure_batch)


def parse_batch_poll(request: Request, response: Response, now: datetime) -> tuple[BatchStatus, float | None]:
    """A polled batch status and the response's ``Retry-After`` (seconds, or ``None``)."""
    return parse_batch_status(request, response, now), parse_retry_after(response.headers, now)


def parse_document_status(request: Request, response: Response, now: datetime) -> DocumentStatus:
    """One document's status from ``GET /batches/{id}/documents/{documentId}``."""
    return _parse(request, response, now, structure_document)


def _value_list(request: Request, response: Response, now: datetime) -> tuple[dict[str, Any], list[Any]]:
    _raise_for_status(request, response, now)
    body = _json_body(request, response)
    if not isinstance(body, dict) or not isinstance(body.get("value"), list):
        raise _malformed(request, response, "expected an object with a 'value' list")
    return body, body["value"]


def parse_formats(request: Request, response: Response, now: datetime) -> list[FileFormat]:
    """The supported formats from a formats response."""
    _, value = _value_list(request, response, now)
    return _structured(request, response, value, structure_formats)


def parse_storage_sources(request: Request, response: Response, now: datetime) -> list[str]:
    """The storage sources from ``GET /storagesources``."""
    _, value = _value_list(request, response, now)
    return _structured(request, response, value, structure_strings)


def _next_link(request: Request, response: Response, body: dict[str, Any], version: ApiVersion) -> str | None:
    # Read the version's key, then the other generation's: a client that reads only one silently stops after
    # the first page (the official SDK does, on v1.x).
    key = layout_of(version).next_link_key
    other = "nextLink" if key == "@nextLink" else "@nextLink"
    link = body.get(key) if body.get(key) is not None else body.get(other)
    if link is not None and not isinstance(link, str):
        raise _malformed(request, response, f"the next link is a {type(link).__name__}")
    return link or None


def parse_document_page(request: Request, response: Response, now: datetime, version: ApiVersion) -> DocumentPage:
    """A page of document statuses and its raw next link (check it with :func:`check_next_link`)."""
    body, value = _value_list(request, response, now)
    items = _structured(request, response, value, structure_documents)
    return DocumentPage(items=items, next_link=_next_link(request, response, body, version))


def parse_batch_page(request: Request, response: Response, now: datetime, version: ApiVersion) -> BatchPage:
    """A page of batch statuses and its raw next link."""
    body, value = _value_list(request, response, now)
    items = _structured(request, response, value, structure_batches)
    return BatchPage(items=items, next_link=_next_link(request, response, body, version))


def parse_translated_document(request: Request, response: Response, now: datetime) -> bytes:
    """The translated document's bytes from a single-document translation response (never a part of them: a body
    cut off is a :class:`MalformedResponseError`)."""
    _raise_for_status(request, response, now)
    if not response.complete:
        raise _malformed(request, response, "the body was cut off")
    return response.body


def parse_started_batch_id(request: Request, response: Response, now: datetime) -> str:
    """The new batch's id from a start-translation response: the body's ``id`` (2024-05-01 and later) or the
    last path segment of ``Operation-Location`` (v1.x answers with an empty body).

    The batch exists once the service said 2xx, so a body that cannot be read does not lose its id while the
    header names it (the POST must not be sent again to find out).
    """
    _raise_for_status(request, response, now)
    try:
        body = loads(response.body) if response.complete and response.body.strip() else None
    except (ValueError, RecursionError):
        body = None
    if isinstance(body, dict) and isinstance(body.get("id"), str) and body["id"]:
        return _addressable(request, response, body["id"])
    try:
        location = urlsplit(response.headers.get("operation-location", ""))
    except ValueError:
        location = urlsplit("")
    batch_id = unquote(location.path.rstrip("/").rpartition("/")[2])
    if not batch_id or batch_id == "batches":
        # A location naming the collection, not a batch (a spec example's is garbled so): no id, never a wrong one.
        raise _malformed(request, response, "neither a body id nor an Operation-Location header names the batch")
    return _addressable(request, response, batch_id)


def _addressable(request: Request, response: Response, batch_id: str) -> str:
    # An id no later call could send (check_id refuses it) is the service's error, not the caller's: raised now,
    # as a MalformedResponseError (redacted like any), rather than as a ValueError from the first call using it.
    try:
        return check_id(batch_id)
    except ValueError as exc:
        raise _malformed(request, response, f"the new batch's id cannot be used: {exc}") from None
