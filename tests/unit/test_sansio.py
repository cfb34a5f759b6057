"""Unit tests of the sans-I/O protocol: request building, response parsing, Retry-After, errors, next links."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

import attrs
import pytest

from doctrans_async._errors import (
    AuthenticationError,
    ContinuationLinkError,
    InvalidRequestError,
    MalformedResponseError,
    NotFoundError,
    RateLimitError,
    ServerError,
    ServiceError,
)
from doctrans_async._models import BatchStatus, DocumentPage, ErrorDetail, Status
from doctrans_async._sansio import (
    MAX_INT32,
    Endpoint,
    Request,
    Response,
    check_next_link,
    error_for,
    origin_of,
    page_key,
    parse_batch_status,
    parse_document_page,
    parse_formats,
    parse_retry_after,
    request_id_of,
)
from doctrans_async._versions import ApiVersion

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 1, 1, 0, 0, 0, tzinfo=UTC)
HOST = "https://res.cognitiveservices.azure.com"
ORIGIN = ("https", "res.cognitiveservices.azure.com", 443)


def fixture(name: str) -> bytes:
    """The raw bytes of a fixture body."""
    return (FIXTURES / name).read_bytes()


def response(status: int, body: bytes | str | Any = b"", headers: dict[str, str] | None = None) -> Response:
    """A response with lower-cased headers; a non-bytes, non-str body is JSON-encoded."""
    if isinstance(body, str):
        body = body.encode()
    elif not isinstance(body, bytes):
        body = json.dumps(body).encode()
    return Response.build(status, (headers or {}).items(), body)


REQUEST = Request("GET", f"{HOST}/translator/document/batches/b1?api-version=2024-05-01")


# --- Endpoint: URLs -----------------------------------------------------------------------------------------

BATCH_URLS = {
    ApiVersion.V1_0_PREVIEW_1: f"{HOST}/translator/text/batch/v1.0-preview.1/batches/b1",
    ApiVersion.V1_0: f"{HOST}/translator/text/batch/v1.0/batches/b1",
    ApiVersion.V2024_05_01: f"{HOST}/translator/document/batches/b1?api-version=2024-05-01",
    ApiVersion.V2026_03_01: f"{HOST}/translator/document/batches/b1?api-version=2026-03-01",
}


@pytest.mark.parametrize("version", list(ApiVersion))
def test_batch_status_url_for_every_version(version: ApiVersion) -> None:
    """GET /batches/{id} is built under each version's own path layout and query."""
    request = Endpoint(HOST, version).batch_status("b1")
    assert request.method == "GET"
    assert request.url == BATCH_URLS[version]
    assert request.body is None


def test_every_version_has_a_batch_url_case() -> None:
    """The URL table above covers every ApiVersion member."""
    assert set(BATCH_URLS) == set(ApiVersion)


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        (
            ApiVersion.V1_0_PREVIEW_1,
            f"{HOST}/translator/text/batch/v1.0-preview.1/batches/b1/documents?$maxpagesize=100",
        ),
        (ApiVersion.V1_0, f"{HOST}/translator/text/batch/v1.0/batches/b1/documents?$maxpagesize=100"),
        (
            ApiVersion.V2024_05_01,
            f"{HOST}/translator/document/batches/b1/documents?maxpagesize=100&api-version=2024-05-01",
        ),
        (
            ApiVersion.V2026_03_01,
            f"{HOST}/translator/document/batches/b1/documents?maxpagesize=100&api-version=2026-03-01",
        ),
    ],
)
def test_documents_url_without_paging(version: ApiVersion, expected: str) -> None:
    """GET /batches/{id}/documents without paging parameters asks for the version's largest page (half the
    requests of the service's default of 50), besides the version's fixed query."""
    assert Endpoint(HOST, version).documents("b1").url == expected


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        (
            ApiVersion.V1_0_PREVIEW_1,
            f"{HOST}/translator/text/batch/v1.0-preview.1/batches/b1/documents?$top=5&$skip=15&$maxpagesize=2",
        ),
        (
            ApiVersion.V1_0,
            f"{HOST}/translator/text/batch/v1.0/batches/b1/documents?$top=5&$skip=15&$maxpagesize=2",
        ),
        (
            ApiVersion.V2024_05_01,
            f"{HOST}/translator/document/batches/b1/documents?top=5&skip=15&maxpagesize=2&api-version=2024-05-01",
        ),
        (
            ApiVersion.V2026_03_01,
            f"{HOST}/translator/document/batches/b1/documents?top=5&skip=15&maxpagesize=2&api-version=2026-03-01",
        ),
    ],
)
def test_documents_url_with_paging(version: ApiVersion, expected: str) -> None:
    """$top/$skip/$maxpagesize (literal '$') on v1.x, top/skip/maxpagesize on 2024+."""
    url = Endpoint(HOST, version).documents("b1", top=5, skip=15, page_size=2).url
    assert url == expected
    assert "%24" not in url


@pytest.mark.parametrize("version", list(ApiVersion))
def test_documents_url_only_page_size(version: ApiVersion) -> None:
    """page_size alone is the version's page-size parameter ($maxpagesize on v1.0-preview.1 too: recorded)."""
    url = Endpoint(HOST, version).documents("b1", page_size=100).url
    query = urlsplit(url).query
    expected = {
        ApiVersion.V1_0_PREVIEW_1: "$maxpagesize=100",
        ApiVersion.V1_0: "$maxpagesize=100",
        ApiVersion.V2024_05_01: "maxpagesize=100&api-version=2024-05-01",
        ApiVersion.V2026_03_01: "maxpagesize=100&api-version=2026-03-01",
    }[version]
    assert query == expected


@pytest.mark.parametrize(("top", "skip"), [(0, 0), (MAX_INT32, MAX_INT32), (1, None), (None, 7)])
def test_documents_range_limits_accepted(top: int | None, skip: int | None) -> None:
    """top and skip accept the inclusive bounds 0 and 2147483647, and each may be given alone."""
    url = Endpoint(HOST, ApiVersion.V1_0).documents("b1", top=top, skip=skip).url
    query = urlsplit(url).query
    assert (f"$top={top}" in query) is (top is not None)
    assert (f"$skip={skip}" in query) is (skip is not None)


