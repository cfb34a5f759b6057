"""OpenTelemetry traces and metrics from the client's events: ``pip install 'doctrans-async[otel]'``.

::

    from doctrans_async.otel import OpenTelemetryHook

    client = DocumentTranslationClient(endpoint, key=key, on_event=OpenTelemetryHook())

**Spans.** Each public coroutine call is an INTERNAL span named ``doctrans <method>`` (``doctrans
wait_for_completion``) with ``doctrans.batch.id`` and, at its end, the batch's ``doctrans.batch.status``; each
poll is an event on it. Each HTTP request is a CLIENT span named by its method (``GET``, ``POST``, …), following
the semantic conventions for HTTP clients: ``http.request.method``, ``url.full`` (credentials never: the key
travels in a header, and user info or signature query values are redacted), ``server.address``, ``server.port``,
``http.response.status_code``, ``error.type`` on failures and ``http.request.resend_count`` on retries. A request's
span is the child of its call's span, or of whatever span is current (the listings are async generators, whose
requests stand alone under the caller's span).

**Metrics.** ``doctrans.client.requests`` (a counter) and ``doctrans.client.request.duration`` (a histogram, in
seconds), both by ``http.request.method`` and ``http.response.status_code`` (or ``error.type``), and
``doctrans.client.polls`` (a counter, by ``doctrans.batch.status``).

**Beside opentelemetry-instrumentation-aiohttp-client.** That instrumentation makes its own CLIENT span for each
request, at the socket, and sends ``traceparent``. Both spans are children of the same ``doctrans <method>`` span,
side by side: the aiohttp one is opened while the request is sent, ours is recorded when its answer is read (with
the same start and duration, as the event reports them). Keep both (ours adds the retry count and sees requests
the aiohttp span misses, such as one refused before sending), or filter the aiohttp spans out in your pipeline.

The hook is called in the context (``contextvars``) of the call that caused each request, so the current span is
the caller's as OpenTelemetry's context propagation sees it: a shared poll, in the context of the first wait it
serves. Concurrent calls (``wait_all``, ``as_completed``) each get their own span.
"""

from __future__ import annotations

import contextvars
import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import opentelemetry.context as context
import opentelemetry.metrics as metrics
import opentelemetry.trace as trace

from doctrans_async._events import CallEvent, Event, PollEvent, RequestEvent, RetryEvent
from doctrans_async._version import __version__

__all__ = ["OpenTelemetryHook"]

