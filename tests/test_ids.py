"""Ids that cannot be ids are refused with ValueError before anything is sent, wherever an id is taken."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import doctrans_async as dt
from doctrans_async._sansio import check_id
from doctrans_async.emulator import Emulator

IMPOSSIBLE = ["", ".", "..", "a/b", "../x", "a?b", "a#b", "a b", " ", "a\tb", "a\nb", "a\u3000b", "a\x00b", "a\x85b"]
GOOD = "001f0a26-0000-0000-0000-000000000000"

Use = Callable[[dt.DocumentTranslationClient, str], Awaitable[Any]]


async def first_page(client: dt.DocumentTranslationClient, batch_id: str) -> Any:
    """The first page of the batch's document listing."""
    return await anext(client.iter_document_pages(batch_id))


async def every_document(client: dt.DocumentTranslationClient, batch_id: str) -> Any:
    """Every document of the batch."""
    return [d async for d in client.list_documents(batch_id)]


async def first_watched(client: dt.DocumentTranslationClient, batch_id: str) -> Any:
    """The first status watched."""
    return await anext(client.watch(batch_id))


async def filtered_documents(client: dt.DocumentTranslationClient, document_id: str) -> Any:
    """The documents of a good batch filtered by the id."""
    return [d async for d in client.list_documents(GOOD, ids=[document_id])]


async def filtered_batches(client: dt.DocumentTranslationClient, batch_id: str) -> Any:
    """The batches filtered by the id."""
    return [b async for b in client.list_batches(ids=["ok", batch_id])]


USES: dict[str, Use] = {
    "get_status": lambda c, i: c.get_status(i),
    "get_document_status batch": lambda c, i: c.get_document_status(i, GOOD),
    "get_document_status document": lambda c, i: c.get_document_status(GOOD, i),
    "cancel_translation": lambda c, i: c.cancel_translation(i),
    "wait_for_completion": lambda c, i: c.wait_for_completion(i, timeout=60),
    "watch": first_watched,
    "iter_document_pages": first_page,
    "list_documents": every_document,
    "list_documents ids=": filtered_documents,
    "list_batches ids=": filtered_batches,
}


@pytest.mark.parametrize("use", USES)
@pytest.mark.parametrize("impossible", IMPOSSIBLE, ids=repr)
async def test_impossible_ids_refused_before_sending(
    emulator: Emulator, clock: dt.VirtualClock, use: str, impossible: str
) -> None:
    """Each operation taking an id refuses an impossible one with ValueError, and sends nothing."""
    async with dt.DocumentTranslationClient(emulator.endpoint, key=emulator.key, clock=clock) as client:
        with pytest.raises(ValueError, match="id"):
            await USES[use](client, impossible)
    assert emulator.requests == []


async def test_comma_in_a_filtered_id_refused(emulator: Emulator, clock: dt.VirtualClock) -> None:
    """A comma would split one filtered id into two: refused there (a path segment may hold one)."""
    async with dt.DocumentTranslationClient(emulator.endpoint, key=emulator.key, clock=clock) as client:
        with pytest.raises(ValueError, match="','"):
            await filtered_batches(client, "a,b")
    assert emulator.requests == []


async def test_impossible_id_is_an_outcome_in_as_completed(emulator: Emulator, clock: dt.VirtualClock) -> None:
    """In a fan-out, an impossible id is that batch's outcome; the others are waited on."""
    good = emulator.add_batch(documents=1, seconds=0)
    async with dt.DocumentTranslationClient(emulator.endpoint, key=emulator.key, clock=clock) as client:
        outcomes = await client.wait_all(["a/b", good, " "])
    assert [type(o.error) for o in outcomes] == [ValueError, type(None), ValueError]


async def test_invalid_id_is_one_outcome_among_others(emulator: Emulator, live: dt.DocumentTranslationClient) -> None:
    """An id that cannot be one ('..') is that batch's outcome; the other batches are still waited on."""
    good = emulator.add_batch(documents=1, seconds=5)
    outcomes = await live.wait_all(["..", good])
    assert isinstance(outcomes[0].error, ValueError)
    assert outcomes[1].status is not None


@given(st.text(min_size=1))
def test_check_id_accepts_exactly_the_safe_ids(value: str) -> None:
    """An id is accepted exactly when it is not a dot step and has no '/', '?', '#', whitespace or control."""
    unsafe = value in (".", "..") or any(
        c in "/?#" or c.isspace() or ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in value
    )
    if unsafe:
        with pytest.raises(ValueError, match="an id cannot"):
            check_id(value)
    else:
        assert check_id(value) == value