@pytest.mark.parametrize("page_size", [1, 100])
def test_page_size_bounds_accepted(page_size: int) -> None:
    """page_size accepts 1 and 100."""
    url = Endpoint(HOST, ApiVersion.V2024_05_01).documents("b1", page_size=page_size).url
    assert f"maxpagesize={page_size}&" in url


@pytest.mark.parametrize(
    ("at", "start", "end"),
    [
        (
            datetime(2024, 10, 11, 4, 26, 30, 134334, tzinfo=timezone(timedelta(hours=2))),
            "2024-10-11T02:26:30.134334Z",
            "2024-10-11T02:26:30.1343349Z",
        ),
        (datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC), "0999-01-02T03:04:05.000000Z", "0999-01-02T03:04:05.0000009Z"),
    ],
)
def test_created_dates_cover_their_whole_microsecond(at: datetime, start: str, end: str) -> None:
    """created_after starts at its microsecond's first 100 ns tick and created_before ends at its last, in UTC: a
    status's created_at (its stamp cut to the microsecond) passed as either bound keeps that status. A year before
    1000 is zero-padded to the four digits ISO 8601 writes."""
    url = Endpoint(HOST, ApiVersion.V2024_05_01).documents("b1", created_after=at, created_before=at).url
    query = dict(parse_qsl(urlsplit(url).query))
    assert query["createdDateTimeUtcStart"] == start
    assert query["createdDateTimeUtcEnd"] == end


class _NoOffset(tzinfo):
    """A tzinfo that knows no offset: a datetime holding it is naive, by Python's own definition."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None

    def tzname(self, dt: datetime | None) -> str | None:
        return None


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        (datetime(2024, 1, 1), ValueError, "timezone-aware"),
        (datetime(2024, 1, 1, tzinfo=_NoOffset()), ValueError, "timezone-aware"),
        (datetime.max.replace(tzinfo=timezone(timedelta(hours=-5))), ValueError, "no UTC time"),
        (datetime.min.replace(tzinfo=timezone(timedelta(hours=5))), ValueError, "no UTC time"),
        ("2024-01-01T00:00:00Z", TypeError, "must be a datetime, not str"),
    ],
)
@pytest.mark.parametrize("bound", ["created_after", "created_before"])
def test_created_dates_refused_clearly(bound: str, value: Any, error: type[Exception], match: str) -> None:
    """A created-date bound that names no UTC instant (naive, no offset, out of range) or is no datetime raises
    a clear error naming the parameter, before any request."""
    with pytest.raises(error, match=f"^{bound} ") as raised:
        Endpoint(HOST, ApiVersion.V2024_05_01).documents("b1", **{bound: value})
    assert match in str(raised.value)


@pytest.mark.parametrize("version", list(ApiVersion))
@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"top": -1}, ValueError),
        ({"top": MAX_INT32 + 1}, ValueError),
        ({"skip": -1}, ValueError),
        ({"skip": MAX_INT32 + 1}, ValueError),
        ({"page_size": 0}, ValueError),
        ({"page_size": 101}, ValueError),
        ({"top": True}, TypeError),
        ({"skip": False}, TypeError),
        ({"page_size": True}, TypeError),
        ({"top": "5"}, TypeError),
        ({"skip": 1.0}, TypeError),
        ({"page_size": 2.5}, TypeError),
    ],
)
def test_documents_range_checks(version: ApiVersion, kwargs: dict[str, Any], error: type[Exception]) -> None:
    """Out-of-range or non-int (including bool) top/skip/page_size raise before any request exists, on every version."""
    with pytest.raises(error):
        Endpoint(HOST, version).documents("b1", **kwargs)


@pytest.mark.parametrize(
    ("batch_id", "segment"),
    [
        ("%2F", "%252F"),
        ("a;b=c&d", "a%3Bb%3Dc%26d"),
        ("é", "%C3%A9"),
        ("001f0a26-0000-0000-0000-000000000000", "001f0a26-0000-0000-0000-000000000000"),
    ],
)
def test_id_is_quoted_as_one_segment(batch_id: str, segment: str) -> None:
    """An id with '%', other reserved characters or non-ASCII is quoted into exactly one path segment ('/', '?',
    '#' and whitespace are refused: see tests/test_ids.py)."""
    endpoint = Endpoint(HOST, ApiVersion.V2024_05_01)
    status = urlsplit(endpoint.batch_status(batch_id).url)
    assert status.path == f"/translator/document/batches/{segment}"
    assert status.query == "api-version=2024-05-01"
    assert status.fragment == ""
    docs = urlsplit(endpoint.documents(batch_id, top=1).url)
    assert docs.path == f"/translator/document/batches/{segment}/documents"
    assert docs.query == "top=1&maxpagesize=100&api-version=2024-05-01"


@pytest.mark.parametrize("batch_id", ["..", "."])
def test_dot_ids_do_not_steer_the_request(batch_id: str) -> None:
    """An id of '..' or '.' is refused or encoded so that dot-segment removal keeps the request on /batches/{id}."""
    endpoint = Endpoint(HOST, ApiVersion.V1_0)
    try:
        url = endpoint.documents(batch_id).url
    except ValueError:
        return
    path = urlsplit(url).path
    normalised = urlsplit(urljoin(url, path)).path
    assert normalised == path
    assert normalised.startswith("/translator/text/batch/v1.0/batches/")


@pytest.mark.parametrize("batch_id", ["", None, 5])
def test_empty_or_non_string_id_rejected(batch_id: Any) -> None:
    """An empty or non-string id is a ValueError, never 'None' or '5' in a URL."""
    endpoint = Endpoint(HOST, ApiVersion.V1_0)
    with pytest.raises(ValueError, match="id must be a non-empty string"):
        endpoint.batch_status(batch_id)
    with pytest.raises(ValueError, match="id must be a non-empty string"):
        endpoint.documents(batch_id)


@pytest.mark.parametrize("url", [f"{HOST}/", f"{HOST}//", HOST])
def test_trailing_slash_of_endpoint_ignored(url: str) -> None:
    """A trailing slash on the endpoint does not double the slash in request URLs."""
    assert Endpoint(url, ApiVersion.V1_0).batch_status("b1").url == BATCH_URLS[ApiVersion.V1_0]


@pytest.mark.parametrize("url", ["https://proxy.example/dt", "https://proxy.example/dt/"])
def test_endpoint_path_prefix_kept(url: str) -> None:
    """A path prefix on the endpoint (a proxy) is kept before the version's base path."""
    endpoint = Endpoint(url, ApiVersion.V2024_05_01)
    assert endpoint.batch_status("b1").url == (
        "https://proxy.example/dt/translator/document/batches/b1?api-version=2024-05-01"
    )
    assert endpoint.origin == ("https", "proxy.example", 443)


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://Res.Example.COM", ("https", "res.example.com", 443)),
        ("http://127.0.0.1:8080", ("http", "127.0.0.1", 8080)),
        ("HTTP://h.example", ("http", "h.example", 80)),
        ("https://h.example:443", ("https", "h.example", 443)),
        ("http://[::1]:9000", ("http", "::1", 9000)),
    ],
)
def test_endpoint_origin(url: str, origin: tuple[str, str, int]) -> None:
    """The endpoint's origin is scheme and host lower-cased with the port defaulted."""
    assert Endpoint(url, ApiVersion.V1_0).origin == origin


