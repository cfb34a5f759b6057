"""The batch service's routes: batch status, lists, start and cancel, and the formats and storage-sources lists.

Each route turns a :class:`~doctrans_async.emulator._call.Call` into a :class:`~doctrans_async.emulator._call.Reply`
(or raises :class:`~doctrans_async.emulator._wire.ApiError`); faults, serialization and logging happen around it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import attrs
from aiohttp import web

from doctrans_async.emulator._call import Call, Reply
from doctrans_async.emulator._formats import FORMATS
from doctrans_async.emulator._listing import Filters, parse_filters, parse_paging
from doctrans_async.emulator._state import BatchView, NotCancellable, Status
from doctrans_async.emulator._wire import (
    Layout,
    batch_json,
    document_json,
    invalid_argument,
    invalid_request,
)

__all__ = [
    "cancel_batch",
    "document_formats",
    "formats",
    "get_document",
    "get_status",
    "glossary_formats",
    "list_batches",
    "list_documents",
    "start_batch",
    "storage_sources",
]


async def get_status(call: Call) -> Reply:
    """``GET batches/{id}``; ``Retry-After`` while the batch is in progress, where the real service sends it."""
    view = call.batch().view(call.now)
    reply = Reply(200, batch_json(view, call.layout))
    if call.site.settings.retry_after is not None and call.layout.retry_after and view.status.in_progress:
        reply.headers["Retry-After"] = str(call.site.settings.retry_after)
    return reply


async def list_documents(call: Call) -> Reply:
    """``GET batches/{id}/documents``: newest first (which is id descending), computed lazily for the page only."""
    batch = call.batch()
    paging = parse_paging(call.query, call.layout, call.site.settings.page_size)
    filters = parse_filters(call.query, call.layout)
    moment = batch.moment(call.now)
    created = batch.created_within(filters.created_from, filters.created_to)
    runs = batch.select(moment, filters.statuses, filters.ids).within(created)
    if not filters.descending:
        runs = runs.reversed()
    start, stop, following = paging.window(len(runs))
    items = [document_json(batch.document(i, moment), call.layout) for i in runs.slice(start, stop)]
    return call.page(items, following, filters, call.layout.next_link_key)


async def get_document(call: Call) -> Reply:
    """``GET batches/{id}/documents/{documentId}``; an unknown document is a 404 with an empty body (recorded)."""
    batch = call.batch()
    index = batch.document_index(call.request.match_info["document_id"])
    if index is None:
        return Reply(404, None)
    return Reply(200, document_json(batch.document(index, batch.moment(call.now)), call.layout))


async def list_batches(call: Call) -> Reply:
    """``GET batches``: every batch, newest first unless ordered otherwise."""
    paging = parse_paging(call.query, call.layout, call.site.settings.page_size)
    filters = parse_filters(call.query, call.layout)
    ordered = sorted(
        call.site.service.batches(),
        key=lambda b: (b.created_ticks, b.sequence),
        reverse=filters.descending,
    )
    chosen = [v for v in (b.view(call.now) for b in ordered) if _batch_matches(v, filters)]
    start, stop, following = paging.window(len(chosen))
    items = [batch_json(v, call.layout) for v in chosen[start:stop]]
    return call.page(items, following, filters, call.layout.batches_next_link_key)


def _batch_matches(view: BatchView, filters: Filters) -> bool:
    if filters.ids is not None and view.id not in filters.ids:
        return False
    if filters.statuses is not None and view.status not in filters.statuses:
        return False
    return filters.admits(view.created_ticks)


async def start_batch(call: Call) -> Reply:
    """``POST batches``: 202 with ``Operation-Location``; a body only from 2024-05-01 on."""
    source, target, language = _start_request(await _json_body(call.request))
    settings = call.site.settings
    batch = call.site.service.add(
        now=call.now,
        utcnow=call.site.clock.utcnow(),
        documents=settings.start_documents,
        seconds=settings.start_seconds,
        failures=min(settings.start_failures, settings.start_documents),
        target_language=language,
        source_url=source,
        target_url=target,
    )
    body = {"id": batch.id, "status": Status.NOT_STARTED.value} if call.layout.in_query else None
    return Reply(202, body, {"Operation-Location": call.operation_location(batch.id)})


async def _json_body(request: web.Request) -> Any:
    try:
        return json.loads(await request.read())
    except (ValueError, RecursionError):
        # RecursionError: nesting deeper than the decoder goes is as malformed as a syntax error.
        raise invalid_request("The request body is not valid JSON.", "Body", "InvalidRequestBody") from None


def _start_request(body: Any) -> tuple[str, str, str]:
    """The first input's source URL, target URL and language; 400 InvalidRequest if the shape is wrong."""
    inputs = body.get("inputs") if isinstance(body, dict) else None
    if not isinstance(inputs, list) or not inputs or not all(map(_valid_input, inputs)):
        message = "Each input needs source.sourceUrl and at least one target with targetUrl and language."
        raise invalid_request(message, "Inputs", "InvalidDocumentInputs")
    first = inputs[0]
    return first["source"]["sourceUrl"], first["targets"][0]["targetUrl"], first["targets"][0]["language"]


def _valid_input(item: Any) -> bool:
    source = item.get("source") if isinstance(item, dict) else None
    targets = item.get("targets") if isinstance(item, dict) else None
    if not isinstance(source, dict) or not isinstance(source.get("sourceUrl"), str):
        return False
    return isinstance(targets, list) and bool(targets) and all(map(_valid_target, targets))


def _valid_target(target: Any) -> bool:
    return (
        isinstance(target, dict)
        and isinstance(target.get("targetUrl"), str)
        and isinstance(target.get("language"), str)
    )


async def cancel_batch(call: Call) -> Reply:
    """``DELETE batches/{id}``: 200 with the batch's status; 400 if it already finished or is cancelling.

    v1.x answers the status the batch had, its last action moved to now (recorded: ``NotStarted``); 2024-05-01 and
    later answer ``Cancelling`` (recorded). Polls show Cancelling, then Cancelled, either way.
    """
    batch = call.batch()
    before = batch.view(call.now)
    try:
        batch.cancel(call.now)
    except NotCancellable as refused:
        message = f"The operation cannot be cancelled because its status is {refused.status.value}."
        raise invalid_request(message, "Operation", "OperationNotCancellable") from None
    after = batch.view(call.now)
    if call.layout.cancel_reports_prior_status:
        after = attrs.evolve(before, last_action_ticks=after.last_action_ticks)
    return Reply(200, batch_json(after, call.layout))


def _formats_reply(kinds: Iterable[str], layout: Layout) -> Reply:
    # v1.x items have no "type" (recorded).
    return Reply(200, {"value": [f.json(typed=layout.in_query) for kind in kinds for f in FORMATS[kind]]})


async def document_formats(call: Call) -> Reply:
    """v1.x ``GET documents/formats``."""
    return _formats_reply(["document"], call.layout)


async def glossary_formats(call: Call) -> Reply:
    """v1.x ``GET glossaries/formats``."""
    return _formats_reply(["glossary"], call.layout)


async def storage_sources(call: Call) -> Reply:
    """v1.x ``GET storagesources``."""
    return Reply(200, {"value": ["AzureBlob"]})


async def formats(call: Call) -> Reply:
    """2024-05-01+ ``GET formats?type=document|glossary`` (both kinds without ``type``)."""
    kind = call.query.get("type")
    if kind is not None and kind.lower() not in FORMATS:
        raise invalid_argument("type", "type must be document or glossary.")
    return _formats_reply([kind.lower()] if kind else list(FORMATS), call.layout)
