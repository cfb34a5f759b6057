"""The contenders: the same HTTP work done by plain aiohttp + json (the floor), doctrans_async and the official SDK.

Every contender sends the same requests to the same URLs:

* ``list``: ``GET …/batches/{id}/documents?maxpagesize=P&api-version=V``, then each page's ``nextLink`` until none,
  touching every document's ``status`` (doctrans_async asks for no page size: its default is the largest, 100).
* ``collect``: the same listing, every document kept in one list (the floor keeps the raw dicts): what collecting
  costs in memory, beside streaming's flat line.
* ``poll``: ``GET …/batches/{id}?api-version=V`` ``polls`` times in a row, reading ``status``.
* ``watch``: every batch at once (``concurrency`` at most): poll; while not terminal, sleep ``interval`` then poll.
  A fixed interval, so the request count depends on the batches' durations only. doctrans_async gets it from
  ``PollPolicy(initial_interval=interval, max_interval=interval, growth=1.0, age_fraction=0.0)``; the floor and
  the SDK run the same loop by hand. The emulator runs with ``--no-retry-after``, so no Retry-After stretches a wait.

Each function returns ``{"items": …, "requests": …}`` so the runner can check the work was the same.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import attrs

TERMINAL = frozenset({"Succeeded", "Failed", "Canceled", "ValidationFailed"})
# doctrans_async decodes with orjson when installed (the 'fast' extra); doctrans_stdlib_json is the same client held
# to the standard library's json, as a plain install runs it.
CONTENDERS = ("floor", "doctrans_async", "doctrans_stdlib_json", "official_sdk")
WORKLOADS = ("list", "collect", "poll", "watch")


@attrs.frozen
class Job:
    """One measured piece of work, as the runner hands it to a worker process."""

    contender: str
    workload: str
    endpoint: str
    key: str
    api_version: str
    batch_ids: tuple[str, ...]
    page_size: int = 100
    polls: int = 0
    interval: float = 0.5
    concurrency: int = 1000


Result = dict[str, int]
Runner = Callable[[Job], Awaitable[Result]]


def sdk_available() -> bool:
    try:
        import azure.ai.translation.document.aio  # noqa: F401
    except ImportError:
        return False
    return True


class _Counter:
    """Counts requests sent through a session, via aiohttp's tracing (used for ``watch`` only: the other
    workloads' request counts are fixed by construction, and tracing adds its own small cost per request)."""

    def __init__(self) -> None:
        self.count = 0
        self.config = aiohttp.TraceConfig()
        self.config.on_request_start.append(self._started)

    async def _started(self, session: aiohttp.ClientSession, context: Any, params: Any) -> None:
        self.count += 1


# --- floor: plain aiohttp + json, no models ----------------------------------------------------------------------


def _floor_base(job: Job) -> str:
    return f"{job.endpoint.rstrip('/')}/translator/document/batches"


def _floor_headers(job: Job) -> dict[str, str]:
    return {"Ocp-Apim-Subscription-Key": job.key, "Accept": "application/json"}


async def _floor_get(session: aiohttp.ClientSession, url: str, headers: dict[str, str]) -> Any:
    async with session.get(url, headers=headers) as resp:
        body = await resp.read()
        if resp.status != 200:
            raise RuntimeError(f"GET {url} -> {resp.status}")
    return json.loads(body)


async def floor_list(job: Job) -> Result:
    headers = _floor_headers(job)
    url: str | None = (
        f"{_floor_base(job)}/{job.batch_ids[0]}/documents?maxpagesize={job.page_size}&api-version={job.api_version}"
    )
    items = requests = 0
    async with aiohttp.ClientSession() as session:
        while url:
            page = await _floor_get(session, url, headers)
            requests += 1
            for document in page["value"]:
                _ = document["status"]
                items += 1
            url = page.get("nextLink")
    return {"items": items, "requests": requests}


async def floor_poll(job: Job) -> Result:
    headers = _floor_headers(job)
    url = f"{_floor_base(job)}/{job.batch_ids[0]}?api-version={job.api_version}"
    async with aiohttp.ClientSession() as session:
        for _ in range(job.polls):
            _ = (await _floor_get(session, url, headers))["status"]
    return {"items": job.polls, "requests": job.polls}


async def floor_watch(job: Job) -> Result:
    headers = _floor_headers(job)
    base = _floor_base(job)
    counter = _Counter()
    slots = asyncio.Semaphore(job.concurrency)

    async def watch(session: aiohttp.ClientSession, batch_id: str) -> str:
        url = f"{base}/{batch_id}?api-version={job.api_version}"
        async with slots:
            while True:
                status = (await _floor_get(session, url, headers))["status"]
                if status in TERMINAL:
                    return str(status)
                await asyncio.sleep(job.interval)

    async with aiohttp.ClientSession(trace_configs=[counter.config]) as session:
        finals = await asyncio.gather(*(watch(session, b) for b in job.batch_ids))
    return {"items": len(finals), "requests": counter.count}


# --- doctrans_async -----------------------------------------------------------------------------------------------


