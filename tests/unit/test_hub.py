"""Unit tests of the poll hub through a scripted transport on a virtual clock: the round's plan (pure), one
stream per batch, each waiter's own deadline, the schedule from the batch's age, and which ids are coalesced."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from doctrans_async import DocumentTranslationClient
from doctrans_async._clock import Deadline, VirtualClock
from doctrans_async._errors import NotFoundError, PollingTimeoutError, TransportError
from doctrans_async._hub import MAX_IDS, plan_round
from doctrans_async._models import BatchStatus, Status
from doctrans_async._sansio import Request, Response
from doctrans_async._versions import ApiVersion
from tests.support import ENDPOINT, FakeTransport, batch_body, client_over, error_response, page_response, respond
from tests.unit.test_polling import poll

A = "11111111-1111-1111-1111-111111111111"
B = "22222222-2222-2222-2222-222222222222"
BASE = f"{ENDPOINT}/translator/document/batches"
VERSION = "api-version=2024-05-01"


def status_url(batch_id: str) -> str:
    return f"{BASE}/{batch_id}?{VERSION}"


# --- the plan of a round (pure) -------------------------------------------------------------------------------


def test_a_round_groups_coalescable_ids_by_the_limit_and_sends_the_rest_alone() -> None:
    """Coalescable items go in groups of at most MAX_IDS, in order; the others, and a group of one, alone."""
    items = [f"u{n}" for n in range(2 * MAX_IDS + 1)] + ["odd"]
    groups = plan_round(items, lambda item: item.startswith("u"))
    assert groups == [items[:MAX_IDS], items[MAX_IDS : 2 * MAX_IDS], [items[2 * MAX_IDS]], ["odd"]]
    assert plan_round(["u1"], lambda item: True) == [["u1"]]
    assert plan_round([], lambda item: True) == []


# --- one stream per batch -------------------------------------------------------------------------------------


async def test_waits_on_one_batch_share_each_request(fake: FakeTransport, clock: VirtualClock) -> None:
    """Five waits on one batch: every status is fetched once and given to each of them."""
    script = [poll(Status.NOT_STARTED), poll(done=4), poll(Status.SUCCEEDED, done=10)]
    fake.add(*script)
    client = client_over(fake, clock)
    finals = await asyncio.gather(*(client.wait_for_completion("b1") for _ in range(5)))
    assert len(fake.sent) == 3
    assert {final.status for final in finals} == {Status.SUCCEEDED}


async def test_a_short_deadline_does_not_cut_the_request_for_the_others(clock: VirtualClock) -> None:
    """A poll that takes 10 s: the waiter with 5 s times out at 5 s (the poll in flight as its cause); the one
    without a deadline gets the status from that same request, which was sent with no deadline."""

    async def slow(request: Request, deadline: Deadline) -> Response:
        await clock.sleep(10)
        return poll(Status.SUCCEEDED, done=10)

    fake = FakeTransport(slow)
    client = client_over(fake, clock)
    short, patient = await asyncio.gather(
        client.wait_for_completion("b1", timeout=5), client.wait_for_completion("b1"), return_exceptions=True
    )
    assert isinstance(short, PollingTimeoutError)
    assert isinstance(short.__cause__, TransportError)
    assert not isinstance(patient, BaseException)
    assert patient.status is Status.SUCCEEDED
    assert [deadline.at for _, deadline in fake.sent] == [None]


async def test_a_404_is_every_waiters_own_error(fake: FakeTransport, clock: VirtualClock) -> None:
    """A failure no retry cures reaches each waiter of the batch as its own exception object."""
    fake.add(error_response(404))
    client = client_over(fake, clock)
    errors = await asyncio.gather(*(client.wait_for_completion("b1") for _ in range(3)), return_exceptions=True)
    assert all(isinstance(error, NotFoundError) for error in errors)
    assert len({id(error) for error in errors}) == 3
    assert len(fake.sent) == 1


async def test_a_late_waiter_gets_the_latest_status_at_once(fake: FakeTransport, clock: VirtualClock) -> None:
    """A wait that joins a running stream starts from the status the stream already has, with no request."""
    fake.add(poll(done=1), poll(Status.SUCCEEDED, done=10))
    client = client_over(fake, clock)
    statuses = client.watch("b1")
    first = await anext(statuses)
    seen: list[BatchStatus] = []
    late = asyncio.create_task(client.wait_for_completion("b1", on_status=seen.append))
    await asyncio.sleep(0)
    assert seen == [first]
    assert len(fake.sent) == 1
    rest = [status async for status in statuses]
    assert (await late) == rest[-1]
    assert len(fake.sent) == 2


# --- the schedule follows the batch ---------------------------------------------------------------------------


async def test_an_old_batch_starts_with_slow_polls(fake: FakeTransport) -> None:
    """A wait that starts an hour into a batch waits the age floor's 30 s (the cap) at once, not 1 s."""
    clock = VirtualClock(datetime(2026, 1, 1, 1, tzinfo=UTC))  # the polled batch was created at 00:00
    fake.add(poll(), poll(Status.SUCCEEDED, done=10))
    await client_over(fake, clock).wait_for_completion("b1")
    assert clock.sleeps == [30.0]