@pytest.mark.parametrize(
    "url",
    [
        "https://user:s3cretpw@res.example",
        "https://user@res.example",
        "https://res.example?x=1",
        "https://res.example/?x=1",
        "https://res.example#frag",
        "ftp://res.example",
        "file:///etc/passwd",
        "res.example",
        "",
        "https://",
        "https://res.example:99999",
    ],
)
def test_bad_endpoints_rejected(url: str) -> None:
    """Endpoints with userinfo, a query or fragment, a non-http(s) scheme, no host or a bad port are ValueErrors."""
    with pytest.raises(ValueError, match="the endpoint must") as info:
        Endpoint(url, ApiVersion.V1_0)
    assert "s3cretpw" not in str(info.value)


@pytest.mark.parametrize("version", ["2024-05-01", "v1.0", "v1.0-preview.1", "2026-03-01"])
def test_endpoint_version_accepts_plain_string(version: str) -> None:
    """A plain string equal to a member's value is converted to that ApiVersion member."""
    endpoint = Endpoint(HOST, version)
    assert endpoint.version is ApiVersion(version)
    assert type(endpoint.version) is ApiVersion


@pytest.mark.parametrize("version", ["2023-01-01", "v2.0", "", "V1.0"])
def test_endpoint_unknown_version_rejected(version: str) -> None:
    """A string that is not a known version is a ValueError."""
    with pytest.raises(ValueError, match="is not a valid ApiVersion"):
        Endpoint(HOST, version)


def test_follow_uses_the_link_as_given() -> None:
    """follow() builds a GET of the checked link unchanged (the link is opaque)."""
    link = f"{HOST}/translator/text/batch/v1.0/batches/b1/documents?$skip=2&$top=8&$maxpagesize=2"
    assert Endpoint(HOST, ApiVersion.V1_0).follow(link) == Request("GET", link)


def test_request_has_no_place_for_credentials() -> None:
    """Request has method and url and body fields only: no headers field that could carry the key."""
    names = [field.name for field in attrs.fields(Request)]
    assert names[:2] == ["method", "url"]
    assert not any(
        word in name.lower()
        for name in names
        for word in ("header", "key", "auth", "token", "credential", "secret", "cookie")
    )
    with pytest.raises(TypeError):
        Request("GET", HOST, headers={"Ocp-Apim-Subscription-Key": "k"})  # type: ignore[call-arg]
    request = Endpoint(HOST, ApiVersion.V1_0).batch_status("b1")
    assert str(request) == f"GET {BATCH_URLS[ApiVersion.V1_0]}"
    assert "Ocp-Apim" not in repr(request)


def test_response_build_lowercases_header_names() -> None:
    """Response.build folds header names to lower case."""
    built = Response.build(200, [("Retry-After", "1"), ("APIM-Request-Id", "r")], b"{}")
    assert dict(built.headers) == {"retry-after": "1", "apim-request-id": "r"}


def test_origin_of_rejects_userinfo_and_non_http() -> None:
    """origin_of refuses URLs with user information and non-http(s) schemes."""
    with pytest.raises(ValueError, match="user information"):
        origin_of("https://u:p@h.example/")
    with pytest.raises(ValueError, match="http"):
        origin_of("ftp://h.example/")


# --- Retry-After --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "5"}, 5.0),
        ({"retry-after": "0"}, 0.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after": " 7 "}, 7.0),
        ({"retry-after": "120"}, 120.0),
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after-ms": "1500.5"}, 1.5005),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after-ms": "soon", "retry-after": "9"}, 9.0),
        ({"retry-after-ms": "-5", "retry-after": "2"}, 2.0),
        ({"retry-after": "Thu, 01 Jan 2026 00:00:30 GMT"}, 30.0),
        ({"retry-after": "Thu, 01 Jan 2026 01:00:00 GMT"}, 3600.0),
        ({"retry-after": "Thu, 01 Jan 2026 00:00:30 -0000"}, 30.0),
        ({"retry-after": "Thu, 01 Jan 2026 02:00:00 +0200"}, 0.0),
        ({"retry-after": "Wed, 31 Dec 2025 23:59:00 GMT"}, 0.0),
        ({"retry-after": "Mon, 01 Jan 1990 00:00:00 GMT"}, 0.0),
    ],
)
def test_parse_retry_after_values(headers: dict[str, str], expected: float) -> None:
    """Integer, fractional and millisecond values, and HTTP-dates relative to the injected now, give exact waits."""
    assert parse_retry_after(headers, NOW) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(
    "value",
    ["-1", "-0.5", "abc", "", " ", "inf", "Infinity", "nan", "NaN", "1e3", "0x10", "5s", "1,5", "9" * 400, "+5"],
)
def test_parse_retry_after_garbage_is_none(value: str) -> None:
    """Negative, non-numeric, empty, infinite, NaN and overflowing values are ignored (None)."""
    assert parse_retry_after({"retry-after": value}, NOW) is None
    assert parse_retry_after({"retry-after-ms": value}, NOW) is None


