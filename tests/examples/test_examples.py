"""The examples, each run against the emulator on a virtual clock through the functions they expose."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator

import aiohttp
import pytest
import yarl

import doctrans_async as dt
from doctrans_async.emulator import Emulator
from examples import aiohttp_backend, queue_worker, wait_for_batch
from examples._service import service

UNKNOWN = "00000000-0000-0000-0000-000000000000"


@pytest.fixture
async def emulated(emulator: Emulator, clock: dt.VirtualClock) -> AsyncIterator[dt.DocumentTranslationClient]:
    """A client of the emulator (pages of 5) on the shared virtual clock."""
    async with dt.DocumentTranslationClient(emulator.endpoint, key=emulator.key, clock=clock) as client:
        yield client


@pytest.fixture
def service_env(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """DOCTRANS_ENDPOINT and DOCTRANS_KEY name the test's emulator, as they would a real resource."""
    monkeypatch.setenv("DOCTRANS_ENDPOINT", emulator.endpoint)
    monkeypatch.setenv("DOCTRANS_KEY", emulator.key)


# --- the shared service chooser ----------------------------------------------------------------------------


async def test_service_starts_an_emulator_when_no_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without DOCTRANS_ENDPOINT/KEY the examples get an in-process emulator with their batches seeded."""
    monkeypatch.delenv("DOCTRANS_ENDPOINT", raising=False)
    monkeypatch.delenv("DOCTRANS_KEY", raising=False)
    async with service(lambda emulator: [emulator.add_batch(documents=2, seconds=0)]) as (client, ids):
        assert (await client.get_status(ids[0])).status is dt.Status.SUCCEEDED
    assert "in-process emulator" in capsys.readouterr().out


# --- wait_for_batch ----------------------------------------------------------------------------------------


async def test_wait_for_batch_prints_progress_and_returns_the_final_status(
    emulator: Emulator, emulated: dt.DocumentTranslationClient
) -> None:
    """Each polled status becomes a progress line, and the final status is returned."""
    batch_id = emulator.add_batch(documents=10, seconds=60, failures=1)
    lines: list[str] = []
    final = await wait_for_batch.wait_for_batch(emulated, batch_id, timeout=600, out=lines.append)
    assert final is not None
    assert final.status is dt.Status.SUCCEEDED
    assert lines[0].startswith("NotStarted")
    assert "10/10 documents finished, 1 failed" in lines[-2]
    assert lines[-1] == f"batch {batch_id} ended Succeeded"


async def test_wait_for_batch_gives_up_at_the_deadline(
    emulator: Emulator, emulated: dt.DocumentTranslationClient, clock: dt.VirtualClock
) -> None:
    """Past the timeout it says so and returns None, having waited exactly the timeout."""
    batch_id = emulator.add_batch(documents=10, seconds=3600)
    lines: list[str] = []
    assert await wait_for_batch.wait_for_batch(emulated, batch_id, timeout=20, out=lines.append) is None
    assert lines[-1].startswith("gave up waiting")
    assert clock.monotonic() == pytest.approx(20)


@pytest.mark.usefixtures("service_env")
async def test_wait_for_batch_main_uses_the_configured_service(
    emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    """main waits on the batch id given, at the service the environment names, and exits 0 on success."""
    batch_id = emulator.add_batch(documents=3, seconds=0)
    assert await wait_for_batch.main([batch_id]) == 0
    assert f"batch {batch_id} ended Succeeded" in capsys.readouterr().out


# --- aiohttp_backend -----------------------------------------------------------------------------------------


class Backend:
    """The example's web app served on loopback, and a way to call it."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session = session
        self.url = url

    async def get(self, path: str) -> tuple[int, str, aiohttp.ClientResponse]:
        """GET ``path`` (sent as written: '%2E%2E' is not made a dot step): status, body text and the response."""
        async with self.session.get(yarl.URL(self.url + path, encoded=True)) as response:
            return response.status, await response.text(), response


@pytest.fixture
async def backend(emulated: dt.DocumentTranslationClient) -> AsyncIterator[Backend]:
    """The example's app, served by its own ``serve`` on a free port."""
    async with aiohttp_backend.serve(emulated) as url, aiohttp.ClientSession() as session:
        yield Backend(session, url)


