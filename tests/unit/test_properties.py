"""Property-based tests (hypothesis) of the pure core: hostile input gives the library's own errors only."""

from __future__ import annotations

import copy
import json
import math
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import yarl
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from doctrans_async._errors import (
    ContinuationLinkError,
    DocumentTranslationError,
    MalformedResponseError,
    ServiceError,
)
from doctrans_async._models import BatchStatus, DocumentPage, DocumentStatus, Status
from doctrans_async._sansio import (
    Request,
    Response,
    check_next_link,
    error_for,
    origin_of,
    page_key,
    parse_batch_status,
    parse_document_page,
    parse_retry_after,
)
from doctrans_async._versions import ApiVersion

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
HOST = "https://res.example"
ORIGIN = ("https", "res.example", 443)
CURRENT = f"{HOST}/translator/document/batches/b1/documents?top=10&api-version=2024-05-01"
REQUEST = Request("GET", CURRENT)
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

BATCH: dict[str, Any] = json.loads((FIXTURES / "2024-05-01-batch-validation-failed.json").read_bytes())
PAGE: dict[str, Any] = json.loads((FIXTURES / "v1.0-documents-page.json").read_bytes())

# --- strategies ---------------------------------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**30), max_value=10**400),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(["2024-10-11T02:18:42.6957534Z", "2021-03-26T00:00:00-08:00", "NaN", "1e400", "0.5", "Cancelled"]),
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)


@st.composite
def mutated(draw: st.DrawFn, base: Any) -> Any:
    """``base`` with some of its (nested) fields deleted or replaced by arbitrary JSON values."""
    body = copy.deepcopy(base)
    containers: list[Any] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            containers.append(node)
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(body)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        node = draw(st.sampled_from(containers))
        if not node:
            continue
        key = draw(st.sampled_from(sorted(node)))
        if draw(st.booleans()):
            del node[key]
        else:
            node[key] = draw(json_values)
    if draw(st.booleans()):
        body[draw(st.text(max_size=12))] = draw(json_values)
    return body


def dumps(value: Any) -> bytes:
    """JSON bytes (NaN and Infinity literals allowed, as the stdlib parser accepts them)."""
    return json.dumps(value).encode()


def bodies(base: Any) -> st.SearchStrategy[bytes]:
    """Raw bytes, arbitrary JSON, and near-valid mutations of a real body."""
    return st.one_of(
        st.binary(max_size=300),
        json_values.map(dumps),
        mutated(base).map(dumps),
        st.just(dumps(base)),
        st.builds(lambda raw, cut: raw[:cut], st.just(dumps(base)), st.integers(min_value=0, max_value=600)),
    )


header_names = st.one_of(
    st.sampled_from(["retry-after", "retry-after-ms", "apim-request-id", "x-requestid", "content-type"]),
    st.text(max_size=12),
)
headers = st.dictionaries(header_names, st.text(max_size=40), max_size=5)
statuses = st.one_of(st.just(200), st.integers(min_value=100, max_value=599))


def response(status: int, header_map: dict[str, str], body: bytes) -> Response:
    """A response built as the transport builds it (header names folded)."""
    return Response.build(status, header_map.items(), body)


def check_error(error: DocumentTranslationError, status: int) -> None:
    """An error from parsing names the request, and its kind matches the status."""
    text = str(error)
    repr(error)
    assert CURRENT in text
    if 200 <= status < 300:
        assert isinstance(error, MalformedResponseError)
        assert error.status == status
    else:
        assert isinstance(error, ServiceError)
        assert error.status == status


# --- response parsing ---------------------------------------------------------------------------------------


@FAST
@given(status=statuses, header_map=headers, body=bodies(BATCH))
def test_parse_batch_status_raises_only_library_errors(status: int, header_map: dict[str, str], body: bytes) -> None:
    """Any status, headers and body give a BatchStatus (2xx only) or a library error of the matching kind."""
    try:
        result = parse_batch_status(REQUEST, response(status, header_map, body), NOW)
    except DocumentTranslationError as error:
        check_error(error, status)
    else:
        assert 200 <= status < 300
        assert isinstance(result, BatchStatus)
        assert result.created_at.tzinfo is not None
        assert isinstance(result.status, Status)


@FAST
@given(status=statuses, header_map=headers, body=bodies(PAGE), version=st.sampled_from(list(ApiVersion)))
def test_parse_document_page_raises_only_library_errors(
    status: int, header_map: dict[str, str], body: bytes, version: ApiVersion
) -> None:
    """Any status, headers and body give a DocumentPage (2xx only) or a library error of the matching kind."""
    try:
        result = parse_document_page(REQUEST, response(status, header_map, body), NOW, version)
    except DocumentTranslationError as error:
        check_error(error, status)
    else:
        assert 200 <= status < 300
        assert isinstance(result, DocumentPage)
        assert all(isinstance(item, DocumentStatus) for item in result.items)
        assert result.next_link is None or (isinstance(result.next_link, str) and result.next_link != "")


