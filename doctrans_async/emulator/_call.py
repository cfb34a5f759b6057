"""The contract between the aiohttp plumbing and a route: the resolved request a route gets, the reply it gives."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import attrs
from aiohttp import web

from doctrans_async.emulator._listing import Filters, Paging, Query, next_link_query
from doctrans_async.emulator._site import Site
from doctrans_async.emulator._state import Batch
from doctrans_async.emulator._wire import ApiError, Layout, error_body

__all__ = ["Call", "Reply", "Route"]


@attrs.define
class Reply:
    """What a route answers, before faults and serialization."""

    status: int
    body: dict[str, Any] | None
    headers: dict[str, str] = attrs.Factory(dict)
    next_link: str | None = None
    next_link_key: str | None = None
    """Set on a page: the key its next link goes under (even when it has none, for link faults)."""
    data: bytes | None = None
    """A binary body (sent as ``application/octet-stream``) instead of the JSON ``body``."""


@attrs.frozen
class Call:
    """One request, resolved: what a route needs to answer it."""

    request: web.Request
    site: Site
    layout: Layout
    now: float

    @property
    def origin(self) -> str:
        return f"{self.request.scheme}://{self.request.host}"

    @property
    def query(self) -> Query:
        return Query(self.request.query)

    def batch(self) -> Batch:
        batch = self.site.service.get(self.request.match_info["batch_id"])
        if batch is None:
            message = "The requested batch was not found."
            raise ApiError(404, error_body("ResourceNotFound", message, "Operation"))
        return batch

    def operation_location(self, batch_id: str) -> str:
        """The ``Operation-Location`` of a started batch, as the real service writes it for this version."""
        suffix = f"?api-version={self.layout.version}" if self.layout.in_query else ""
        return f"{self.origin}{self.layout.operation_base}/batches/{batch_id}{suffix}"

    def page(self, items: list[dict[str, Any]], following: Paging | None, filters: Filters, key: str) -> Reply:
        """A page of ``items``, linking to the page ``following`` describes (None: the last page, no link)."""
        link = None
        if following is not None:
            query = next_link_query(self.layout, following, filters, raw_spaces=self.site.settings.raw_space_links)
            link = f"{self.origin}{self.request.rel_url.raw_path}?{query}"
        return Reply(200, {"value": items}, next_link=link, next_link_key=key)


Route = Callable[[Call], Awaitable[Reply]]