_SCOPE = "doctrans_async"
# The query keys whose values the HTTP semantic conventions redact in url.full by default.
_SECRET_QUERY_KEYS = frozenset({"sig", "Signature", "X-Goog-Signature", "AWSAccessKeyId"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_TRANSPORT_ERROR = "doctrans_async.TransportError"


def safe_url(url: str) -> str:
    """``url`` with any user info and signature query values replaced by ``REDACTED``."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "REDACTED:REDACTED@" + netloc.rpartition("@")[2]
    query = "&".join(_redact_pair(pair) for pair in parts.query.split("&")) if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _redact_pair(pair: str) -> str:
    key, equals, _ = pair.partition("=")
    return f"{key}=REDACTED" if equals and key in _SECRET_QUERY_KEYS else pair


def _server(url: str) -> dict[str, str | int]:
    parts = urlsplit(url)
    server: dict[str, str | int] = {}
    if parts.hostname:
        server["server.address"] = parts.hostname
    port = parts.port or _DEFAULT_PORTS.get(parts.scheme)
    if port is not None:
        server["server.port"] = port
    return server


class _Call:
    """A call's span, the context token that made it current, and the resends its requests are waiting for."""

    __slots__ = ("resends", "span", "token")

    def __init__(self, span: Any, token: Any) -> None:
        self.span = span
        self.token = token
        self.resends: dict[tuple[str, str], int] = {}


class OpenTelemetryHook:
    """An ``on_event`` hook that turns the client's events into OpenTelemetry spans and metrics.

    :param tracer_provider: where spans go; default the global one (``opentelemetry.trace.set_tracer_provider``).
    :param meter_provider: where metrics go; default the global one.
    """

    def __init__(self, tracer_provider: Any = None, meter_provider: Any = None) -> None:
        self._tracer = trace.get_tracer(_SCOPE, __version__, tracer_provider=tracer_provider)
        meter = metrics.get_meter(_SCOPE, __version__, meter_provider=meter_provider)
        self._requests = meter.create_counter(
            "doctrans.client.requests", unit="{request}", description="HTTP requests answered or failed"
        )
        self._duration = meter.create_histogram(
            "doctrans.client.request.duration", unit="s", description="Duration of HTTP requests"
        )
        self._polls = meter.create_counter(
            "doctrans.client.polls", unit="{poll}", description="Batch statuses seen not yet terminal"
        )
        # One per hook, so that two hooks on one client (or two clients) keep their calls apart.
        self._calls: contextvars.ContextVar[tuple[_Call, ...]] = contextvars.ContextVar("doctrans_calls", default=())
        self._loose_resends: contextvars.ContextVar[dict[tuple[str, str], int] | None] = contextvars.ContextVar(
            "doctrans_resends", default=None
        )

    def __repr__(self) -> str:
        return "OpenTelemetryHook()"

    def __call__(self, event: Event) -> None:
        """Record one event (the client calls this; see :mod:`doctrans_async.otel`)."""
        if isinstance(event, RequestEvent):
            self._request(event)
        elif isinstance(event, RetryEvent):
            self._resends()[(event.method, event.url)] = event.attempt
        elif isinstance(event, PollEvent):
            self._poll(event)
        elif isinstance(event, CallEvent):
            if event.phase == "start":
                self._start_call(event)
            else:
                self._end_call(event)

    # --- calls ---------------------------------------------------------------------------------------------

    def _start_call(self, event: CallEvent) -> None:
        attributes = {"doctrans.batch.id": event.batch_id} if event.batch_id is not None else {}
        span = self._tracer.start_span(f"doctrans {event.name}", kind=trace.SpanKind.INTERNAL, attributes=attributes)
        token = context.attach(trace.set_span_in_context(span))
        self._calls.set((*self._calls.get(), _Call(span, token)))

    def _end_call(self, event: CallEvent) -> None:
        calls = self._calls.get()
        if not calls:
            return  # the hook was attached after this call started
        call = calls[-1]
        self._calls.set(calls[:-1])
        span = call.span
        if event.batch_id is not None:
            span.set_attribute("doctrans.batch.id", event.batch_id)
        if event.status is not None:
            span.set_attribute("doctrans.batch.status", str(event.status))
        if event.error is not None:
            span.set_attribute("error.type", _qualified(event.error))
            span.record_exception(event.error)
            span.set_status(trace.Status(trace.StatusCode.ERROR, type(event.error).__name__))
        span.end()
        context.detach(call.token)

    def _resends(self) -> dict[tuple[str, str], int]:
        calls = self._calls.get()
        if calls:
            return calls[-1].resends
        loose = self._loose_resends.get()
        if loose is None:
            loose = {}
            self._loose_resends.set(loose)
        return loose

    # --- requests and polls --------------------------------------------------------------------------------

    def _request(self, event: RequestEvent) -> None:
        end = time.time_ns()
        labels: dict[str, str | int] = {"http.request.method": event.method}
        if event.status is not None:
            labels["http.response.status_code"] = event.status
        error_type = _TRANSPORT_ERROR if event.status is None else str(event.status) if event.status >= 400 else None
        if error_type is not None:
            labels["error.type"] = error_type
        attributes: dict[str, str | int] = {**labels, "url.full": safe_url(event.url), **_server(event.url)}
        resend = self._resends().pop((event.method, event.url), None)
        if resend is not None:
            attributes["http.request.resend_count"] = resend
        if event.request_id is not None:
            attributes["doctrans.request.id"] = event.request_id
        span = self._tracer.start_span(
            event.method,
            kind=trace.SpanKind.CLIENT,
            attributes=attributes,
            start_time=end - int(event.elapsed * 1e9),
        )
        if error_type is not None:
            span.set_status(trace.Status(trace.StatusCode.ERROR, event.error or error_type))
        span.end(end_time=end)
        self._requests.add(1, labels)
        self._duration.record(event.elapsed, labels)

    def _poll(self, event: PollEvent) -> None:
        status = str(event.status)
        self._polls.add(1, {"doctrans.batch.status": status})
        calls = self._calls.get()
        if calls:
            poll = {
                "doctrans.batch.status": status,
                "doctrans.poll.wait": event.wait,
                "doctrans.poll.reason": event.reason,
            }
            calls[-1].span.add_event("doctrans.poll", poll)


def _qualified(error: BaseException) -> str:
    kind = type(error)
    if kind.__module__ == "builtins":
        return kind.__qualname__
    if kind.__module__.startswith("doctrans_async."):
        return f"doctrans_async.{kind.__qualname__}"  # the name users import it by, not its private module
    return f"{kind.__module__}.{kind.__qualname__}"