@FAST
@given(
    status=st.integers(min_value=100, max_value=599),
    header_map=headers,
    body=st.one_of(
        bodies({"error": {"code": "InvalidRequest", "message": "m", "target": "t", "innerError": {"code": "c"}}}),
        json_values.map(lambda v: dumps({"error": v})),
    ),
)
def test_error_for_always_returns_a_service_error(status: int, header_map: dict[str, str], body: bytes) -> None:
    """error_for turns any status, headers and body into a ServiceError with that status and a code (its
    message None only when the body's error has none)."""
    error = error_for(REQUEST, response(status, header_map, body), NOW)
    assert isinstance(error, ServiceError)
    assert error.status == status
    assert isinstance(error.code, str)
    assert error.code
    assert error.message is None or isinstance(error.message, str)
    assert error.retry_after is None or (math.isfinite(error.retry_after) and error.retry_after >= 0)
    assert CURRENT in str(error)


# --- Retry-After --------------------------------------------------------------------------------------------

offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
http_dates = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)).map(
    lambda d: format_datetime(d.replace(tzinfo=UTC), usegmt=True)
)
retry_values = st.one_of(
    st.text(max_size=40),
    st.from_regex(r"\s*-?[0-9]{1,400}(\.[0-9]{0,30})?\s*", fullmatch=True),
    http_dates,
    st.floats().map(repr),
    st.integers().map(str),
)


@FAST
@given(
    header_map=st.dictionaries(st.sampled_from(["retry-after", "retry-after-ms"]), retry_values, max_size=2),
    now=st.datetimes(timezones=offsets),
)
@example(header_map={"retry-after": "9" * 400}, now=NOW)
@example(header_map={"retry-after-ms": "inf"}, now=NOW)
@example(header_map={"retry-after": "Fri, 31 Dec 9999 23:59:59 GMT"}, now=datetime(1, 1, 1, tzinfo=UTC))
def test_parse_retry_after_is_none_or_finite_non_negative(header_map: dict[str, str], now: datetime) -> None:
    """parse_retry_after never raises and never returns a negative, NaN or infinite wait."""
    wait = parse_retry_after(header_map, now)
    assert wait is None or (isinstance(wait, float) and math.isfinite(wait) and wait >= 0)


# --- next links ---------------------------------------------------------------------------------------------

link_pieces = st.sampled_from(
    [
        "https://",
        "http://",
        "//",
        "/",
        "res.example",
        "RES.EXAMPLE",
        "evil.example",
        ":443",
        ":80",
        ":8443",
        "@",
        "\\",
        "?",
        "#",
        "%2e",
        "..",
        ".",
        "javascript:",
        "file:",
        "user:pw",
        "a",
        " ",
        "\t",
        "\x00",
        "\u3002",
        "\uff0e",
        "[::1]",
    ]
)
links = st.one_of(st.text(max_size=60), st.lists(link_pieces, max_size=10).map("".join))


@FAST
@given(link=links)
@example(link="https://res.example:443/x")
@example(link="//evil.example/x")
@example(link="https://res.example\\@evil.example/")
@example(link="https://evil.example\\@res.example/")
def test_check_next_link_same_origin_or_error(link: str) -> None:
    """Any text is either refused with ContinuationLinkError or resolved to a URL on the endpoint's origin."""
    seen: set[str] = set()
    refused: ContinuationLinkError | None = None
    try:
        result = check_next_link(link, current_url=CURRENT, origin=ORIGIN, seen=seen)
    except ContinuationLinkError as error:
        refused, result = error, None
    if refused is not None:
        assert "?" not in refused.url
        assert seen == set()
        return
    if result is None:
        assert link == ""
        return
    assert origin_of(result) == ORIGIN
    assert seen == {page_key(result)}
    sent_to = yarl.URL(result, encoded=True)
    assert (sent_to.scheme, (sent_to.host or "").lower(), sent_to.port) == ORIGIN
    assert sent_to.user is None


# --- Status -------------------------------------------------------------------------------------------------


@FAST
@given(text=st.text(max_size=30))
def test_any_status_text_parses(text: str) -> None:
    """Any status text parses; only the terminal wire words (any case, either spelling) are terminal."""
    status = Status(text)
    terminal_words = {"succeeded", "failed", "cancelled", "canceled", "validationfailed"}
    assert status.is_terminal is (text.lower() in terminal_words)
    if not status.is_known:
        assert str(status) == text