async def test_a_batch_created_in_the_future_counts_as_new(fake: FakeTransport) -> None:
    """A service clock ahead of ours (created_at after now) is an age of 0, not a negative one."""
    clock = VirtualClock(datetime(2025, 12, 31, tzinfo=UTC))
    fake.add(poll(), poll(Status.SUCCEEDED, done=10))
    await client_over(fake, clock).wait_for_completion("b1")
    assert clock.sleeps == [1.0]


# --- which ids share a request --------------------------------------------------------------------------------


async def test_uuid_ids_share_a_listing_and_other_ids_are_polled_alone(
    fake: FakeTransport, clock: VirtualClock
) -> None:
    """Two UUID ids due together are one listing request; an id that is not a UUID is polled with its own GET."""
    fake.script(
        f"{BASE}?maxpagesize=2&ids={A},{B}&{VERSION}",
        page_response(
            [batch_body("Succeeded", batch_id=A, success=4), batch_body("Succeeded", batch_id=B, success=4)], None
        ),
    )
    fake.script(status_url("not-a-uuid"), respond(200, batch_body("Succeeded", batch_id="not-a-uuid", success=4)))
    outcomes = await client_over(fake, clock).wait_all([A, B, "not-a-uuid"])
    assert [outcome.status and outcome.status.status for outcome in outcomes] == [Status.SUCCEEDED] * 3
    assert sorted(fake.urls) == sorted([f"{BASE}?maxpagesize=2&ids={A},{B}&{VERSION}", status_url("not-a-uuid")])


async def test_a_batch_the_listing_does_not_return_falls_back_to_its_own_get(
    fake: FakeTransport, clock: VirtualClock
) -> None:
    """A listing that leaves a batch out: that batch's own GET follows, and its 404 is its outcome alone."""
    fake.script(
        f"{BASE}?maxpagesize=2&ids={A},{B}&{VERSION}", page_response([batch_body("Succeeded", batch_id=A)], None)
    )
    fake.script(status_url(B), error_response(404))
    outcomes = await client_over(fake, clock).wait_all([A, B])
    assert outcomes[0].status is not None
    assert outcomes[0].status.status is Status.SUCCEEDED
    assert isinstance(outcomes[1].error, NotFoundError)
    assert fake.urls[-1] == status_url(B)


