"""Credentials: a key or a token, checked when the client is made, sent as their headers, and never shown in an
error's causes or a traceback's captured locals."""

from __future__ import annotations

import asyncio
import re
import socket
import traceback
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest

import doctrans_async as dt
from tests.support import ENDPOINT, SECRET, MockedService, batch_body


def test_key_and_credential_are_exclusive() -> None:
    """Passing both key and credential, or neither, is a clear error."""
    with pytest.raises(ValueError, match="exactly one"):
        dt.DocumentTranslationClient(ENDPOINT)


@pytest.mark.parametrize(("field", "value"), [("key", SECRET + "\n"), ("key", ""), ("region", "west\r\nX: y")])
def test_control_characters_refused_at_construction(field: str, value: str) -> None:
    """A key or region with a line break (read from a file unstripped) is a clear error up front, key not shown."""
    kwargs: dict[str, Any] = {"key": SECRET, field: value}
    with pytest.raises(ValueError, match=field) as caught:
        dt.DocumentTranslationClient(ENDPOINT, **kwargs)
    assert SECRET not in str(caught.value)


async def test_credential_sends_bearer_token(mocked: MockedService, clock: dt.VirtualClock) -> None:
    """With credential= the request carries Authorization: Bearer and no key header."""

    class Token:
        token = "t0k3n"
        expires_on = 4_000_000_000

    class Credential:
        async def get_token(self, *scopes: str) -> Token:
            return Token()

    mocked.get(re.compile(r".*/batches/b1\?.*"), payload=batch_body())
    async with dt.DocumentTranslationClient(ENDPOINT, credential=Credential(), region="westus", clock=clock) as c:
        await c.get_status("b1")
    [(_, _, headers)] = mocked.sent()
    assert headers["Authorization"] == "Bearer t0k3n"
    assert headers["Ocp-Apim-Subscription-Region"] == "westus"
    assert "Ocp-Apim-Subscription-Key" not in headers


# --- the key never shown ------------------------------------------------------------------------------------


@pytest.fixture
async def garbled_http() -> AsyncIterator[str]:
    """A loopback server answering every request with a malformed HTTP header (aiohttp's parser refuses it)."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nBad Header\x01: x\r\n\r\n{}")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    async with server:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"


async def test_parser_errors_do_not_carry_the_key(garbled_http: str) -> None:
    """aiohttp's response errors hold the request headers: they are neither the cause nor the context."""
    async with dt.DocumentTranslationClient(garbled_http, key=SECRET, retry=None) as client:
        with pytest.raises(dt.TransportError) as caught:
            await client.get_status("b1")
    error = caught.value
    assert error.__cause__ is None
    assert error.__context__ is None
    shown = "".join(traceback.format_exception(error))
    assert SECRET not in shown
    assert "ClientResponseError" in str(error)


async def test_key_hidden_from_captured_locals() -> None:
    """A traceback rendered with every frame's locals (pytest -l, rich, Sentry) does not show the key."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with dt.DocumentTranslationClient(f"http://127.0.0.1:{port}", key=SECRET, retry=None) as client:
        with pytest.raises(dt.TransportError) as caught:
            await client.get_status("b1")
    rendered = "".join(traceback.TracebackException.from_exception(caught.value, capture_locals=True).format())
    assert "Ocp-Apim-Subscription-Key" in rendered  # the locals were captured...
    assert SECRET not in rendered  # ...and the key in them is hidden


def test_token_refresh_in_a_second_event_loop() -> None:
    """Two refreshes that contend in one asyncio.run() and again in another both work: the refresh lock is not
    left bound to the first loop."""
    from doctrans_async._auth import TokenAuth
    from doctrans_async._clock import SystemClock

    class Credential:
        async def get_token(self, *scopes: str) -> Any:
            await asyncio.sleep(0)
            return SimpleNamespace(token="tok", expires_on=0)  # expired at once: every call refreshes

    auth = TokenAuth(Credential(), region=None, base={}, clock=SystemClock())

    async def two_at_once() -> list[str]:
        both = await asyncio.gather(auth.headers(), auth.headers())
        return [str(headers["Authorization"]) for headers in both]

    assert asyncio.run(two_at_once()) == ["Bearer tok", "Bearer tok"]
    assert asyncio.run(two_at_once()) == ["Bearer tok", "Bearer tok"]