@pytest.mark.parametrize("separator", ["\x1c", "\x1d", "\x1e", "\x1f"])
def test_parse_retry_after_control_separators_ignored(separator: str) -> None:
    """A Retry-After padded with a control separator is ignored, and a 429 carrying it is still a RateLimitError."""
    assert parse_retry_after({"retry-after": f"1{separator}"}, NOW) is None
    assert parse_retry_after({"retry-after-ms": f"{separator}5"}, NOW) is None
    error = error_for(REQUEST, response(429, b"", {"Retry-After": f"1{separator}"}), NOW)
    assert type(error) is RateLimitError


def test_parse_retry_after_absent_is_none() -> None:
    """No Retry-After header at all gives None."""
    assert parse_retry_after({}, NOW) is None
    assert parse_retry_after({"x-retry-after": "5"}, NOW) is None


def test_parse_retry_after_date_uses_injected_now() -> None:
    """The same HTTP-date gives a wait that depends only on the injected now."""
    headers = {"retry-after": "Thu, 01 Jan 2026 00:01:00 GMT"}
    assert parse_retry_after(headers, NOW) == 60.0
    assert parse_retry_after(headers, NOW + timedelta(seconds=45)) == 15.0
    assert parse_retry_after(headers, NOW + timedelta(hours=1)) == 0.0


# --- error_for ----------------------------------------------------------------------------------------------


def test_error_for_seed_401() -> None:
    """The seed's 401 body gives an AuthenticationError with every field of the body."""
    error = error_for(REQUEST, response(401, fixture("seed-error-401.json")), NOW)
    assert type(error) is AuthenticationError
    assert (error.status, error.code, error.message, error.target) == (
        401,
        "Unauthorized",
        "User is not authorized",
        "Document",
    )
    assert error.inner_error == ErrorDetail("Unauthorized", "Operation is not authorized")


def test_error_for_seed_500() -> None:
    """The seed's 500 body gives a ServerError with every field of the body."""
    error = error_for(REQUEST, response(500, fixture("seed-error-500.json")), NOW)
    assert type(error) is ServerError
    assert (error.status, error.code, error.message, error.target) == (
        500,
        "InternalServerError",
        "Internal Server Error",
        "Operation",
    )
    assert error.inner_error == ErrorDetail("InternalServerError", "Unexpected internal server error has occurred")


def test_error_for_apim_401() -> None:
    """The API gateway's 401 body (code '401', no target) gives an AuthenticationError with its code and message."""
    message = (
        "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key "
        "for an active subscription and use a correct regional API endpoint for your resource."
    )
    error = error_for(REQUEST, response(401, {"error": {"code": "401", "message": message}}), NOW)
    assert type(error) is AuthenticationError
    assert (error.code, error.message, error.target, error.inner_error) == ("401", message, None, None)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, InvalidRequestError),
        (401, AuthenticationError),
        (403, AuthenticationError),
        (404, NotFoundError),
        (429, RateLimitError),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
        (504, ServerError),
        (507, ServerError),
        (599, ServerError),
        (402, ServiceError),
        (405, ServiceError),
        (408, ServiceError),
        (409, ServiceError),
        (418, ServiceError),
        (499, ServiceError),
        (302, ServiceError),
    ],
)
def test_error_for_status_classes(status: int, cls: type[ServiceError]) -> None:
    """Each status maps to exactly its error class; other statuses give a plain ServiceError."""
    body = {"error": {"code": "SomeCode", "message": "some message"}}
    error = error_for(REQUEST, response(status, body), NOW)
    assert type(error) is cls
    assert error.status == status
    assert error.code == "SomeCode"


@pytest.mark.parametrize(
    ("headers", "request_id"),
    [
        ({"apim-request-id": "apim-1"}, "apim-1"),
        ({"X-RequestId": "xr-2"}, "xr-2"),
        ({"x-requestid": "xr-3", "APIM-Request-Id": "apim-3"}, "apim-3"),
        ({}, None),
    ],
)
def test_error_for_request_id(headers: dict[str, str], request_id: str | None) -> None:
    """The request id comes from apim-request-id, else X-RequestId, and appears in str()."""
    error = error_for(REQUEST, response(404, {"error": {"code": "NotFound", "message": "m"}}, headers), NOW)
    assert error.request_id == request_id
    assert request_id_of(Response.build(404, headers.items(), b"").headers) == request_id
    if request_id is not None:
        assert request_id in str(error)


@pytest.mark.parametrize(
    ("headers", "retry_after"),
    [({"Retry-After": "7"}, 7.0), ({"retry-after-ms": "1500"}, 1.5), ({}, None), ({"Retry-After": "x"}, None)],
)
def test_error_for_carries_retry_after(headers: dict[str, str], retry_after: float | None) -> None:
    """The parsed Retry-After is carried on the error."""
    error = error_for(REQUEST, response(429, {"error": {"code": "RequestRateTooHigh", "message": "m"}}, headers), NOW)
    assert type(error) is RateLimitError
    assert error.retry_after == retry_after


HTML_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n"
    "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


def test_error_for_html_502() -> None:
    """An HTML 502 page from a proxy gives a ServerError coded from the reason phrase, with a tag-free snippet."""
    error = error_for(REQUEST, response(502, HTML_502, {"Content-Type": "text/html"}), NOW)
    assert type(error) is ServerError
    assert error.code == "BadGateway"
    assert error.message is not None
    assert error.message.startswith(f"Bad Gateway (text/html, {len(HTML_502)} bytes): 502 Bad Gateway")
    assert "nginx" in error.message
    assert "<" not in error.message


