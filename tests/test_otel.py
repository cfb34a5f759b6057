"""OpenTelemetryHook against the emulator, read back through opentelemetry-sdk's in-memory exporter and reader."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

pytest.importorskip("opentelemetry.sdk")

from opentelemetry import trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

import doctrans_async as dt
from doctrans_async.emulator import Emulator, Fault
from doctrans_async.otel import OpenTelemetryHook, safe_url

UNKNOWN = "00000000-0000-0000-0000-000000000000"


class Telemetry:
    """A tracer and a meter provider whose output the test reads."""

    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])
        self.hook = OpenTelemetryHook(tracer_provider=self.tracer_provider, meter_provider=self.meter_provider)

    def spans(self, kind: SpanKind | None = None) -> list[ReadableSpan]:
        return [span for span in self.exporter.get_finished_spans() if kind is None or span.kind is kind]

    def calls(self, name: str) -> list[ReadableSpan]:
        return [span for span in self.spans(SpanKind.INTERNAL) if span.name == f"doctrans {name}"]

    def points(self, metric: str) -> list[Any]:
        data = self.reader.get_metrics_data()
        assert data is not None
        return [
            point
            for resource in data.resource_metrics
            for scope in resource.scope_metrics
            for each in scope.metrics
            if each.name == metric
            for point in each.data.data_points
        ]

    def shutdown(self) -> None:
        self.tracer_provider.shutdown()
        self.meter_provider.shutdown()


@pytest.fixture
def telemetry() -> Iterator[Telemetry]:
    """Providers for this test only (the global ones are never touched)."""
    telemetry = Telemetry()
    yield telemetry
    telemetry.shutdown()


@pytest.fixture
async def traced(
    emulator: Emulator, clock: dt.VirtualClock, telemetry: Telemetry
) -> AsyncIterator[dt.DocumentTranslationClient]:
    """A client of the emulator reporting to ``telemetry``."""
    async with dt.DocumentTranslationClient(
        emulator.endpoint, key=emulator.key, clock=clock, on_event=telemetry.hook
    ) as client:
        yield client


def parent_of(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent is not None else None


async def test_a_wait_is_one_span_over_its_requests(
    emulator: Emulator, traced: dt.DocumentTranslationClient, telemetry: Telemetry
) -> None:
    """wait_for_completion is a span with the batch and its final status; each request (the 503, its resend, every
    poll) is a CLIENT span under it, with the HTTP client attributes; each poll is an event on the call's span."""
    batch_id = emulator.add_batch(documents=3, seconds=30)
    emulator.faults.script("status", [Fault.http(503, retry_after=2)])
    final = await traced.wait_for_completion(batch_id)
    [call] = telemetry.calls("wait_for_completion")
    requests = telemetry.spans(SpanKind.CLIENT)
    assert call.attributes is not None
    assert dict(call.attributes) == {"doctrans.batch.id": batch_id, "doctrans.batch.status": "Succeeded"}
    assert final.status is dt.Status.SUCCEEDED
    assert call.status.status_code is StatusCode.UNSET
    assert len(requests) >= 3
    assert all(parent_of(span) == call.context.span_id for span in requests)
    assert all(span.context.trace_id == call.context.trace_id for span in requests)
    assert all(span.name == "GET" for span in requests)
    failed, resent = requests[0].attributes, requests[1].attributes
    assert failed is not None
    assert resent is not None
    assert failed["http.response.status_code"] == 503
    assert failed["error.type"] == "503"
    assert requests[0].status.status_code is StatusCode.ERROR
    assert "http.request.resend_count" not in failed
    assert resent["http.request.resend_count"] == 1
    assert resent["http.response.status_code"] == 200
    assert "error.type" not in resent
    assert all("http.request.resend_count" not in (span.attributes or {}) for span in requests[2:])
    assert failed["http.request.method"] == "GET"
    assert str(failed["url.full"]).startswith(
        f"{emulator.endpoint}/translator/document/batches/{batch_id}?api-version="
    )
    assert (failed["server.address"], failed["server.port"]) == ("127.0.0.1", emulator.port)
    for span in requests:
        assert span.start_time is not None
        assert span.end_time is not None
        assert call.start_time is not None
        assert span.start_time <= span.end_time
    polls = [event for event in call.events if event.name == "doctrans.poll"]
    assert len(polls) == len(requests) - 2  # every poll but the failed attempt and the terminal one waits
    assert all((event.attributes or {})["doctrans.batch.status"] != "Succeeded" for event in polls)


