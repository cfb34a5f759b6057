"""Fault injection: every kind, scripted per route or drawn at random with a seed."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp
import pytest
from yarl import URL

from doctrans_async._clock import VirtualClock
from doctrans_async.emulator import Fault, FaultKind

from . import KEY, Probe, serve


def _page_url(probe: Probe, batch_id: str, version: str = "v1.0") -> str:
    return probe.url(version, f"/batches/{batch_id}/documents")


@pytest.mark.parametrize(
    ("fault", "code", "header", "value"),
    [
        (Fault.http(429, retry_after=1), "RequestRateTooHigh", "Retry-After", "1"),
        (Fault.http(429, retry_after=1.5), "RequestRateTooHigh", "Retry-After", "1.5"),
        (
            Fault.http(429, retry_after="Wed, 21 Oct 2026 07:28:00 GMT"),
            "RequestRateTooHigh",
            "Retry-After",
            "Wed, 21 Oct 2026 07:28:00 GMT",
        ),
        (Fault.http(503, retry_after_ms=250), "ServiceUnavailable", "retry-after-ms", "250"),
        (Fault.http(500), "InternalServerError", "Retry-After", None),
        (Fault.http(502), "BadGateway", "Retry-After", None),
    ],
    ids=["429-seconds", "429-fraction", "429-date", "503-ms", "500", "502-json"],
)
async def test_http_faults_send_the_status_the_error_body_and_retry_after(
    fault: Fault, code: str, header: str, value: str | None
) -> None:
    """An HTTP fault answers its status with the service's error body, request id and the Retry-After asked for."""
    async with serve() as probe:
        probe.emulator.faults.script("status", [fault])
        answer = await probe.get(probe.emulator.batch_url(probe.emulator.add_batch()))
    assert answer.status == fault.status
    assert answer.json()["error"]["code"] == code
    assert set(answer.json()["error"]) == {"code", "message", "target", "innerError"}
    assert answer.headers.get(header) == value
    assert "apim-request-id" in answer.headers


async def test_a_script_is_served_in_order_then_normal_service_resumes() -> None:
    """script(route, [...]) gives the next requests those outcomes in order (None: normal), then normal again."""
    async with serve() as probe:
        url = probe.emulator.batch_url(probe.emulator.add_batch())
        probe.emulator.faults.script("status", [Fault.http(503), None, Fault.http(429)])
        statuses = [(await probe.get(url)).status for _ in range(4)]
        pending = probe.emulator.faults.pending("status")
    assert statuses == [503, 200, 429, 200]
    assert pending == 0


async def test_a_routes_own_script_goes_before_the_wildcard_one() -> None:
    """A route's script is used before the '*' script, which serves whichever route comes next."""
    async with serve() as probe:
        batch_id = probe.emulator.add_batch()
        probe.emulator.faults.script("*", [Fault.http(500)])
        probe.emulator.faults.script("status", [Fault.http(503)])
        status = await probe.get(probe.emulator.batch_url(batch_id))
        documents = await probe.get(_page_url(probe, batch_id))
        again = await probe.get(probe.emulator.batch_url(batch_id))
    assert [status.status, documents.status, again.status] == [503, 500, 200]


async def test_a_faulted_page_request_changes_nothing() -> None:
    """After faulted requests, the same URL gives the same page (same body and ETag) as before them."""
    async with serve(clock=VirtualClock(), page_size=2) as probe:
        url = _page_url(probe, probe.emulator.add_batch(documents=5))
        before = await probe.get(url)
        probe.emulator.faults.script("documents", [Fault.http(503, retry_after=1), Fault.truncated()])
        faulted = [(await probe.get(url)).status for _ in range(2)]
        after = await probe.get(url)
    assert faulted == [503, 200]
    assert after.text == before.text
    assert after.headers["ETag"] == before.headers["ETag"]


