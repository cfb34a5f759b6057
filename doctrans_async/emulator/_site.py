"""What every request is served from: the emulator's settings, its shared state, and the request log's records."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping

import attrs

from doctrans_async._clock import Clock
from doctrans_async.emulator._faults import FaultKind, Faults
from doctrans_async.emulator._state import Service

__all__ = ["RequestRecord", "Settings", "Site"]


@attrs.frozen
class RequestRecord:
    """One request as the emulator saw it, credentials redacted."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    """A copy of the request headers with the key and token values replaced by ``REDACTED``."""
    host: str
    """The Host the request came to (``127.0.0.2:<port>`` for a followed foreign-origin link)."""
    route: str | None
    """The fault route name (``"documents"``…), None for a path the service does not have."""
    authorized: bool
    """It carried the emulator's key or an accepted bearer token."""
    sent_credentials: bool
    """It carried a key or Authorization header at all, right or wrong (what a leak check wants)."""
    status: int | None
    """The response status; None while the request is being answered, or when the connection was dropped."""
    fault: FaultKind | None


@attrs.define
class Settings:
    """The emulator's knobs that routes read."""

    key: str
    tokens: frozenset[str]
    page_size: int
    retry_after: int | None
    start_documents: int
    start_seconds: float
    start_failures: int
    foreign_host: str
    max_document_bytes: int
    raw_space_links: bool


@attrs.define
class Site:
    """Everything a request is served from."""

    service: Service
    clock: Clock
    faults: Faults
    settings: Settings
    log: deque[RequestRecord] = attrs.Factory(deque)
