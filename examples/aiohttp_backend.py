"""An aiohttp.web backend that answers from the Document Translation service.

    python examples/aiohttp_backend.py [--port 8081]

Routes (JSON):
    GET /batches/{id}                   the batch's status now
    GET /batches/{id}/wait?timeout=S    the batch's final status, awaited (504 with the last status if not by S;
                                        400 unless S is a number of seconds, 0 or more)
    GET /batches/{id}/documents         every document, streamed as JSON lines page by page, never all in memory

One client serves every request (it pools connections); handlers only await it. With DOCTRANS_ENDPOINT and
DOCTRANS_KEY set it talks to that resource; without them it starts an emulator in this process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

import attrs
from aiohttp import web

from doctrans_async import DocumentTranslationClient, DocumentTranslationError, NotFoundError, PollingTimeoutError
from doctrans_async.emulator import Emulator

try:
    from examples._service import service
except ModuleNotFoundError:  # run as a script: the examples folder itself is on sys.path
    from _service import service  # type: ignore[import-not-found,no-redef]

CLIENT = web.AppKey("client", DocumentTranslationClient)
MAX_WAIT = 60.0
"""The longest a request may hold its connection waiting for a batch."""


def as_json(model: Any) -> dict[str, Any]:
    """A status model as a JSON-ready dict (datetimes in ISO 8601; statuses are already strings)."""

    def plain(_: object, __: object, value: Any) -> Any:
        return value.isoformat() if isinstance(value, datetime) else value

    return attrs.asdict(model, value_serializer=plain)


def json_error(status: int, message: str, **extra: Any) -> web.Response:
    """An error answer in the same JSON shape for every route."""
    return web.json_response({"error": message, **extra}, status=status)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def service_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The service's errors as HTTP answers: an unknown batch is ours to 404, anything else is a bad gateway."""
    try:
        return await handler(request)
    except NotFoundError:
        return json_error(404, f"no batch {request.match_info.get('batch_id')!r}")
    except ValueError as refused:
        # The library refuses an id that cannot be one ('..') before sending anything: the caller's mistake.
        return json_error(400, str(refused))
    except DocumentTranslationError as failure:
        return json_error(502, str(failure))


async def batch_status(request: web.Request) -> web.Response:
    """GET /batches/{id}: the status now."""
    status = await request.app[CLIENT].get_status(request.match_info["batch_id"])
    return web.json_response(as_json(status))


def seconds(text: str | None) -> float | None:
    """The wait a ``timeout`` query asks for, capped at MAX_WAIT; ``None`` unless it is a finite number >= 0
    (``float()`` alone takes ``nan``, ``inf`` and ``-1``)."""
    if text is None:
        return MAX_WAIT
    try:
        value = float(text)
    except ValueError:
        return None
    return min(value, MAX_WAIT) if math.isfinite(value) and value >= 0 else None


async def wait_for_batch(request: web.Request) -> web.Response:
    """GET /batches/{id}/wait?timeout=S: hold the request until the batch ends or S seconds (at most MAX_WAIT)."""
    timeout = seconds(request.query.get("timeout"))
    if timeout is None:
        return json_error(400, "timeout must be a number of seconds, 0 or more")
    try:
        final = await request.app[CLIENT].wait_for_completion(request.match_info["batch_id"], timeout=timeout)
    except PollingTimeoutError as late:
        last = as_json(late.last_status) if late.last_status is not None else None
        return json_error(504, str(late), last_status=last)
    return web.json_response(as_json(final))


async def batch_documents(request: web.Request) -> web.StreamResponse:
    """GET /batches/{id}/documents: every document as one JSON line, written as each page arrives."""
    pages = request.app[CLIENT].iter_document_pages(request.match_info["batch_id"])
    async with contextlib.aclosing(pages):
        # The first page is fetched before anything is sent, so an unknown batch still gets a real 404.
        first = await anext(pages, None)
        response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
        await response.prepare(request)
        page = first
        while page is not None:
            lines = "".join(json.dumps(as_json(document)) + "\n" for document in page.items)
            await response.write(lines.encode())
            page = await anext(pages, None)
    await response.write_eof()
    return response


def make_app(client: DocumentTranslationClient) -> web.Application:
    """The web application, using ``client`` (borrowed: closing it stays the caller's job)."""
    app = web.Application(middlewares=[service_errors])
    app[CLIENT] = client
    app.router.add_get("/batches/{batch_id}", batch_status)
    app.router.add_get("/batches/{batch_id}/wait", wait_for_batch)
    app.router.add_get("/batches/{batch_id}/documents", batch_documents)
    return app


@contextlib.asynccontextmanager
async def serve(client: DocumentTranslationClient, *, port: int = 0) -> AsyncIterator[str]:
    """Serve :func:`make_app` on 127.0.0.1 (``port`` 0: any free one); yields the base URL."""
    runner = web.AppRunner(make_app(client))
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", port)
        await site.start()
        bound = next(address for address in runner.addresses if isinstance(address, tuple))
        yield f"http://127.0.0.1:{bound[1]}"
    finally:
        await runner.cleanup()


async def main(argv: Sequence[str] | None = None) -> int:
    """Serve until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8081, help="port to listen on (default 8081)")
    args = parser.parse_args(argv)

    def seed(emulator: Emulator) -> list[str]:
        return [emulator.add_batch(documents=120, seconds=30, failures=5)]

    async with service(seed) as (client, ids), serve(client, port=args.port) as url:
        batch = ids[0] if ids else "BATCH_ID"
        print(f"listening on {url}; try:")
        for path in ("", "/wait?timeout=40", "/documents"):
            print(f"  curl {url}/batches/{batch}{path}")
        await asyncio.Event().wait()
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(asyncio.run(main()))