async def test_drop_closes_the_connection_without_a_response() -> None:
    """A drop fault closes the connection before a single byte of response is written."""
    async with serve() as probe:
        batch_id = probe.emulator.add_batch()
        probe.emulator.faults.script("status", [Fault.drop()])
        reader, writer = await asyncio.open_connection("127.0.0.1", probe.emulator.port)
        path = URL(probe.emulator.batch_url(batch_id)).raw_path_qs
        writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\nOcp-Apim-Subscription-Key: {KEY}\r\n\r\n".encode())
        await writer.drain()
        received = await reader.read()
        writer.close()
        await writer.wait_closed()
        record = probe.emulator.requests[-1]
    assert received == b""
    assert record.status is None
    assert record.fault is FaultKind.DROP


async def test_two_drops_defeat_aiohttps_single_silent_retry() -> None:
    """aiohttp retries an idempotent request once on a dropped connection; two drops reach the caller."""
    async with serve() as probe:
        url = probe.emulator.batch_url(probe.emulator.add_batch())
        probe.emulator.faults.script("status", [Fault.drop(), Fault.drop()])
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await probe.get(url)
        statuses = [r.status for r in probe.emulator.requests]
    assert statuses == [None, None]


async def test_slow_waits_in_real_time_then_serves() -> None:
    """A slow fault delays the normal answer by the given real seconds."""
    async with serve() as probe:
        url = probe.emulator.batch_url(probe.emulator.add_batch())
        probe.emulator.faults.script("status", [Fault.slow(0.05)])
        started = time.perf_counter()
        answer = await probe.get(url)
        elapsed = time.perf_counter() - started
    assert answer.status == 200
    assert elapsed >= 0.05


async def test_truncated_sends_half_the_json_body() -> None:
    """A truncated fault sends 200 with the first half of the real body: JSON that does not parse."""
    async with serve(clock=VirtualClock()) as probe:
        url = probe.emulator.batch_url(probe.emulator.add_batch())
        probe.emulator.faults.script("status", [Fault.truncated()])
        cut, whole = await probe.get(url), await probe.get(url)
    assert cut.status == 200
    assert cut.headers["Content-Type"] == "application/json; charset=utf-8"
    assert whole.text.startswith(cut.text)
    assert len(cut.text) == len(whole.text) // 2
    with pytest.raises(json.JSONDecodeError):
        cut.json()


@pytest.mark.parametrize(
    ("fault", "status", "content_type"),
    [
        (Fault.not_json(), 200, "text/plain; charset=utf-8"),
        (Fault.empty(), 200, "application/json; charset=utf-8"),
        (Fault.html_502(), 502, "text/html; charset=utf-8"),
    ],
    ids=["not-json", "empty", "html-502"],
)
async def test_body_faults_send_what_is_not_a_service_json_body(fault: Fault, status: int, content_type: str) -> None:
    """not_json, empty and html_502 answer a body no JSON parser accepts, with the content type they claim."""
    async with serve() as probe:
        probe.emulator.faults.script("status", [fault])
        answer = await probe.get(probe.emulator.batch_url(probe.emulator.add_batch()))
    assert answer.status == status
    assert answer.headers["Content-Type"] == content_type
    with pytest.raises(json.JSONDecodeError):
        answer.json()
    if fault.kind is FaultKind.HTML_502:
        assert "<h1>502 Bad Gateway</h1>" in answer.text


async def test_repeated_next_link_points_at_the_page_itself() -> None:
    """repeat_next_link makes the page's next link its own URL; following it gives the page again, normally."""
    async with serve(page_size=2) as probe:
        url = _page_url(probe, probe.emulator.add_batch(documents=5))
        probe.emulator.faults.script("documents", [Fault.repeat_next_link()])
        looped = await probe.get(url)
        again = await probe.get(looped.json()["@nextLink"])
    assert looped.json()["@nextLink"] == url
    assert again.json()["value"] == looped.json()["value"]
    assert again.json()["@nextLink"] != url