def test_error_for_empty_body() -> None:
    """An empty 503 body gives a ServerError whose code and message come from the status."""
    error = error_for(REQUEST, response(503, b""), NOW)
    assert type(error) is ServerError
    assert error.code == "ServiceUnavailable"
    assert error.message == "Service Unavailable (no content type, 0 bytes)"


@pytest.mark.parametrize(
    ("status", "body", "code", "snippet"),
    [
        (500, b"oops, something broke", "InternalServerError", "oops, something broke"),
        (400, b'{"error": "string"}', "BadRequest", "string"),
        (400, b'{"error": null}', "BadRequest", '{"error": null}'),
        (400, b'{"error": {"code": 5, "message": "m"}}', "5", "m"),
        (404, b"[1, 2]", "NotFound", "[1, 2]"),
        (404, b'"text"', "NotFound", '"text"'),
        (404, b'{"message": "no error key"}', "NotFound", "no error key"),
        (500, b'{"error": {"code": "X", "message": "m"', "InternalServerError", '"code": "X"'),
        (500, b"\xff\xfe\x00garbage", "InternalServerError", "garbage"),
        (499, b"client closed", "Unknownstatus", "client closed"),
    ],
)
def test_error_for_unreadable_bodies(status: int, body: bytes, code: str, snippet: str) -> None:
    """Non-JSON, wrong-shape, truncated and undecodable bodies still give a ServiceError with a useful code and text."""
    error = error_for(REQUEST, response(status, body), NOW)
    assert isinstance(error, ServiceError)
    assert error.status == status
    assert error.code == code
    assert error.message is not None
    assert snippet in error.message


def test_error_for_code_without_message() -> None:
    """An error with a code and no message keeps the code; the message is None, not the raw body."""
    error = error_for(REQUEST, response(400, b'{"error": {"code": "X"}}'), NOW)
    assert (error.code, error.message) == ("X", None)
    assert str(error).startswith("400 X [")


def test_error_for_long_body_snippet_is_bounded() -> None:
    """Only the first 200 bytes of an unreadable body go into the message."""
    error = error_for(REQUEST, response(500, b"x" * 10_000), NOW)
    assert error.message is not None
    assert "x" * 200 in error.message
    assert "x" * 201 not in error.message
    assert "10000 bytes" in error.message


def test_error_str_names_method_and_url() -> None:
    """str() of an error names the status, code, message, method and URL."""
    error = error_for(REQUEST, response(404, {"error": {"code": "ResourceNotFound", "message": "gone"}}), NOW)
    text = str(error)
    assert text.startswith("404 ResourceNotFound: gone")
    assert f"GET {REQUEST.url}" in text
    assert (error.method, error.url) == ("GET", REQUEST.url)


# --- parse_batch_status / parse_document_page ---------------------------------------------------------------


def test_parse_batch_status_recorded() -> None:
    """A 200 with the recorded ValidationFailed body parses to its BatchStatus."""
    batch = parse_batch_status(REQUEST, response(200, fixture("2024-05-01-batch-validation-failed.json")), NOW)
    assert isinstance(batch, BatchStatus)
    assert batch.status is Status.VALIDATION_FAILED


def test_parse_batch_status_error_status_raises_typed_error() -> None:
    """A non-2xx response raises the typed error error_for builds."""
    with pytest.raises(NotFoundError) as info:
        parse_batch_status(
            REQUEST,
            response(404, {"error": {"code": "ResourceNotFound", "message": "m"}}, {"apim-request-id": "r1"}),
            NOW,
        )
    assert info.value.request_id == "r1"


UNDECODABLE = [
    b"",
    b"<html><body>OK</body></html>",
    b"not json",
    b'{"id": "e4b9da33-4c36-4c61-95fd',
    b"\xff\xfe",
    b"{",
]


@pytest.mark.parametrize("body", UNDECODABLE)
def test_parse_batch_status_undecodable_is_transient(body: bytes) -> None:
    """A 200 whose body is empty, non-JSON or truncated raises MalformedResponseError with transient=True."""
    with pytest.raises(MalformedResponseError) as info:
        parse_batch_status(REQUEST, response(200, body, {"apim-request-id": "r2"}), NOW)
    error = info.value
    assert error.transient is True
    assert error.status == 200
    assert error.request_id == "r2"
    assert f"GET {REQUEST.url}" in str(error)