async def test_metrics_count_requests_durations_and_polls(
    emulator: Emulator, traced: dt.DocumentTranslationClient, telemetry: Telemetry
) -> None:
    """The request counter and the duration histogram agree with the spans, by method and status; polls count."""
    batch_id = emulator.add_batch(documents=2, seconds=20)
    emulator.faults.script("status", [Fault.http(503, retry_after=1)])
    await traced.wait_for_completion(batch_id)
    spans = telemetry.spans(SpanKind.CLIENT)
    counted = {
        (point.attributes["http.request.method"], point.attributes["http.response.status_code"]): point.value
        for point in telemetry.points("doctrans.client.requests")
    }
    assert counted == {("GET", 503): 1, ("GET", 200): len(spans) - 1}
    durations = telemetry.points("doctrans.client.request.duration")
    assert sum(point.count for point in durations) == len(spans)
    assert all(point.sum >= 0 for point in durations)
    polls = telemetry.points("doctrans.client.polls")
    assert sum(point.value for point in polls) == len(spans) - 2
    assert {point.attributes["doctrans.batch.status"] for point in polls} <= {"NotStarted", "Running"}


async def test_a_transport_failure_has_an_error_type_and_no_status(
    emulator: Emulator, traced: dt.DocumentTranslationClient, telemetry: Telemetry
) -> None:
    """A dropped connection is a CLIENT span without a status code, its error.type the exception users catch."""
    batch_id = emulator.add_batch(documents=1, seconds=0)
    # Two drops: aiohttp resends a GET once by itself when its connection is dropped.
    emulator.faults.script("status", [Fault.drop(), Fault.drop()])
    await traced.get_status(batch_id)
    dropped, answered = telemetry.spans(SpanKind.CLIENT)
    assert dropped.attributes is not None
    assert "http.response.status_code" not in dropped.attributes
    assert dropped.attributes["error.type"] == "doctrans_async.TransportError"
    assert dropped.status.status_code is StatusCode.ERROR
    assert (answered.attributes or {})["http.request.resend_count"] == 1
    [point] = [p for p in telemetry.points("doctrans.client.requests") if "error.type" in p.attributes]
    assert dict(point.attributes) == {"http.request.method": "GET", "error.type": "doctrans_async.TransportError"}


async def test_a_failed_call_records_its_error(traced: dt.DocumentTranslationClient, telemetry: Telemetry) -> None:
    """A call that raises ends its span in error, naming the public exception; its 404 request says 404."""
    with pytest.raises(dt.NotFoundError):
        await traced.get_status(UNKNOWN)
    [call] = telemetry.calls("get_status")
    [request] = telemetry.spans(SpanKind.CLIENT)
    assert call.status.status_code is StatusCode.ERROR
    assert (call.attributes or {})["error.type"] == "doctrans_async.NotFoundError"
    assert (call.attributes or {})["doctrans.batch.id"] == UNKNOWN
    assert [event.name for event in call.events] == ["exception"]
    assert (request.attributes or {})["error.type"] == "404"


async def test_a_timed_out_wait_keeps_the_last_status(
    emulator: Emulator, traced: dt.DocumentTranslationClient, telemetry: Telemetry
) -> None:
    """A wait past its timeout ends in error with the status last seen as doctrans.batch.status."""
    batch_id = emulator.add_batch(documents=2, seconds=3600)
    with pytest.raises(dt.PollingTimeoutError):
        await traced.wait_for_completion(batch_id, timeout=30)
    [call] = telemetry.calls("wait_for_completion")
    attributes = call.attributes or {}
    assert attributes["error.type"] == "doctrans_async.PollingTimeoutError"
    assert attributes["doctrans.batch.status"] in {"NotStarted", "Running"}