async def test_foreign_next_link_moves_the_link_to_another_loopback_origin() -> None:
    """foreign_next_link keeps the link's path and query but names http://127.0.0.2:<port>."""
    async with serve(page_size=2) as probe:
        url = _page_url(probe, probe.emulator.add_batch(documents=5))
        normal = (await probe.get(url)).json()["@nextLink"]
        probe.emulator.faults.script("documents", [Fault.foreign_next_link()])
        foreign = (await probe.get(url)).json()["@nextLink"]
    assert foreign == normal.replace("127.0.0.1", "127.0.0.2")


async def test_a_client_following_a_foreign_link_is_seen_with_its_credentials() -> None:
    """Where 127.0.0.2 can be served, a request that follows a foreign link is logged, with credentials if sent."""
    async with serve(page_size=2) as probe:
        url = _page_url(probe, probe.emulator.add_batch(documents=5))
        probe.emulator.faults.script("documents", [Fault.foreign_next_link()])
        foreign = (await probe.get(url)).json()["@nextLink"]
        try:
            await probe.get(foreign)
        except aiohttp.ClientConnectionError:
            pytest.skip("127.0.0.2 is not a usable loopback address here")
        leak = probe.emulator.requests[-1]
    assert leak.host == f"127.0.0.2:{probe.emulator.port}"
    assert leak.sent_credentials
    assert leak.headers["Ocp-Apim-Subscription-Key"] == "REDACTED"


async def test_cycle_next_link_makes_page_b_link_back_to_page_a() -> None:
    """cycle_next_link on page A keeps A → B but makes B link back to A, so following links loops A, B, A, B."""
    async with serve(page_size=2) as probe:
        url = _page_url(probe, probe.emulator.add_batch(documents=6))
        probe.emulator.faults.script("documents", [Fault.cycle_next_link()])
        visited = [url]
        for _ in range(4):
            visited.append((await probe.get(visited[-1])).json()["@nextLink"])
        probe.emulator.faults.clear()
        b_after_clear = (await probe.get(visited[1])).json()["@nextLink"]
    assert visited[0] == visited[2] == visited[4]
    assert visited[1] == visited[3] != visited[0]
    assert b_after_clear not in visited


async def test_random_faults_are_deterministic_for_a_seed() -> None:
    """random(rate, seed) faults the same requests with the same kinds each time, for one request order."""
    runs: list[list[Any]] = []
    for _ in range(2):
        async with serve() as probe:
            url = probe.emulator.batch_url(probe.emulator.add_batch())
            probe.emulator.faults.random(rate=0.5, seed=7, kinds=[Fault.http(503), Fault.http(429)])
            runs.append([(await probe.get(url)).status for _ in range(30)])
    assert runs[0] == runs[1]
    assert {200, 503, 429} <= set(runs[0])


async def test_random_faults_stay_on_their_routes() -> None:
    """random(routes=[...]) faults only those routes."""
    async with serve() as probe:
        batch_id = probe.emulator.add_batch()
        probe.emulator.faults.random(rate=1.0, seed=1, routes=["documents"])
        status = await probe.get(probe.emulator.batch_url(batch_id))
        probe.emulator.faults.script("documents", [None])
        spared = await probe.get(_page_url(probe, batch_id))
        faulted = [r.fault for r in probe.emulator.requests]
    assert status.status == 200
    assert spared.status == 200
    assert faulted == [None, None]


def test_unknown_routes_and_impossible_faults_are_refused() -> None:
    """Scripting an unknown route, a non-error status, a negative delay or a rate above 1 is a ValueError."""
    from doctrans_async.emulator import Emulator

    faults = Emulator().faults
    with pytest.raises(ValueError, match="unknown route"):
        faults.script("everything", [None])
    with pytest.raises(ValueError, match="4xx or 5xx"):
        Fault.http(200)
    with pytest.raises(ValueError, match="delay"):
        Fault.slow(-1)
    with pytest.raises(ValueError, match="probability"):
        faults.random(rate=2)
