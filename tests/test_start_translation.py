"""start_translation at the aiohttp layer (aioresponses, and raw sockets for a cut-off answer): the POST's body in
each form, the new batch's id from a 202, and that a retry can never start a second batch."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

import aiohttp
import pytest

import doctrans_async as dt
from tests.hostile_server import Seen, hostile
from tests.support import ENDPOINT, SECRET, MockedService

START_URL = f"{ENDPOINT}/translator/document/batches?api-version=2024-05-01"
OPERATION = f"{ENDPOINT}/translator/document/batches/new-batch?api-version=2024-05-01"


def sent_json(mocked: MockedService) -> list[Any]:
    """The JSON bodies of the requests made."""
    return [json.loads(call.kwargs["data"]) for calls in mocked.requests.values() for call in calls]


async def test_start_translation_simple_form(client: dt.DocumentTranslationClient, mocked: MockedService) -> None:
    """The simple form posts one input with one target and returns the id from the body."""
    mocked.post(START_URL, status=202, payload={"id": "new-batch", "status": "NotStarted"})
    batch_id = await client.start_translation(
        source_url="https://s.blob/src", target_url="https://s.blob/fr", target_language="fr", category="general"
    )
    assert batch_id == "new-batch"
    [body] = sent_json(mocked)
    assert body == {
        "inputs": [
            {
                "source": {"sourceUrl": "https://s.blob/src"},
                "targets": [{"targetUrl": "https://s.blob/fr", "language": "fr", "category": "general"}],
            }
        ]
    }
    [(_, _, headers)] = mocked.sent()
    assert headers["Content-Type"] == "application/json"


async def test_start_translation_typed_inputs(client: dt.DocumentTranslationClient, mocked: MockedService) -> None:
    """Typed inputs carry glossaries, filters, storage type and source language onto the wire."""
    mocked.post(START_URL, status=202, headers={"Operation-Location": OPERATION}, body="")
    item = dt.TranslationInput(
        "https://s.blob/src",
        [dt.TranslationTarget("https://s.blob/de", "de", glossaries=[dt.Glossary("https://s.blob/g.tsv", "TSV")])],
        source_language="en",
        storage_type=dt.StorageType.FOLDER,
        suffix=".docx",
    )
    assert await client.start_translation(item) == "new-batch"
    [body] = sent_json(mocked)
    assert body["inputs"][0] == {
        "source": {"sourceUrl": "https://s.blob/src", "language": "en", "filter": {"suffix": ".docx"}},
        "targets": [
            {
                "targetUrl": "https://s.blob/de",
                "language": "de",
                "glossaries": [{"glossaryUrl": "https://s.blob/g.tsv", "format": "TSV"}],
            }
        ],
        "storageType": "Folder",
    }


async def test_start_translation_raw_dict(client: dt.DocumentTranslationClient, mocked: MockedService) -> None:
    """A raw request dict is sent exactly as given."""
    raw = {"inputs": [{"source": {"sourceUrl": "u"}, "targets": [{"targetUrl": "t", "language": "fr"}]}], "x": 1}
    mocked.post(START_URL, status=202, payload={"id": "new-batch", "status": "NotStarted"})
    await client.start_translation(raw)
    assert sent_json(mocked) == [raw]


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"source_url": "u"}, {"inputs": [], "source_url": "u", "target_url": "t", "target_language": "fr"}],
)
async def test_start_translation_argument_errors(
    client: dt.DocumentTranslationClient, mocked: MockedService, kwargs: dict[str, Any]
) -> None:
    """Incomplete or conflicting arguments raise ValueError before any request."""
    with pytest.raises(ValueError, match="inputs"):
        await client.start_translation(**kwargs)
    assert mocked.sent() == []


# --- the new batch named by a 202 ---------------------------------------------------------------------------


async def test_started_batch_id_survives_an_unreadable_body(
    client: dt.DocumentTranslationClient, mocked: MockedService
) -> None:
    """A 202 whose body is cut off still gives the new batch's id from Operation-Location (the POST is not resent)."""
    location = f"{ENDPOINT}/translator/document/batches/new-one?api-version=2024-05-01"
    mocked.post(
        f"{ENDPOINT}/translator/document/batches?api-version=2024-05-01",
        status=202,
        body='{"id": "new-',
        headers={"Operation-Location": location},
    )
    assert await client.start_translation(source_url="s", target_url="t", target_language="fr") == "new-one"
    assert len(mocked.sent()) == 1


@pytest.mark.parametrize(
    "answer",
    [
        {"headers": {"Operation-Location": f"{ENDPOINT}/translator/document/batches/a%2Fb?api-version=2024-05-01"}},
        {"headers": {"Operation-Location": f"{ENDPOINT}/translator/document/batches/a%0D%0Ab"}},
        {"headers": {"Operation-Location": f"{ENDPOINT}/translator/document/batches/{SECRET}%2F"}},
        {"payload": {"id": ".."}},
        {"payload": {"id": f"{SECRET}?x"}},
    ],
)
async def test_started_batch_id_no_call_could_use_is_a_malformed_response(
    client: dt.DocumentTranslationClient, mocked: MockedService, answer: dict[str, Any]
) -> None:
    """A 202 naming an id that no later call could send (a slash, a line break, '..') raises
    MalformedResponseError, the key redacted even when the id echoes it; it used to return the id, and the
    first call using it raised a ValueError carrying the whole id."""
    mocked.post(START_URL, status=202, **answer)
    with pytest.raises(dt.MalformedResponseError, match="the new batch's id cannot be used") as info:
        await client.start_translation(source_url="s", target_url="t", target_language="fr")
    assert SECRET not in str(info.value)
    assert SECRET not in repr(info.value)
    assert len(mocked.sent()) == 1  # a POST the service accepted is never sent again