async def test_backend_answers_a_batch_status(emulator: Emulator, backend: Backend) -> None:
    """GET /batches/{id} answers the status now as JSON, with wire status strings and ISO datetimes."""
    batch_id = emulator.add_batch(documents=4, seconds=0)
    status, text, _ = await backend.get(f"/batches/{batch_id}")
    assert status == 200
    body = json.loads(text)
    assert (body["id"], body["status"], body["summary"]["total"]) == (batch_id, "Succeeded", 4)
    assert body["created_at"].endswith("+00:00")


async def test_backend_streams_documents_as_json_lines(emulator: Emulator, backend: Backend) -> None:
    """GET /batches/{id}/documents streams one JSON line per document across the service's pages, chunked."""
    batch_id = emulator.add_batch(documents=13, seconds=0, failures=2)
    status, text, response = await backend.get(f"/batches/{batch_id}/documents")
    assert status == 200
    assert response.headers["Content-Type"] == "application/x-ndjson"
    assert response.headers.get("Transfer-Encoding") == "chunked"
    documents = [json.loads(line) for line in text.splitlines()]
    assert len(documents) == len({d["id"] for d in documents}) == 13
    assert sum(d["status"] == "Failed" for d in documents) == 2


async def test_backend_awaits_the_end_of_a_batch(emulator: Emulator, backend: Backend) -> None:
    """GET /batches/{id}/wait holds the request until the batch ends and answers its final status."""
    batch_id = emulator.add_batch(documents=8, seconds=45)
    status, text, _ = await backend.get(f"/batches/{batch_id}/wait?timeout=60")
    assert status == 200
    assert json.loads(text)["status"] == "Succeeded"


async def test_backend_wait_times_out_with_504(emulator: Emulator, backend: Backend) -> None:
    """A wait past its timeout answers 504 with the last status seen; a timeout that is not a number is a 400."""
    batch_id = emulator.add_batch(documents=8, seconds=3600)
    status, text, _ = await backend.get(f"/batches/{batch_id}/wait?timeout=10")
    assert status == 504
    assert json.loads(text)["last_status"]["id"] == batch_id
    assert (await backend.get(f"/batches/{batch_id}/wait?timeout=soon"))[0] == 400


@pytest.mark.parametrize("timeout", ["-1", "nan", "NaN", "inf", "-inf", "abc", "", "1e999"])
async def test_backend_wait_refuses_timeouts_that_are_not_seconds(
    emulator: Emulator, backend: Backend, caplog: pytest.LogCaptureFixture, timeout: str
) -> None:
    """/wait?timeout= negative, NaN, infinite or not a number answers 400 at once: no 500, no logged traceback."""
    batch_id = emulator.add_batch(documents=2, seconds=3600)
    status, text, _ = await backend.get(f"/batches/{batch_id}/wait?timeout={timeout}")
    assert (status, json.loads(text)) == (400, {"error": "timeout must be a number of seconds, 0 or more"})
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert emulator.requests == []


async def test_backend_wait_timeout_zero_is_one_look(emulator: Emulator, backend: Backend) -> None:
    """timeout=0 is a number of seconds: the batch is looked at and, not finished, answered with a 504."""
    batch_id = emulator.add_batch(documents=2, seconds=3600)
    assert (await backend.get(f"/batches/{batch_id}/wait?timeout=0"))[0] == 504


@pytest.mark.parametrize("batch_id", ["%2E%2E", "a%20b", "a%3Fb"])
@pytest.mark.parametrize("path", ["", "/documents", "/wait"])
async def test_backend_impossible_id_is_400(
    emulator: Emulator, backend: Backend, caplog: pytest.LogCaptureFixture, batch_id: str, path: str
) -> None:
    """An id the library refuses ('..', one with a space or '?') is the caller's 400, not a 500."""
    status, text, _ = await backend.get(f"/batches/{batch_id}{path}")
    assert status == 400
    assert "an id cannot" in json.loads(text)["error"]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert emulator.requests == []


@pytest.mark.parametrize("path", ["", "/documents", "/wait"])
async def test_backend_unknown_batch_is_404(backend: Backend, path: str) -> None:
    """Every route answers 404 for an unknown batch, the streaming one included (nothing sent before the check)."""
    status, text, _ = await backend.get(f"/batches/{UNKNOWN}{path}")
    assert status == 404
    assert json.loads(text) == {"error": f"no batch {UNKNOWN!r}"}