def test_parse_batch_status_truncated_recording_is_transient() -> None:
    """The recorded body cut in half raises a transient MalformedResponseError."""
    body = fixture("v1.0-batch-succeeded.json")
    with pytest.raises(MalformedResponseError) as info:
        parse_batch_status(REQUEST, response(200, body[: len(body) // 2]), NOW)
    assert info.value.transient is True


@pytest.mark.parametrize(
    "body",
    [[], "text", 5, None, {}, {"id": None}, {"value": []}],
)
def test_parse_batch_status_wrong_shape_is_not_transient(body: Any) -> None:
    """Valid JSON of the wrong shape raises MalformedResponseError with transient=False."""
    with pytest.raises(MalformedResponseError) as info:
        parse_batch_status(REQUEST, response(200, json.dumps(body).encode()), NOW)
    assert info.value.transient is False
    assert "unexpected shape" in str(info.value)


def test_parse_batch_status_wrong_field_names_the_field() -> None:
    """A wrong-typed field's path appears in the MalformedResponseError message."""
    body = json.loads(fixture("v1.0-batch-succeeded.json"))
    body["summary"]["total"] = "10"
    with pytest.raises(MalformedResponseError) as info:
        parse_batch_status(REQUEST, response(200, body), NOW)
    assert "$.summary.total" in str(info.value)


def test_parse_batch_status_any_2xx_parses() -> None:
    """A 2xx other than 200 (cancel may return 200/202-style answers) is parsed as a status."""
    batch = parse_batch_status(REQUEST, response(202, fixture("v1.0-batch-cancelled.json")), NOW)
    assert batch.status is Status.CANCELED


@pytest.mark.parametrize("version", list(ApiVersion))
def test_parse_document_page_recorded(version: ApiVersion) -> None:
    """The recorded v1.0 page's items and @nextLink are read whatever the endpoint's version."""
    page = parse_document_page(REQUEST, response(200, fixture("v1.0-documents-page.json")), NOW, version)
    assert isinstance(page, DocumentPage)
    assert [doc.id for doc in page.items] == ["001f0a26-0000-0000-0000-000000000000"]
    assert page.next_link == (
        "https://fakeendpoint.cognitiveservices.azure.com/translator/text/batch/v1.0/batches/"
        "e4b9da33-4c36-4c61-95fd-35b8d7d44a03/documents?$skip=2&$top=8&$maxpagesize=2"
    )


def test_parse_document_page_seed_on_2024_endpoint() -> None:
    """The seed example's '@nextLink' is still found on a 2024-05-01 endpoint (whose key is 'nextLink')."""
    body = fixture("seed-documents-page.json")
    page = parse_document_page(REQUEST, response(200, body), NOW, ApiVersion.V2024_05_01)
    assert page.next_link == json.loads(body)["@nextLink"]
    assert page.items[0].progress == 0.1


@pytest.mark.parametrize("version", list(ApiVersion))
def test_parse_document_page_next_link_key_of_2024_on_any_version(version: ApiVersion) -> None:
    """A 'nextLink' (2024 key) is found on every version, v1.x included."""
    body = {"value": [], "nextLink": f"{HOST}/next"}
    assert parse_document_page(REQUEST, response(200, body), NOW, version).next_link == f"{HOST}/next"


@pytest.mark.parametrize(
    ("version", "expected"),
    [(ApiVersion.V1_0, "v1"), (ApiVersion.V1_0_PREVIEW_1, "v1"), (ApiVersion.V2024_05_01, "v2024")],
)
def test_parse_document_page_prefers_the_versions_key(version: ApiVersion, expected: str) -> None:
    """With both keys present, the version's own next-link key wins."""
    body = {"value": [], "@nextLink": "v1", "nextLink": "v2024"}
    assert parse_document_page(REQUEST, response(200, body), NOW, version).next_link == expected


@pytest.mark.parametrize(
    "body",
    [
        {"value": []},
        {"value": [], "nextLink": ""},
        {"value": [], "nextLink": None},
        {"value": [], "@nextLink": ""},
        {"value": [], "@nextLink": None},
        {"value": [], "@nextLink": None, "nextLink": None},
    ],
)
@pytest.mark.parametrize("version", [ApiVersion.V1_0, ApiVersion.V2024_05_01])
def test_parse_document_page_empty_or_null_next_link_is_none(body: dict[str, Any], version: ApiVersion) -> None:
    """An absent, empty or null next link ends the listing (None)."""
    assert parse_document_page(REQUEST, response(200, body), NOW, version).next_link is None


@pytest.mark.parametrize("link", [5, [], {}, True, 1.5])
@pytest.mark.parametrize("key", ["nextLink", "@nextLink"])
def test_parse_document_page_non_string_next_link(link: Any, key: str) -> None:
    """A next link that is not a string raises a non-transient MalformedResponseError."""
    with pytest.raises(MalformedResponseError) as info:
        parse_document_page(REQUEST, response(200, {"value": [], key: link}), NOW, ApiVersion.V2024_05_01)
    assert info.value.transient is False


@pytest.mark.parametrize("body", UNDECODABLE)
def test_parse_document_page_undecodable_is_transient(body: bytes) -> None:
    """A 200 page that is empty, non-JSON or truncated raises MalformedResponseError with transient=True."""
    with pytest.raises(MalformedResponseError) as info:
        parse_document_page(REQUEST, response(200, body), NOW, ApiVersion.V1_0)
    assert info.value.transient is True


@pytest.mark.parametrize(
    "body",
    [
        [],
        [{"value": []}],
        {},
        {"items": []},
        {"value": {}},
        {"value": None},
        {"value": "x"},
        {"value": [{"id": 1}]},
        {"value": [None]},
        {"value": [5]},
        None,
        "value",
    ],
)
def test_parse_document_page_wrong_shape_is_not_transient(body: Any) -> None:
    """A list, a missing or non-list value, or a bad item raises MalformedResponseError with transient=False."""
    with pytest.raises(MalformedResponseError) as info:
        parse_document_page(REQUEST, response(200, json.dumps(body).encode()), NOW, ApiVersion.V2024_05_01)
    assert info.value.transient is False


def test_parse_document_page_error_status_raises_typed_error() -> None:
    """A 401 listing response raises the AuthenticationError error_for builds."""
    with pytest.raises(AuthenticationError):
        parse_document_page(REQUEST, response(401, fixture("seed-error-401.json")), NOW, ApiVersion.V1_0)


DEEP_BODIES = [b"[" * 100_000, b"[" * 5_000 + b"]" * 5_000, b'{"a":' * 100_000]


@pytest.mark.parametrize("body", DEEP_BODIES)
def test_parse_batch_status_deeply_nested_json(body: bytes) -> None:
    """A deeply nested (hostile) body raises MalformedResponseError, not a bare RecursionError."""
    with pytest.raises(MalformedResponseError):
        parse_batch_status(REQUEST, response(200, body), NOW)


@pytest.mark.parametrize(
    "body",
    [b"[" * 100_000 + b"]" * 100_000, b'{"id":"b","n":' + b"9" * 4_301 + b"}", b"[" * 100_000],
    ids=["nested", "long-integer", "nested-unended"],
)
def test_a_body_python_cannot_read_as_json_is_not_transient(body: bytes) -> None:
    """A body nested past the recursion limit or with an integer past Python's digit limit fails the same way
    every time: its MalformedResponseError is not transient, so a read is not retried for it (it was)."""
    with pytest.raises(MalformedResponseError, match="beyond what Python reads as JSON") as info:
        parse_batch_status(REQUEST, response(200, body), NOW)
    assert info.value.transient is False


@pytest.mark.parametrize("body", DEEP_BODIES)
def test_parse_document_page_deeply_nested_json(body: bytes) -> None:
    """A deeply nested (hostile) page raises MalformedResponseError, not a bare RecursionError."""
    with pytest.raises(MalformedResponseError):
        parse_document_page(REQUEST, response(200, body), NOW, ApiVersion.V1_0)


@pytest.mark.parametrize("body", DEEP_BODIES)
def test_error_for_deeply_nested_json(body: bytes) -> None:
    """A deeply nested error body still gives a ServerError read from the text."""
    error = error_for(REQUEST, response(500, body), NOW)
    assert type(error) is ServerError
    assert error.code == "InternalServerError"


@pytest.mark.parametrize("depth", [980, 1_000, 1_022])
def test_error_for_message_nested_near_the_recursion_limit(depth: int) -> None:
    """An error whose message nests as deep as orjson still reads (deeper than json.dumps writes back, on
    Python 3.11) is an InvalidRequestError; it was a bare RecursionError there with orjson installed."""
    body = b'{"error":{"code":"Deep","message":' + b"[" * depth + b"]" * depth + b"}}"
    error = error_for(REQUEST, response(400, body), NOW)
    assert type(error) is InvalidRequestError


def test_deep_but_reasonable_inner_error_parses() -> None:
    """An error body with innerError nested 100 deep is read fully, not treated as unreadable."""
    detail: dict[str, Any] = {"code": "c100", "message": "m"}
    for depth in range(99, -1, -1):
        detail = {"code": f"c{depth}", "message": "m", "innerError": detail}
    error = error_for(REQUEST, response(500, {"error": detail}), NOW)
    assert error.code == "c0"
    inner = error.inner_error
    count = 0
    while inner is not None:
        count += 1
        inner = inner.inner_error
    assert count == 100


@pytest.mark.parametrize(
    ("wire", "field"),
    [("fileExtensions", "file_extensions"), ("contentTypes", "content_types"), ("versions", "versions")],
)
@pytest.mark.parametrize("value", [".pdf", {"1.7": True}, [".pdf", 3]])
def test_parse_formats_refuses_what_is_no_list_of_strings(wire: str, field: str, value: object) -> None:
    """A format's string lists, given a string, an object or a non-string item, raise a MalformedResponseError
    naming the field; a string was split into its characters and an object read as its keys."""
    fmt = {"format": "PDF", "fileExtensions": [".pdf"], "contentTypes": ["application/pdf"], wire: value}
    with pytest.raises(MalformedResponseError, match=rf"\$\[0\]\.{field}\b") as info:
        parse_formats(REQUEST, response(200, {"value": [fmt]}), NOW)
    assert info.value.transient is False


# --- check_next_link ----------------------------------------------------------------------------------------

CURRENT = f"{HOST}/translator/document/batches/b1/documents?top=10&api-version=2024-05-01"


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        (
            "documents?skip=5&api-version=2024-05-01",
            f"{HOST}/translator/document/batches/b1/documents?skip=5&api-version=2024-05-01",
        ),
        ("?skip=5", f"{HOST}/translator/document/batches/b1/documents?skip=5"),
        ("/translator/document/batches/b1/documents?skip=5", f"{HOST}/translator/document/batches/b1/documents?skip=5"),
        ("../b2/documents", f"{HOST}/translator/document/batches/b2/documents"),
        (f"//{ORIGIN[1]}/other?x=1", f"{HOST}/other?x=1"),
    ],
)
def test_relative_links_resolved_against_current_page(link: str, expected: str) -> None:
    """A relative (or scheme-relative same-host) link is resolved against the page it came on."""
    seen: set[str] = set()
    assert check_next_link(link, current_url=CURRENT, origin=ORIGIN, seen=seen) == expected
    assert seen == {page_key(expected)}


def test_seed_next_link_with_other_path_layout_followed() -> None:
    """The seed's '@nextLink' (v1.0.preview.1/operation/...) is followed as given when on the same origin."""
    link = json.loads(fixture("seed-documents-page.json"))["@nextLink"]
    endpoint = Endpoint("https://westus.cognitiveservices.azure.com", ApiVersion.V1_0_PREVIEW_1)
    current = endpoint.documents("0FA2822F-4C2A-4317-9C20-658C801E0E55").url
    assert check_next_link(link, current_url=current, origin=endpoint.origin, seen=set()) == link


def test_recorded_next_link_followed_as_given() -> None:
    """The recorded v1.0 next link (with $skip/$top/$maxpagesize) is returned unchanged."""
    link = json.loads(fixture("v1.0-documents-page.json"))["@nextLink"]
    endpoint = Endpoint("https://fakeendpoint.cognitiveservices.azure.com", ApiVersion.V1_0)
    assert check_next_link(link, current_url=endpoint.documents("b").url, origin=endpoint.origin, seen=set()) == link


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.example/translator/document/batches/b1/documents?skip=5&sig=SECRETQUERY",
        "https://res.cognitiveservices.azure.com.evil.example/x?sig=SECRETQUERY",
        "https://res.cognitiveservices.azure.com:8443/x?sig=SECRETQUERY",
        "http://res.cognitiveservices.azure.com/x?sig=SECRETQUERY",
        "http://res.cognitiveservices.azure.com:443/x?sig=SECRETQUERY",
        "https://user:SECRETPASS@res.cognitiveservices.azure.com/x?sig=SECRETQUERY",
        "https://SECRETPASS@res.cognitiveservices.azure.com/x?sig=SECRETQUERY",
        "//evil.example/x?sig=SECRETQUERY",
        "javascript:alert(1)//?sig=SECRETQUERY",
        "file:///etc/passwd?sig=SECRETQUERY",
        "ftp://res.cognitiveservices.azure.com/x?sig=SECRETQUERY",
        "data:text/plain,hello?sig=SECRETQUERY",
    ],
)
def test_unsafe_links_refused_without_leaking_query(link: str) -> None:
    """Links to another host, port or scheme, with userinfo or not http(s) are refused, hiding query and userinfo."""
    seen: set[str] = set()
    with pytest.raises(ContinuationLinkError) as info:
        check_next_link(link, current_url=CURRENT, origin=ORIGIN, seen=seen)
    error = info.value
    assert "SECRETQUERY" not in str(error)
    assert "SECRETQUERY" not in error.url
    assert "SECRETPASS" not in str(error)
    assert "SECRETPASS" not in error.url
    assert error.method == "GET"
    assert seen == set()


