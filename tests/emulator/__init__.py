"""Tests of the emulator over real loopback sockets, with a plain aiohttp client (no doctrans_async client code).

The helpers below keep each test about the behaviour it proves: :func:`serve` starts an emulator and a session,
:class:`Probe` sends a request and hands back status, headers and body.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import attrs
from multidict import CIMultiDictProxy
from yarl import URL

from doctrans_async.emulator import Emulator

KEY = "emulator-test-key"
AUTH = {"Ocp-Apim-Subscription-Key": KEY}
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$")
"""The real service's timestamp shape: seven fractional digits and Z."""
VERSIONS = ("v1.0-preview.1", "v1.0", "2024-05-01", "2026-03-01")


@attrs.frozen
class Answer:
    """One response, read in full."""

    status: int
    headers: CIMultiDictProxy[str]
    text: str
    url: str
    data: bytes = b""
    """The body's bytes, for the binary answers of document:translate."""

    def json(self) -> Any:
        return json.loads(self.text)


class Probe:
    """A plain aiohttp client of one emulator."""

    def __init__(self, emulator: Emulator, session: aiohttp.ClientSession) -> None:
        self.emulator = emulator
        self.session = session

    async def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] = AUTH,
        body: Any = None,
        data: bytes | aiohttp.MultipartWriter | None = None,
    ) -> Answer:
        """``method url`` as given (already encoded), with the key unless ``headers`` says otherwise; ``body`` is
        sent as JSON, ``data`` as raw bytes or a multipart form."""
        target = URL(url, encoded=True)
        async with self.session.request(method, target, headers=dict(headers), json=body, data=data) as response:
            raw = await response.read()
            # Every JSON body the emulator sends is UTF-8; a binary one is read through ``data``.
            text = raw.decode("utf-8", "replace")
            return Answer(response.status, response.headers, text, str(response.url), raw)

    async def get(self, url: str, *, headers: Mapping[str, str] = AUTH) -> Answer:
        return await self.send("GET", url, headers=headers)

    def url(self, version: str, path: str, query: str = "") -> str:
        """``path`` (e.g. ``/batches/x/documents``) in ``version``'s layout, with api-version where needed."""
        params = [f"api-version={version}"] if version[0].isdigit() else []
        params += [query] if query else []
        suffix = "?" + "&".join(params) if params else ""
        return f"{self.emulator.base_url(version)}{path}{suffix}"

    async def pages(self, url: str) -> list[Answer]:
        """Every page from ``url`` on, following next links (either key) as given but for their raw spaces, sent
        as ``%20`` (a raw space cannot go in a request line)."""
        pages = [await self.get(url)]
        while (link := _next_link(pages[-1])) is not None:
            pages.append(await self.get(link.replace(" ", "%20")))
        return pages

    async def documents(self, version: str, batch_id: str, query: str = "") -> list[Answer]:
        """Every page of a batch's documents in ``version``'s layout."""
        return await self.pages(self.url(version, f"/batches/{batch_id}/documents", query))


def _next_link(page: Answer) -> str | None:
    body = page.json()
    link: str | None = body.get("@nextLink", body.get("nextLink"))
    return link


@asynccontextmanager
async def serve(**options: Any) -> AsyncIterator[Probe]:
    """An emulator (key :data:`KEY` unless given) and a client session for it, both closed afterwards."""
    options.setdefault("key", KEY)
    # force_close: each request on its own connection, so a dropped connection is one request's business.
    connector = aiohttp.TCPConnector(force_close=True)
    async with Emulator(**options) as emulator, aiohttp.ClientSession(connector=connector) as session:
        yield Probe(emulator, session)
