"""Polling at scale against the emulator, counted from its request log: one poll stream per batch per client,
many batches per listing request (``GET /batches?ids=...``), each waiter with its own deadline, outcome and
cancellation, and nothing polled once the last waiter has gone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

import doctrans_async as dt
from doctrans_async.emulator import Emulator, Fault, RequestRecord

UNKNOWN = "00000000-0000-0000-0000-000000000000"


@pytest.fixture
async def service(clock: dt.VirtualClock) -> AsyncIterator[Emulator]:
    """The emulator with the real page size (50), so one listing request answers up to 25 ids in one page."""
    async with Emulator(clock=clock, seed=3) as emu:
        yield emu


def client_of(emulator: Emulator, clock: dt.VirtualClock, **options: object) -> dt.DocumentTranslationClient:
    return dt.DocumentTranslationClient(emulator.endpoint, key=emulator.key, clock=clock, **options)  # type: ignore[arg-type]


class Answered:
    """An on_event hook whose ``count(n)`` returns once ``n`` requests have been answered."""

    def __init__(self) -> None:
        self.seen = 0
        self._changed = asyncio.Condition()

    def __call__(self, event: dt.Event) -> None:
        if isinstance(event, dt.RequestEvent):
            self.seen += 1
            asyncio.get_running_loop().create_task(self._notify())

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def count(self, n: int) -> None:
        async with self._changed:
            await self._changed.wait_for(lambda: self.seen >= n)


def polls(emulator: Emulator) -> list[RequestRecord]:
    """Every status request the emulator saw: single-batch GETs and batch listings."""
    return [record for record in emulator.requests if record.route in ("status", "batches")]


def listings(emulator: Emulator) -> list[RequestRecord]:
    return [record for record in emulator.requests if record.route == "batches"]


async def one_wait_costs(emulator: Emulator, clock: dt.VirtualClock, **batch: object) -> int:
    """The status requests one wait on a fresh batch of this shape sends, alone."""
    batch_id = emulator.add_batch(**batch)  # type: ignore[arg-type]
    emulator.reset_log()
    async with client_of(emulator, clock) as client:
        await client.wait_for_completion(batch_id)
    cost = len(polls(emulator))
    emulator.reset_log()
    return cost


async def test_twenty_waits_on_one_batch_cost_one(service: Emulator, clock: dt.VirtualClock) -> None:
    """Twenty concurrent waits on a batch send what one sends, and each gets the terminal status."""
    alone = await one_wait_costs(service, clock, documents=4, seconds=600)
    batch_id = service.add_batch(documents=4, seconds=600)
    service.reset_log()
    async with client_of(service, clock) as client:
        finals = await asyncio.gather(*(client.wait_for_completion(batch_id) for _ in range(20)))
    assert {final.status for final in finals} == {dt.Status.SUCCEEDED}
    assert len(polls(service)) == alone
    assert listings(service) == []  # one batch: its own GET, never a listing


async def test_each_waiter_keeps_its_own_deadline_and_callback(service: Emulator, clock: dt.VirtualClock) -> None:
    """A waiter with a short deadline times out alone; the others, sharing its stream, go on to the end, each
    callback seeing the statuses fetched while its wait was on, and the short deadline cut no request."""
    batch_id = service.add_batch(documents=4, seconds=600)
    seen: dict[str, list[dt.BatchStatus]] = {"short": [], "long": []}
    async with client_of(service, clock) as client:
        short = client.wait_for_completion(batch_id, timeout=20, on_status=seen["short"].append)
        long = client.wait_for_completion(batch_id, timeout=3600, on_status=seen["long"].append)
        forever = client.wait_for_completion(batch_id)
        results = await asyncio.gather(short, long, forever, return_exceptions=True)
    timed_out, final, also = results
    assert isinstance(timed_out, dt.PollingTimeoutError)
    assert timed_out.last_status is seen["short"][-1]
    assert isinstance(final, dt.BatchStatus)
    assert final.status is dt.Status.SUCCEEDED
    assert also == final
    assert seen["long"][: len(seen["short"])] == seen["short"]
    assert seen["long"][-1] == final
    assert all(record.route == "status" for record in polls(service))


async def test_cancelling_one_waiter_leaves_the_others(service: Emulator, clock: dt.VirtualClock) -> None:
    """A cancelled wait ends CancelledError; the others on the same batch still get its terminal status, at the
    cost of one wait."""
    alone = await one_wait_costs(service, clock, documents=3, seconds=300)
    batch_id = service.add_batch(documents=3, seconds=300)
    service.reset_log()
    answered = Answered()
    async with client_of(service, clock, on_event=answered) as client:
        waits = [asyncio.create_task(client.wait_for_completion(batch_id)) for _ in range(3)]
        await answered.count(1)
        waits[1].cancel()
        done = await asyncio.gather(*waits, return_exceptions=True)
    assert isinstance(done[1], asyncio.CancelledError)
    assert [final.status for final in (done[0], done[2])] == [dt.Status.SUCCEEDED] * 2  # type: ignore[union-attr]
    assert len(polls(service)) == alone


async def test_nothing_is_polled_after_the_last_waiter_leaves(service: Emulator, clock: dt.VirtualClock) -> None:
    """Once every wait on a batch is cancelled, its stream stops: virtual hours pass with no request."""
    batch_ids = [service.add_batch(documents=2, seconds=7200) for _ in range(3)]
    answered = Answered()
    async with client_of(service, clock, on_event=answered) as client:
        waits = [asyncio.create_task(client.wait_for_completion(batch_id)) for batch_id in [*batch_ids, batch_ids[0]]]
        await answered.count(2)  # two rounds of polls have come back
        for wait in waits:
            wait.cancel()
        await asyncio.gather(*waits, return_exceptions=True)
        sent = len(service.requests)
        for _ in range(100):
            await clock.sleep(60)
            await asyncio.sleep(0)
        assert len(service.requests) == sent
        assert client._hub.idle


@pytest.mark.parametrize("api_version", ["v1.0", "2024-05-01", "2026-03-01"])
async def test_a_missing_batch_among_a_hundred_is_its_own_not_found(
    service: Emulator, clock: dt.VirtualClock, api_version: str
) -> None:
    """100 batches are polled 25 to a listing request; the one the listings never return falls back to its own
    GET, whose 404 is a NotFoundError for it alone; the other 99 succeed."""
    batch_ids = [service.add_batch(documents=2, seconds=60 + n) for n in range(99)]
    batch_ids.insert(37, UNKNOWN)
    async with client_of(service, clock, api_version=api_version) as client:
        outcomes = await client.wait_all(batch_ids, concurrency=100)
    by_id = {outcome.batch_id: outcome for outcome in outcomes}
    assert isinstance(by_id[UNKNOWN].error, dt.NotFoundError)
    assert by_id[UNKNOWN].status is None
    assert all(getattr(by_id[b].status, "status", None) is dt.Status.SUCCEEDED for b in batch_ids[38:])
    # Its own GET, once; the few other GETs are the last rounds, where one batch was left due alone.
    singles = [record.path.rsplit("/", 1)[1] for record in polls(service) if record.route == "status"]
    assert singles.count(UNKNOWN) == 1
    assert len(singles) < 10
    first_round = listings(service)[:4]
    assert sorted(len(record.query["ids"].split(",")) for record in first_round) == [25, 25, 25, 25]
    assert all(len(record.query["ids"].split(",")) <= 25 for record in listings(service))


async def test_many_batches_take_few_requests_per_round(service: Emulator, clock: dt.VirtualClock) -> None:
    """200 batches waited at once cost at most 9 requests per round (8 listings of 25), not 200 (the benchmark
    runs 1,000; the emulator's listing, not the client, makes that slow for the suite)."""
    batch_ids = [service.add_batch(documents=1, seconds=120) for _ in range(200)]
    async with client_of(service, clock) as client:
        outcomes = await client.wait_all(batch_ids, concurrency=200)
    assert all(outcome.status is not None for outcome in outcomes)
    polled = sum(len(record.query["ids"].split(",")) for record in listings(service))
    rounds = polled / 200  # every batch is in every round until it ends
    assert rounds >= 3
    assert len(polls(service)) / rounds <= 9


async def test_the_coalesced_listing_is_retried_on_503(service: Emulator, clock: dt.VirtualClock) -> None:
    """A listing answered 503 is sent again (the pipeline's retry), not split into per-batch requests."""
    batch_ids = [service.add_batch(documents=2, seconds=30) for _ in range(5)]
    service.faults.script("batches", [Fault.http(503, retry_after=1)])
    async with client_of(service, clock) as client:
        outcomes = await client.wait_all(batch_ids)
    assert all(outcome.status is not None for outcome in outcomes)
    first, resent = listings(service)[:2]
    assert first.query == resent.query
    assert [record for record in polls(service) if record.route == "status"] == []


async def test_a_listing_that_keeps_failing_falls_back_to_each_batch(service: Emulator, clock: dt.VirtualClock) -> None:
    """When every attempt at a listing fails, each batch is polled with its own requests; none fails for it."""
    batch_ids = [service.add_batch(documents=2, seconds=30) for _ in range(4)]
    service.faults.script("batches", [Fault.http(500)] * 5)
    async with client_of(service, clock, retry=dt.RetryPolicy(max_attempts=5)) as client:
        outcomes = await client.wait_all(batch_ids)
    assert [outcome.status is not None and outcome.status.status for outcome in outcomes] == [dt.Status.SUCCEEDED] * 4
    assert len(listings(service)) == 5
    assert {record.path.rsplit("/", 1)[1] for record in polls(service) if record.route == "status"} == set(batch_ids)


async def test_v1_preview_polls_each_batch_alone(service: Emulator, clock: dt.VirtualClock) -> None:
    """v1.0-preview.1's listing has no filters: each batch is polled with its own GET."""
    batch_ids = [service.add_batch(documents=2, seconds=30) for _ in range(3)]
    async with client_of(service, clock, api_version="v1.0-preview.1") as client:
        await client.wait_all(batch_ids)
    assert listings(service) == []
    assert {record.path.rsplit("/", 1)[1] for record in polls(service)} == set(batch_ids)


async def test_poll_events_say_which_batches_a_request_served(service: Emulator, clock: dt.VirtualClock) -> None:
    """A coalesced listing's PollEvents name every batch it served; a lone GET's names its batch alone."""
    events: list[dt.PollEvent] = []
    batch_ids = [service.add_batch(documents=2, seconds=30) for _ in range(3)]

    def on_event(event: dt.Event) -> None:
        if isinstance(event, dt.PollEvent):
            events.append(event)

    async with client_of(service, clock, on_event=on_event) as client:
        await client.wait_all(batch_ids)
        together, events[:] = events[:], []
        lone = service.add_batch(documents=2, seconds=30)
        await client.wait_for_completion(lone)
    first_round = together[:3]
    assert sorted(event.batch_id for event in first_round) == sorted(batch_ids)
    assert all(sorted(event.batches) == sorted(batch_ids) for event in first_round)
    assert events
    assert {event.batches for event in events} == {(lone,)}


async def test_a_wait_in_slices_costs_about_one_whole_wait(service: Emulator, clock: dt.VirtualClock) -> None:
    """The schedule follows the batch's age: waiting on a one-hour batch 60 s at a time (a long-poll route) costs
    at most 1.2 times one wait for the whole hour, not a fresh fast start per slice."""
    whole = await one_wait_costs(service, clock, documents=10, seconds=3600)
    batch_id = service.add_batch(documents=10, seconds=3600)
    service.reset_log()
    async with client_of(service, clock) as client:
        while True:
            try:
                await client.wait_for_completion(batch_id, timeout=60)
                break
            except dt.PollingTimeoutError:
                continue
    assert len(polls(service)) <= 1.2 * whole


@pytest.mark.parametrize("call", ["wait_all", "as_completed"])
async def test_timeout_ends_a_fan_out_whose_source_has_no_more_ids(
    service: Emulator, clock: dt.VirtualClock, call: str
) -> None:
    """An async source with no id for now (an empty queue) held wait_all and as_completed open past timeout=;
    now the call ends at its deadline with the outcomes it has (here the one batch's timeout)."""
    batch_id = service.add_batch(documents=1, seconds=86_400)

    async def arriving() -> AsyncIterator[str]:
        yield batch_id
        clock.advance(3_600)  # time passes while the source has nothing more to give
        await asyncio.Event().wait()
        yield "never"

    async with client_of(service, clock) as client:
        if call == "wait_all":
            fan_out = client.wait_all(arriving(), timeout=60)
        else:
            fan_out = collect(client.as_completed(arriving(), timeout=60))
        # Real seconds only to fail rather than hang without the fix: the call ends at once on virtual time.
        [outcome] = await asyncio.wait_for(fan_out, timeout=30)
    assert outcome.batch_id == batch_id
    assert isinstance(outcome.error, dt.PollingTimeoutError)


async def collect(outcomes: AsyncIterator[dt.BatchOutcome]) -> list[dt.BatchOutcome]:
    return [outcome async for outcome in outcomes]
