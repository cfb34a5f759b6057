"""Helpers shared by the tests: constants, a mocked aiohttp layer that works on aiohttp 3.14, body builders."""

from __future__ import annotations

import inspect
from typing import Any

from aiohttp import ClientResponse
from aioresponses import aioresponses

ENDPOINT = "https://unit.test"
"""A host that does not exist: aioresponses answers for it, nothing leaves the machine."""

SECRET = "s3cr3t-key-0123456789abcdef"
"""A recognisable key, so tests can assert it appears nowhere it must not."""


class _NoStreamWriter:
    output_size = 0


class _CompatResponse(ClientResponse):
    # aiohttp 3.14 made ClientResponse's 'stream_writer' required and aioresponses 0.7.9 does not pass it
    # (pnuckowski/aioresponses#289); a finished, empty writer is what a mocked response has.
    def __init__(self, method: str, url: Any, **kwargs: Any) -> None:
        if "stream_writer" in inspect.signature(ClientResponse.__init__).parameters:
            kwargs.setdefault("stream_writer", _NoStreamWriter())
        super().__init__(method, url, **kwargs)


class MockedService(aioresponses):
    """aioresponses, working on aiohttp 3.14, with the requests it saw easy to read."""

    def add(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("response_class", _CompatResponse)
        super().add(*args, **kwargs)

    def sent(self) -> list[tuple[str, str, dict[str, str]]]:
        """(method, URL, headers) of every request made, in order of first registration."""
        return [
            (method, str(url), dict(call.kwargs.get("headers") or {}))
            for (method, url), calls in self.requests.items()
            for call in calls
        ]


def batch_body(status: str = "Running", *, batch_id: str = "b1", success: int = 0, total: int = 4) -> dict[str, Any]:
    """A batch status body as the service sends it."""
    return {
        "id": batch_id,
        "createdDateTimeUtc": "2024-10-11T02:18:42.6957534Z",
        "lastActionDateTimeUtc": "2024-10-11T02:19:42.1234567Z",
        "status": status,
        "summary": {
            "total": total,
            "failed": 0,
            "success": success,
            "inProgress": total - success,
            "notYetStarted": 0,
            "cancelled": 0,
            "totalCharacterCharged": 10 * success,
        },
    }


def document_body(doc_id: str, status: str = "Succeeded") -> dict[str, Any]:
    """A document status body as the service sends it."""
    return {
        "path": f"https://store.blob.core.windows.net/target/{doc_id}.txt",
        "sourcePath": f"https://store.blob.core.windows.net/source/{doc_id}.txt",
        "createdDateTimeUtc": "2024-10-11T02:18:42.6957534Z",
        "lastActionDateTimeUtc": "2024-10-11T02:19:42.1234567Z",
        "status": status,
        "to": "fr",
        "progress": 1,
        "id": doc_id,
        "characterCharged": 27,
    }