async def test_concurrent_waits_each_have_their_span(
    emulator: Emulator, traced: dt.DocumentTranslationClient, telemetry: Telemetry
) -> None:
    """wait_all is one span; each batch's wait is a child of it, and each request sits under the wait of a batch it
    served: its own, or for a coalesced listing (one request for several batches) the first batch it names."""
    batch_ids = [emulator.add_batch(documents=2, seconds=10 * (n + 1)) for n in range(3)]
    await traced.wait_all(batch_ids, concurrency=3)
    [whole] = telemetry.calls("wait_all")
    waits = {(span.attributes or {})["doctrans.batch.id"]: span for span in telemetry.calls("wait_for_completion")}
    assert set(waits) == set(batch_ids)
    assert all(parent_of(wait) == whole.context.span_id for wait in waits.values())
    for request in telemetry.spans(SpanKind.CLIENT):
        url = str((request.attributes or {})["url.full"])
        served = sorted((batch_id for batch_id in batch_ids if batch_id in url), key=url.index)
        assert parent_of(request) == waits[served[0]].context.span_id


async def test_started_batch_is_named_on_its_span(traced: dt.DocumentTranslationClient, telemetry: Telemetry) -> None:
    """start_translation's span carries the id of the batch it started; its request is a POST span."""
    batch_id = await traced.start_translation(
        source_url="https://store.example/source?sv=1&sig=SOURCESECRET",
        target_url="https://store.example/target?sv=1&sig=TARGETSECRET",
        target_language="fr",
    )
    [call] = telemetry.calls("start_translation")
    [request] = telemetry.spans(SpanKind.CLIENT)
    assert (call.attributes or {})["doctrans.batch.id"] == batch_id
    assert request.name == "POST"
    assert (request.attributes or {})["http.response.status_code"] == 202


async def test_listing_requests_sit_under_the_callers_span(
    emulator: Emulator, traced: dt.DocumentTranslationClient, telemetry: Telemetry
) -> None:
    """A listing (an async generator) has no call span: its page requests are children of the current span."""
    batch_id = emulator.add_batch(documents=12, seconds=0)
    tracer = telemetry.tracer_provider.get_tracer("the user's code")
    with tracer.start_as_current_span("handle request") as outer:
        documents = [document async for document in traced.list_documents(batch_id, page_size=5)]
    assert len(documents) == 12
    pages = telemetry.spans(SpanKind.CLIENT)
    assert len(pages) == 3  # the emulator's pages are of 5
    assert all(parent_of(page) == outer.get_span_context().span_id for page in pages)
    assert trace.get_current_span() is trace.INVALID_SPAN  # nothing the hook attached is left behind


async def test_no_credential_reaches_any_span_or_metric(
    emulator: Emulator, traced: dt.DocumentTranslationClient, telemetry: Telemetry
) -> None:
    """Neither the key nor a SAS signature appears in any exported span or metric."""
    batch_id = emulator.add_batch(documents=3, seconds=0)
    emulator.faults.script("status", [Fault.http(401)])
    with pytest.raises(dt.AuthenticationError):
        await traced.get_status(batch_id)
    await traced.wait_for_completion(batch_id)
    await traced.start_translation(
        source_url="https://store.example/source?sig=SOURCESECRET",
        target_url="https://store.example/target?sig=TARGETSECRET",
        target_language="de",
    )
    exported = "".join(span.to_json() for span in telemetry.spans())
    data = telemetry.reader.get_metrics_data()
    assert data is not None
    exported += data.to_json()
    assert emulator.key not in exported
    assert "SECRET" not in exported


def test_urls_lose_user_info_and_signatures() -> None:
    """url.full never holds user info or a signature; everything else is kept as it was."""
    assert safe_url("https://user:pass@host.example:8443/p/a%20b?sig=abc&api-version=2024-05-01&x") == (
        "https://REDACTED:REDACTED@host.example:8443/p/a%20b?sig=REDACTED&api-version=2024-05-01&x"
    )
    assert safe_url("http://127.0.0.1:1234/translator/document/batches?$top=5") == (
        "http://127.0.0.1:1234/translator/document/batches?$top=5"
    )


async def test_the_global_providers_are_the_default(emulator: Emulator, clock: dt.VirtualClock) -> None:
    """Without providers the hook reports to the global ones (no-op until configured), and the calls still work."""
    batch_id = emulator.add_batch(documents=1, seconds=0)
    hook = OpenTelemetryHook()
    async with dt.DocumentTranslationClient(emulator.endpoint, key=emulator.key, clock=clock, on_event=hook) as c:
        assert (await c.wait_for_completion(batch_id)).is_terminal
    assert repr(hook) == "OpenTelemetryHook()"