@pytest.mark.parametrize(
    ("origin_url", "link", "expected"),
    [
        ("https://h.example", "https://h.example:443/x", "https://h.example:443/x"),
        ("https://h.example:443", "https://h.example/x", "https://h.example/x"),
        ("http://h.example", "http://h.example:80/x", "http://h.example:80/x"),
        ("http://h.example:80", "http://h.example/x", "http://h.example/x"),
        ("https://h.example", "https://H.EXAMPLE/x", "https://H.EXAMPLE/x"),
        ("https://H.Example", "https://h.example/x", "https://h.example/x"),
        ("HTTPS://h.example", "https://h.example/x", "https://h.example/x"),
        ("https://h.example", "HTTPS://h.example/x", "https://h.example/x"),
    ],
)
def test_default_ports_and_host_case_are_the_same_origin(origin_url: str, link: str, expected: str) -> None:
    """An explicit default port, host case and scheme case do not change the origin: the link is followed."""
    endpoint = Endpoint(origin_url, ApiVersion.V1_0)
    current = endpoint.url + "/p"
    assert check_next_link(link, current_url=current, origin=endpoint.origin, seen=set()) == expected


def test_absolute_link_without_host_refused() -> None:
    """An absolute link with no host ('https:///x') is followed as given, which means refused, not guessed at."""
    endpoint = Endpoint("https://h.example", ApiVersion.V1_0)
    with pytest.raises(ContinuationLinkError):
        check_next_link("https:///x", current_url=endpoint.url + "/p", origin=endpoint.origin, seen=set())