async def test_backend_service_failure_is_502(emulator: Emulator, clock: dt.VirtualClock) -> None:
    """A service error other than not-found (here a wrong key) is a 502 that does not show the key."""
    async with (
        dt.DocumentTranslationClient(emulator.endpoint, key="wrong-key-5f2a", clock=clock) as client,
        aiohttp_backend.serve(client) as url,
        aiohttp.ClientSession() as session,
        session.get(f"{url}/batches/{UNKNOWN}") as response,
    ):
        assert response.status == 502
        assert "401" in await response.text()
        assert "wrong-key-5f2a" not in await response.text()


# --- queue_worker ----------------------------------------------------------------------------------------


async def test_worker_reports_every_outcome_with_bounded_concurrency(
    emulator: Emulator, emulated: dt.DocumentTranslationClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every id gets exactly one outcome (errors included), never more than `concurrency` waits run at once."""
    running, peak = 0, 0
    wait = emulated.wait_for_completion

    async def counted(batch_id: str, *, timeout: float | None = None) -> dt.BatchStatus:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        try:
            return await wait(batch_id, timeout=timeout)
        finally:
            running -= 1

    monkeypatch.setattr(emulated, "wait_for_completion", counted)
    ids = queue_worker.seed(emulator)
    queue: queue_worker.BatchQueue = asyncio.Queue()
    for batch_id in [*ids, None]:
        queue.put_nowait(batch_id)
    reported: list[dt.BatchOutcome] = []
    outcomes = await queue_worker.work(emulated, queue, concurrency=2, report=reported.append)
    assert outcomes == reported
    assert sorted(o.batch_id for o in outcomes) == sorted(ids)
    assert peak == 2
    by_id = {o.batch_id: o for o in outcomes}
    assert isinstance(by_id[UNKNOWN].error, dt.NotFoundError)
    statuses = [o.status.status for o in outcomes if o.status is not None]
    assert statuses.count(dt.Status.VALIDATION_FAILED) == 1
    assert statuses.count(dt.Status.SUCCEEDED) == len(ids) - 2
    assert queue.empty()


async def test_worker_takes_ids_as_they_arrive(
    emulator: Emulator, emulated: dt.DocumentTranslationClient, clock: dt.VirtualClock
) -> None:
    """Ids put on the queue while the worker runs are waited on too; None stops it once they have ended."""
    queue: queue_worker.BatchQueue = asyncio.Queue()
    worker = asyncio.create_task(queue_worker.work(emulated, queue, concurrency=3, report=lambda _: None))
    ids = []
    for seconds in (30, 5, 60):
        ids.append(emulator.add_batch(documents=4, seconds=seconds))
        await queue.put(ids[-1])
        await clock.sleep(1)
    await queue.put(None)
    await queue.join()
    outcomes = await worker
    assert {o.batch_id for o in outcomes} == set(ids)
    assert all(o.status is not None and o.status.status is dt.Status.SUCCEEDED for o in outcomes)


async def test_worker_keeps_going_past_an_impossible_id(
    emulator: Emulator, emulated: dt.DocumentTranslationClient
) -> None:
    """An id the library refuses ('..') is that id's outcome (a ValueError); the worker waits on the others."""
    good = [emulator.add_batch(documents=2, seconds=seconds) for seconds in (5, 1)]
    queue: queue_worker.BatchQueue = asyncio.Queue()
    for batch_id in [good[0], "..", "a/b", good[1], None]:
        queue.put_nowait(batch_id)
    outcomes = await queue_worker.work(emulated, queue, concurrency=2, report=lambda _: None)
    by_id = {o.batch_id: o for o in outcomes}
    assert set(by_id) == {*good, "..", "a/b"}
    assert isinstance(by_id[".."].error, ValueError)
    assert isinstance(by_id["a/b"].error, ValueError)
    assert all(by_id[batch_id].status is not None for batch_id in good)
    assert queue_worker.describe(by_id[".."]) == "..: ValueError: an id cannot be '..'"
    assert queue.empty()


async def test_worker_refuses_zero_concurrency(emulated: dt.DocumentTranslationClient) -> None:
    """A concurrency below 1 is a ValueError, before any id is taken."""
    with pytest.raises(ValueError, match="concurrency"):
        await queue_worker.work(emulated, asyncio.Queue(), concurrency=0)


@pytest.mark.usefixtures("service_env")
async def test_worker_main_waits_on_the_ids_given(emulator: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    """main feeds the ids from its command line to the worker and prints one line per outcome."""
    ids = [emulator.add_batch(documents=2, seconds=0) for _ in range(3)]
    assert await queue_worker.main([*ids, UNKNOWN, "--concurrency", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4
    assert sum("Succeeded (2 succeeded, 0 failed of 2)" in line for line in lines) == 3