@pytest.mark.parametrize("ending", ["dropped", "stalled"])
async def test_started_batch_kept_when_the_202_body_is_cut_off(clock: dt.VirtualClock, ending: str) -> None:
    """A 202 whose body stops short of its Content-Length (the connection dropped, or the body stalled until
    request_timeout cut it off) still names the batch in Operation-Location: the id is returned, and the POST is
    not sent again (it started a batch)."""
    posts: list[Seen] = []
    batch = "0123abcd-0000-4000-8000-000000000001"

    def answer(seen: Seen) -> bytes:
        posts.append(seen)
        location = f"http://{seen.headers['host']}/translator/document/batches/{batch}?api-version=2024-05-01"
        head = f"Content-Type: application/json\r\nContent-Length: 400\r\nOperation-Location: {location}"
        return f"HTTP/1.1 202 Accepted\r\n{head}\r\n\r\n".encode() + b'{"id": "0123abcd-0000-4000-'

    async with (
        hostile(answer, stall=ending == "stalled") as endpoint,
        dt.DocumentTranslationClient(
            endpoint, key=SECRET, api_version=dt.ApiVersion.V2024_05_01, clock=clock, request_timeout=0.5
        ) as client,
    ):
        started = await client.start_translation(
            source_url="https://a.blob.core.windows.net/src", target_url="https://a/t", target_language="fr"
        )
    assert started == batch
    assert len(posts) == 1


# --- retries: sent again only where the service cannot have started a batch ---------------------------------


async def test_start_not_retried_after_a_500(client: dt.DocumentTranslationClient, mocked: MockedService) -> None:
    """A 500 on the POST is raised at once: the batch may have started, a retry could start a second."""
    mocked.post(START_URL, status=500, payload={"error": {"code": "InternalServerError", "message": "x"}})
    with pytest.raises(dt.ServerError):
        await client.start_translation(source_url="u", target_url="t", target_language="fr")
    assert len(mocked.sent()) == 1


async def test_start_not_retried_after_a_drop(client: dt.DocumentTranslationClient, mocked: MockedService) -> None:
    """A connection dropped after sending is raised at once, marked as possibly sent."""
    mocked.post(START_URL, exception=aiohttp.ServerDisconnectedError())
    with pytest.raises(dt.TransportError) as caught:
        await client.start_translation(source_url="u", target_url="t", target_language="fr")
    assert caught.value.request_sent
    assert len(mocked.sent()) == 1


@pytest.mark.parametrize("status", [429, 503])
async def test_start_retried_after_refusal_with_retry_after(
    client: dt.DocumentTranslationClient, mocked: MockedService, clock: dt.VirtualClock, status: int
) -> None:
    """A 429/503 with Retry-After refused the request outright, so the POST is sent again after the wait."""
    mocked.post(START_URL, status=status, headers={"Retry-After": "3"})
    mocked.post(START_URL, status=202, payload={"id": "new-batch", "status": "NotStarted"})
    assert await client.start_translation(source_url="u", target_url="t", target_language="fr") == "new-batch"
    assert clock.sleeps == [3.0]


async def test_post_retried_when_connection_never_made(clock: dt.VirtualClock) -> None:
    """A refused connection (nothing sent) is retried even for a POST, then raised with request_sent False."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    policy = dt.RetryPolicy(max_attempts=3)
    async with dt.DocumentTranslationClient(f"http://127.0.0.1:{port}", key=SECRET, retry=policy, clock=clock) as c:
        with pytest.raises(dt.TransportError) as caught:
            await c.start_translation(source_url="u", target_url="t", target_language="fr")
    assert not caught.value.request_sent
    assert len(clock.sleeps) == 2


async def test_post_sent_again_when_the_connection_was_never_made(clock: dt.VirtualClock) -> None:
    """A connection that is never made (a resolver that never answers) is told as such before the attempt's own
    limit ends it: the POST cannot have arrived, so it is sent again, as often as the policy allows."""

    class Stuck(aiohttp.abc.AbstractResolver):
        async def resolve(self, host: str, port: int = 0, family: int = 0) -> list[Any]:
            await asyncio.Event().wait()
            raise AssertionError("unreachable")

        async def close(self) -> None:
            pass

    attempts: list[dt.Event] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(resolver=Stuck())) as session:
        client = dt.DocumentTranslationClient(
            "https://never.invalid",
            key=SECRET,
            session=session,
            request_timeout=0.5,  # connect gives up at 0.45 s: 50 ms before the attempt's own limit
            clock=clock,
            retry=dt.RetryPolicy(max_attempts=3),
            on_event=attempts.append,
        )
        with pytest.raises(dt.TransportError) as caught:
            await client.start_translation(source_url="https://s/x", target_url="https://t/y", target_language="fr")
    assert not caught.value.request_sent
    assert sum(isinstance(event, dt.RequestEvent) for event in attempts) == 3
