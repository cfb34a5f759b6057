"""The HTTP front: aiohttp.web routing that serves the simulated service in every API version's layout.

One application serves all four versions: v1.0-preview.1 and v1.0 under
``/translator/text/batch/{version}`` (``$top``/``$skip``/``$maxpagesize``, ``@nextLink``; also under
``/translatortext/batch/{version}``, where their ``Operation-Location`` points), 2024-05-01 and 2026-03-01 under
``/translator/document`` with ``?api-version=`` (``top``/``skip``/``maxpagesize``; ``nextLink`` on documents,
``@nextLink`` on batches). Every request goes through :func:`_endpoint`: fault plan, then the checks in the real
service's order (unknown path → 404 from the gateway, key → 401, api-version → 400), then the route, then the
fault's changes to what is sent, then the log.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal

import attrs
from aiohttp import web
from yarl import URL

from doctrans_async.emulator._call import Call, Reply, Route
from doctrans_async.emulator._document_translate import translate_document
from doctrans_async.emulator._faults import LINK_FAULTS, Fault, FaultKind
from doctrans_async.emulator._routes import (
    cancel_batch,
    document_formats,
    formats,
    get_document,
    get_status,
    glossary_formats,
    list_batches,
    list_documents,
    start_batch,
    storage_sources,
)
from doctrans_async.emulator._site import RequestRecord, Settings, Site
from doctrans_async.emulator._wire import (
    BINARY_TYPE,
    DOCUMENT_BASE,
    GATEWAY_401,
    GATEWAY_404,
    GATEWAY_JSON_TYPE,
    HTML_502_PAGE,
    JSON_TYPE,
    LAYOUTS,
    OPERATION_TEXT_BASE,
    TEXT_BASE,
    ApiError,
    Layout,
    error_body,
    fault_error_body,
)

__all__ = ["make_app"]

SITE = web.AppKey("doctrans_emulator_site", Site)

Family = Literal["text", "document"]
"""The two URL families: v1.x's versions in the path, 2024-05-01 and later's in the query."""
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


def _layout(request: web.Request, family: Family) -> Layout | None:
    if family == "document":
        return LAYOUTS.get(request.query.get("api-version", ""))
    found = LAYOUTS.get(request.match_info["version"])
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
    versions = ", ".join(v for v, layout in LAYOUTS.items() if layout.in_query)
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


def _render(reply: Reply, request_id: str, fault: Fault | None = None, *, method: str = "GET") -> web.Response:
    headers = _request_ids(request_id) | reply.headers
    if reply.data is not None:
        headers["Content-Type"] = BINARY_TYPE
        return web.Response(status=reply.status, body=_corrupt(reply.data, headers, fault), headers=headers)
    body = reply.body
    if reply.next_link_key is not None and body is not None and reply.next_link is not None:
        body = {**body, reply.next_link_key: reply.next_link}
    if body is None:
        return web.Response(status=reply.status, headers=headers)
    data = _json(body)
    headers.setdefault("Content-Type", JSON_TYPE)
    if reply.status == 200 and method == "GET":
        # Recorded: upper-case hex; a DELETE's 200 has neither header.
        headers["ETag"] = f'"{hashlib.sha256(data).hexdigest().upper()}"'
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
        content_type = GATEWAY_JSON_TYPE if fault.status == 401 else JSON_TYPE
        headers = _request_ids(request_id) | fault.retry_headers() | {"Content-Type": content_type}
        return web.Response(status=fault.status, body=_json(fault_error_body(fault.status)), headers=headers)
    return None


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _endpoint(name: str | None, route: Route | None, family: Family) -> Handler:
    """The aiohttp handler of one route in one URL family (``route`` None: the gateway's 404)."""

    async def handle(request: web.Request) -> web.StreamResponse:
        site = request.app[SITE]
        fault = site.faults.take(name) if name is not None else None
        # Logged on arrival, so a test sees a slow request while it is in flight; completed once answered.
        arrived = _record(request, site, name, None, fault)
        site.log.append(arrived)
        status: int | None = None
        try:
            response = await _serve(request, site, route, family, fault)
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
    family: Family,
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
    layout = _layout(request, family) if route is not None else None
    if route is None or (layout is None and family == "text"):
        return _render(Reply(404, GATEWAY_404), request_id)
    if not _authorized(request.headers, site.settings):
        return _render(Reply(401, GATEWAY_401, {"Content-Type": GATEWAY_JSON_TYPE}), request_id)
    if layout is None:
        return _render(_error_reply(ApiError(400, _api_version_error()), family), request_id)
    call = Call(request, site, layout, site.clock.monotonic())
    try:
        reply = await route(call)
    except ApiError as error:
        reply = _error_reply(error, family)
    if reply.next_link_key is not None:
        _apply_link_fault(call, reply, fault)
    return _render(reply, request_id, fault, method=request.method)


def _error_reply(error: ApiError, family: Family) -> Reply:
    # Recorded on 2024-05-01 (document:translate's 400): the code in a header too, as Azure's guidelines have it.
    headers = {"x-ms-error-code": str(error.body["error"]["code"])} if family == "document" else {}
    return Reply(error.status, error.body, headers)


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
    text_routes = _COMMON_ROUTES + _TEXT_ROUTES
    families: list[tuple[Family, str, _RouteTable]] = [
        ("text", f"{TEXT_BASE}/{{version}}", text_routes),
        # Where v1.x's Operation-Location points; the recordings never show a request there, so this is a guess
        # that a client following the header as given should get the status it names.
        ("text", f"{OPERATION_TEXT_BASE}/{{version}}", text_routes),
        ("document", DOCUMENT_BASE, _COMMON_ROUTES + _DOCUMENT_ROUTES),
    ]
    for family, prefix, table in families:
        for method, path, name, route in table:
            app.router.add_route(method, prefix + path, _endpoint(name, route, family))
    app.router.add_route("*", "/{tail:.*}", _endpoint(None, None, "text"))
    return app
