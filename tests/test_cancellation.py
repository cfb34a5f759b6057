"""Cancellation always wins: a task cancelled while its request's own timeout or its deadline fires at the same
moment ends CancelledError, never TransportError or PollingTimeoutError, and sends nothing more.

The server accepts each request and never answers, so every request ends by a timer, ours or the caller's.
What is asserted holds whichever timer comes first; the random moments only make the races happen often.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import pytest

import doctrans_async as dt


class Silent:
    """A loopback HTTP server that reads requests and never answers; it counts the requests it saw."""

    def __init__(self) -> None:
        self.requests = 0
        self._server: asyncio.Server | None = None
        self._held: set[asyncio.StreamWriter] = set()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._held.add(writer)
        try:
            while await reader.readuntil(b"\r\n\r\n"):
                self.requests += 1
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._held.discard(writer)
            writer.close()

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        assert self._server is not None
        for writer in list(self._held):
            writer.close()
        self._server.close()
        await self._server.wait_closed()


@pytest.fixture
async def silent() -> AsyncIterator[tuple[Silent, str]]:
    server = Silent()
    endpoint = await server.start()
    yield server, endpoint
    await server.stop()


async def test_cancelled_waits_end_cancelled_whatever_fires_with_them(silent: tuple[Silent, str]) -> None:
    """200 waits, each cancelled at a random moment around its request timeout and its deadline: every wait that
    was still running when cancelled ends CancelledError; the others end with their own timeout error."""
    server, endpoint = silent
    rng = random.Random(7)
    async with dt.DocumentTranslationClient(endpoint, key="k", request_timeout=0.02) as client:

        async def one() -> BaseException | None:
            task = asyncio.create_task(client.wait_for_completion("b1", timeout=0.04))
            await asyncio.sleep(rng.uniform(0.0, 0.06))
            running = task.cancel()
            try:
                await task
            except BaseException as ended:
                return ended if running else None
            raise AssertionError("a wait on a server that never answers cannot succeed")

        outcomes = await asyncio.gather(*(one() for _ in range(200)))
    cancelled = [o for o in outcomes if o is not None]
    assert cancelled, "no wait was cancelled while running: the test did not test anything"
    assert all(isinstance(o, asyncio.CancelledError) for o in cancelled), {type(o).__name__ for o in cancelled}
    sent = server.requests
    await asyncio.sleep(0.1)
    assert server.requests == sent  # nothing polls after its waiter was cancelled


@pytest.mark.parametrize("offset", [-0.004, -0.001, 0.0, 0.001, 0.004])
async def test_wait_for_at_the_request_timeout_cancels_the_wait(silent: tuple[Silent, str], offset: float) -> None:
    """asyncio.wait_for(wait_for_completion(...), t) with t at the request timeout ends by wait_for's timeout,
    after one request: the request's own timeout firing at the same moment does not start a retry."""
    server, endpoint = silent
    # Unjittered, the retry after a request timeout waits 0.5 s: past wait_for's timeout whatever the offset, so a
    # second request can only be sent if the cancellation was lost.
    no_jitter = dt.RetryPolicy(jitter=False)
    async with dt.DocumentTranslationClient(endpoint, key="k", request_timeout=0.05, retry=no_jitter) as client:
        with pytest.raises(TimeoutError) as caught:
            await asyncio.wait_for(client.wait_for_completion("b1"), 0.05 + offset)
    assert not isinstance(caught.value, dt.DocumentTranslationError)
    assert server.requests == 1