async def doctrans_list(job: Job) -> Result:
    from doctrans_async import DocumentTranslationClient

    items = 0
    # No page_size: the client's default is the largest page (100), what the others ask for by name.
    async with DocumentTranslationClient(job.endpoint, key=job.key, api_version=job.api_version) as client:
        async for document in client.list_documents(job.batch_ids[0]):
            _ = document.status
            items += 1
    return {"items": items, "requests": -(-items // job.page_size)}


async def doctrans_collect(job: Job) -> Result:
    from doctrans_async import DocumentTranslationClient

    async with DocumentTranslationClient(job.endpoint, key=job.key, api_version=job.api_version) as client:
        documents = [document async for document in client.list_documents(job.batch_ids[0])]
    return {"items": len(documents), "requests": -(-len(documents) // job.page_size)}


async def floor_collect(job: Job) -> Result:
    headers = _floor_headers(job)
    url: str | None = (
        f"{_floor_base(job)}/{job.batch_ids[0]}/documents?maxpagesize={job.page_size}&api-version={job.api_version}"
    )
    documents: list[Any] = []
    requests = 0
    async with aiohttp.ClientSession() as session:
        while url:
            page = await _floor_get(session, url, headers)
            requests += 1
            documents.extend(page["value"])
            url = page.get("nextLink")
    return {"items": len(documents), "requests": requests}


async def doctrans_poll(job: Job) -> Result:
    from doctrans_async import DocumentTranslationClient

    async with DocumentTranslationClient(job.endpoint, key=job.key, api_version=job.api_version) as client:
        for _ in range(job.polls):
            _ = (await client.get_status(job.batch_ids[0])).status
    return {"items": job.polls, "requests": job.polls}


async def doctrans_watch(job: Job) -> Result:
    from doctrans_async import DocumentTranslationClient, PollPolicy

    policy = PollPolicy(initial_interval=job.interval, max_interval=job.interval, growth=1.0, age_fraction=0.0)
    counter = _Counter()
    # A borrowed session only so that requests can be counted; it is made exactly as the client makes its own.
    async with (
        aiohttp.ClientSession(trace_configs=[counter.config], cookie_jar=aiohttp.DummyCookieJar()) as session,
        DocumentTranslationClient(
            job.endpoint, key=job.key, api_version=job.api_version, poll=policy, session=session
        ) as client,
    ):
        outcomes = await client.wait_all(job.batch_ids, concurrency=job.concurrency)
    failed = [o for o in outcomes if o.error is not None]
    if failed:
        raise RuntimeError(f"{len(failed)} batches ended in an error, first: {failed[0].error!r}")
    return {"items": len(outcomes), "requests": counter.count}


# --- the official SDK (azure-ai-translation-document, aio) ---------------------------------------------------------


def _sdk_client(job: Job, session: aiohttp.ClientSession | None = None) -> Any:
    from azure.ai.translation.document.aio import DocumentTranslationClient
    from azure.core.credentials import AzureKeyCredential

    # An AzureKeyCredential goes over plain http as is (only bearer tokens insist on https), so the emulator's
    # http://127.0.0.1 endpoint needs no workaround. The API version is pinned so all contenders speak the same one.
    kwargs: dict[str, Any] = {"api_version": job.api_version}
    if session is not None:
        from azure.core.pipeline.transport import AioHttpTransport

        kwargs["transport"] = AioHttpTransport(session=session, session_owner=False)
    return DocumentTranslationClient(job.endpoint, AzureKeyCredential(job.key), **kwargs)


async def sdk_list(job: Job) -> Result:
    items = 0
    async with _sdk_client(job) as client:
        async for document in client.list_document_statuses(job.batch_ids[0], maxpagesize=job.page_size):
            _ = document.status
            items += 1
    return {"items": items, "requests": -(-items // job.page_size)}


async def sdk_poll(job: Job) -> Result:
    async with _sdk_client(job) as client:
        for _ in range(job.polls):
            _ = (await client.get_translation_status(job.batch_ids[0])).status
    return {"items": job.polls, "requests": job.polls}


async def sdk_watch(job: Job) -> Result:
    counter = _Counter()
    slots = asyncio.Semaphore(job.concurrency)

    async def watch(client: Any, batch_id: str) -> str:
        async with slots:
            while True:
                status = (await client.get_translation_status(batch_id)).status
                if status in TERMINAL:
                    return str(status)
                await asyncio.sleep(job.interval)

    # The SDK has no wait-on-many for existing batch ids (its pollers start from begin_translation), so this is
    # the loop a user writes around get_translation_status; the session is borrowed only to count requests.
    async with aiohttp.ClientSession(trace_configs=[counter.config]) as session, _sdk_client(job, session) as client:
        finals = await asyncio.gather(*(watch(client, b) for b in job.batch_ids))
    return {"items": len(finals), "requests": counter.count}


RUNNERS: dict[tuple[str, str], Runner] = {
    ("floor", "list"): floor_list,
    ("floor", "collect"): floor_collect,
    ("doctrans_async", "collect"): doctrans_collect,
    ("doctrans_stdlib_json", "collect"): doctrans_collect,
    ("floor", "poll"): floor_poll,
    ("floor", "watch"): floor_watch,
    ("doctrans_async", "list"): doctrans_list,
    ("doctrans_async", "poll"): doctrans_poll,
    ("doctrans_async", "watch"): doctrans_watch,
    ("doctrans_stdlib_json", "list"): doctrans_list,
    ("doctrans_stdlib_json", "poll"): doctrans_poll,
    ("doctrans_stdlib_json", "watch"): doctrans_watch,
    ("official_sdk", "list"): sdk_list,
    ("official_sdk", "poll"): sdk_poll,
    ("official_sdk", "watch"): sdk_watch,
}


def preload(contender: str) -> None:
    """Import what the contender needs before measuring, so import time is not counted as work."""
    if contender == "doctrans_async":
        import doctrans_async  # noqa: F401
    elif contender == "doctrans_stdlib_json":
        from doctrans_async import _json, _sansio

        _sansio.loads = _json._stdlib_loads
    elif contender == "official_sdk":
        import azure.ai.translation.document.aio
        import azure.core.pipeline.transport  # noqa: F401
