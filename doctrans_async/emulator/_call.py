"""The contract between the aiohttp plumbing and a route: the resolved request a route gets, the reply it gives."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import quote

import attrs
from aiohttp import web

from doctrans_async.emulator._listing import Paging
from doctrans_async.emulator._site import Site
from doctrans_async.emulator._state import Batch
from doctrans_async.emulator._wire import ApiError, Dialect, error_body

__all__ = ["Call", "Reply", "Route"]


@attrs.define
class Reply:
    """What a route answers, before faults and serialization."""

    status: int
    body: dict[str, Any] | None
    headers: dict[str, str] = attrs.Factory(dict)
    next_link: str | None = None
    paged: bool = False
    data: bytes | None = None
    """A binary body (sent as ``application/octet-stream``) instead of the JSON ``body``."""


@attrs.frozen
class Call:
    """One request, resolved: what a route needs to answer it."""

    request: web.Request
    site: Site
    dialect: Dialect
    now: float

    @property
    def origin(self) -> str:
        return f"{self.request.scheme}://{self.request.host}"

    @property
    def query(self) -> Mapping[str, str]:
        return self.request.query

    def batch(self) -> Batch:
        batch = self.site.service.get(self.request.match_info["batch_id"])
        if batch is None:
            message = "The requested batch was not found."
            raise ApiError(404, error_body("ResourceNotFound", message, "Operation"))
        return batch

    def batch_url(self, batch_id: str) -> str:
        suffix = f"?api-version={self.dialect.version}" if self.dialect.in_query else ""
        return f"{self.origin}{self.dialect.base}/batches/{batch_id}{suffix}"

    def page(self, items: list[dict[str, Any]], following: Paging | None) -> Reply:
        link = self.next_link(following) if following is not None else None
        return Reply(200, {"value": items}, next_link=link, paged=True)

    def next_link(self, paging: Paging) -> str:
        """This request's URL on its own origin with the paging moved on, every other parameter kept."""
        d = self.dialect
        paging_names = {d.top, d.skip, d.max_page_size}
        pairs = [(k, v) for k, v in self.query.items() if k not in paging_names]
        pairs.append((d.skip, str(paging.skip)))
        if paging.top is not None:
            pairs.append((d.top, str(paging.top)))
        if paging.max_page_size is not None and d.max_page_size is not None:
            pairs.append((d.max_page_size, str(paging.max_page_size)))
        query = "&".join(f"{quote(k, safe='$')}={quote(v, safe=',:')}" for k, v in pairs)
        return f"{self.origin}{self.request.rel_url.raw_path}?{query}"


Route = Callable[[Call], Awaitable[Reply]]