async def test_a_listing_refused_mid_way_keeps_the_statuses_it_got(fake: FakeTransport, clock: VirtualClock) -> None:
    """The listing's first page names A, then links off the endpoint (refused): A's status is the one that page
    gave (A is not asked about again); only B, which the listing never named, is polled on its own."""
    fake.script(
        f"{BASE}?maxpagesize=2&ids={A},{B}&{VERSION}",
        page_response([batch_body("Succeeded", batch_id=A)], "https://elsewhere.example/translator/batches?p=2"),
    )
    fake.script(status_url(B), respond(200, batch_body("Succeeded", batch_id=B)))
    outcomes = await client_over(fake, clock).wait_all([A, B])
    assert [outcome.status and outcome.status.status for outcome in outcomes] == [Status.SUCCEEDED] * 2
    assert fake.urls == [f"{BASE}?maxpagesize=2&ids={A},{B}&{VERSION}", status_url(B)]


async def test_a_shared_listing_runs_while_any_of_its_batches_is_waited_on(clock: VirtualClock) -> None:
    """One listing serves the waits on A and B: the wait on A leaving does not cut it (B still needs it); the
    wait on B leaving too cancels it, rather than leave it running (and retrying) for nobody."""
    answer, cancelled = asyncio.Event(), asyncio.Event()

    async def listing(request: Request, deadline: Deadline) -> Response:
        try:
            await answer.wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return page_response([batch_body("Succeeded", batch_id=A), batch_body("Succeeded", batch_id=B)], None)

    for leaving in ([A], [A, B]):
        answer.clear()
        cancelled.clear()
        fake = FakeTransport(listing)
        client = client_over(fake, clock)
        waits = {batch_id: asyncio.create_task(client.wait_for_completion(batch_id)) for batch_id in (A, B)}
        for _ in range(20):
            await asyncio.sleep(0)
        assert [request.url for request in fake.requests] == [f"{BASE}?maxpagesize=2&ids={A},{B}&{VERSION}"]
        for batch_id in leaving:
            waits.pop(batch_id).cancel()
        for _ in range(10):
            await asyncio.sleep(0)
        assert cancelled.is_set() is (leaving == [A, B])
        answer.set()
        for wait in waits.values():
            assert (await wait).status is Status.SUCCEEDED
        assert len(fake.sent) == 1
        await client.close()


async def test_a_shared_listing_cancelled_from_outside_leaves_no_stream_in_flight(clock: VirtualClock) -> None:
    """Whoever cancels a shared listing (a loop tearing its tasks down, say), its batches are not left marked in
    flight, which would never be polled again: the waits go on, with a new listing."""
    gate = asyncio.Event()

    async def listing(request: Request, deadline: Deadline) -> Response:
        await gate.wait()
        return page_response([batch_body("Succeeded", batch_id=A), batch_body("Succeeded", batch_id=B)], None)

    client = client_over(FakeTransport(fallback=listing), clock)
    waits = [asyncio.create_task(client.wait_for_completion(batch_id)) for batch_id in (A, B)]
    for _ in range(20):
        await asyncio.sleep(0)
    (task,) = client._hub._tasks
    task.cancel()
    for _ in range(20):
        await asyncio.sleep(0)
    gate.set()
    _, pending = await asyncio.wait(waits, timeout=10)  # real seconds, spent only if the waits hang (the bug)
    assert not pending
    assert [wait.result().status for wait in waits] == [Status.SUCCEEDED] * 2
    await client.close()


@pytest.mark.parametrize("version", [ApiVersion.V1_0_PREVIEW_1])
async def test_a_version_without_filters_polls_each_alone(
    fake: FakeTransport, clock: VirtualClock, version: ApiVersion
) -> None:
    """v1.0-preview.1's listing has no ids filter: each batch is its own GET."""
    fake.add(*(respond(200, batch_body("Succeeded", batch_id=batch_id)) for batch_id in (A, B)))
    client = DocumentTranslationClient(ENDPOINT, transport=fake, clock=clock, api_version=version)
    await client.wait_all([A, B])
    assert all("ids=" not in url for url in fake.urls)
    assert len(fake.urls) == 2
