"""A hostile HTTP server for tests: raw asyncio sockets, every response scripted byte by byte."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable

import attrs

from tests.support import batch_body, document_body

__all__ = ["HOSTILE", "Script", "Seen", "hostile", "hostile_service", "http"]

Script = Callable[["Seen"], bytes]
"""What the server answers, as raw bytes, to a request it has read."""


@attrs.frozen
class Seen:
    """A request as the hostile server read it."""

    method: str
    target: str
    headers: dict[str, str]

    @property
    def credential(self) -> str:
        """What the client authenticated with, as sent: the key, or the Authorization header's value."""
        return self.headers.get("ocp-apim-subscription-key") or self.headers.get("authorization", "")


def http(status: int, body: bytes | str, headers: dict[str, str] | None = None, reason: str = "Nope") -> bytes:
    """A complete HTTP/1.1 response, closing the connection."""
    data = body.encode() if isinstance(body, str) else body
    lines = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(data)}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


@contextlib.asynccontextmanager
async def hostile(script: Script, *, stall: bool = False) -> AsyncIterator[str]:
    """A loopback server answering each request with ``script``'s bytes; yields its origin. With ``stall``, the
    connection is then held open until the block ends (an answer whose body never finishes arriving), instead
    of closed (one whose connection dropped)."""
    release = asyncio.Event()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            request_line, *header_lines = head.strip().split("\r\n")
            headers = {}
            for line in header_lines:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            await reader.readexactly(int(headers.get("content-length", "0")))
            method, target, _ = request_line.split(" ")
            writer.write(script(Seen(method, target, headers)))
            await writer.drain()
            if stall:
                await release.wait()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    async with server:
        try:
            yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        finally:
            release.set()


HOSTILE = "\x1b]0;pwned\x07\x1b[2J\x1b[31m\u202e\r"
"""An OSC window title, clear screen, red, a bidi override and a carriage return."""


def hostile_service(seen: Seen) -> bytes:
    """A batch whose id, status text, validation error and documents all carry terminal escapes and markup."""
    if "/documents" in seen.target:
        document = document_body(f"doc{HOSTILE}", "Failed") | {
            "error": {"code": f"Code{HOSTILE}", "message": f"[link=https://evil.example]click[/link]{HOSTILE}"},
            "path": f"https://store/{HOSTILE}",
        }
        return http(200, json.dumps({"value": [document]}), reason="OK")
    body = batch_body("Succeeded", batch_id=f"b1{HOSTILE}", success=3, total=4)
    body["summary"] |= {"failed": 1, "inProgress": 0}
    body["error"] = {"code": f"E{HOSTILE}", "message": f"bad{HOSTILE}", "innerError": {"code": HOSTILE, "message": "m"}}
    return http(200, json.dumps(body), reason="OK")