def test_repeated_link_refused_and_seen_updated() -> None:
    """A link seen before in the listing raises ContinuationLinkError; a new one is added to seen."""
    seen: set[str] = set()
    first = f"{HOST}/page2"
    assert check_next_link(first, current_url=CURRENT, origin=ORIGIN, seen=seen) == first
    assert seen == {page_key(first)}
    with pytest.raises(ContinuationLinkError, match="repeated"):
        check_next_link(first, current_url=f"{HOST}/page3", origin=ORIGIN, seen=seen)
    with pytest.raises(ContinuationLinkError, match="repeated"):
        check_next_link("/page2", current_url=f"{HOST}/page3", origin=ORIGIN, seen=seen)
    with pytest.raises(ContinuationLinkError, match="repeated"):
        check_next_link(
            first.replace("https://", "HTTPS://").replace(".com/", ".com:443/"),
            current_url=CURRENT,
            origin=ORIGIN,
            seen=seen,
        )
    assert seen == {page_key(first)}


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        (
            f"{HOST}/translator/document/batches?skip=50&orderBy=createdDateTimeUtc asc&api-version=2024-05-01",
            f"{HOST}/translator/document/batches?skip=50&orderBy=createdDateTimeUtc%20asc&api-version=2024-05-01",
        ),
        ("?$orderBy=createdDateTimeUtc desc&$x=a,b%2C", f"{HOST}/translator/document/batches/b1/documents"
         "?$orderBy=createdDateTimeUtc%20desc&$x=a,b%2C"),
        (f"{HOST}/a b/c?d=e  f", f"{HOST}/a%20b/c?d=e%20%20f"),
    ],
)  # fmt: skip
def test_raw_spaces_sent_as_percent_20_and_the_rest_byte_for_byte(link: str, expected: str) -> None:
    """The real service's links carry raw spaces: each becomes %20, nothing else changes (not even '$', ',' or
    an existing escape), and the link with raw spaces and its escaped form are one page for loop detection."""
    seen: set[str] = set()
    assert check_next_link(link, current_url=CURRENT, origin=ORIGIN, seen=seen) == expected
    with pytest.raises(ContinuationLinkError, match="repeated"):
        check_next_link(expected, current_url=CURRENT, origin=ORIGIN, seen=seen)


@pytest.mark.parametrize("link", [None, ""])
def test_empty_or_null_link_is_the_end(link: str | None) -> None:
    """'' and None end the listing and leave seen untouched."""
    seen = {"x"}
    assert check_next_link(link, current_url=CURRENT, origin=ORIGIN, seen=seen) is None
    assert seen == {"x"}


@pytest.mark.parametrize("link", [5, [], {}, b"https://res.cognitiveservices.azure.com/x", 1.5])
def test_non_string_link_refused(link: object) -> None:
    """A next link that is not a string raises ContinuationLinkError naming the current URL."""
    with pytest.raises(ContinuationLinkError, match="not a string") as info:
        check_next_link(link, current_url=CURRENT, origin=ORIGIN, seen=set())
    assert info.value.url == CURRENT


@pytest.mark.parametrize(
    "link",
    [
        "https://res.cognitiveservices.azure.com:99999/x?sig=SECRETQUERY",
        "https://res.cognitiveservices.azure.com:abc/x?sig=SECRETQUERY",
        "https://evil.example:80.0/x",
        "http://[",
        "https://[::1/x",
    ],
)
def test_unparsable_links_refused(link: str) -> None:
    """A next link with a bad port or bracket raises ContinuationLinkError, not a bare ValueError."""
    with pytest.raises(ContinuationLinkError) as info:
        check_next_link(link, current_url=CURRENT, origin=ORIGIN, seen=set())
    assert "SECRETQUERY" not in str(info.value)
