"""Fault injection: what the next requests on a route get instead of (or on top of) a normal answer.

A :class:`Fault` is a value; :class:`Faults` holds per-route scripts (exact sequences) and an optional seeded random
source. Faults only change what is *sent*: the simulated service is a function of time, so a faulted page request
changes nothing and retrying the same URL gives the same page.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterable, Sequence
from enum import StrEnum

import attrs

__all__ = ["ROUTES", "Fault", "FaultKind", "Faults"]

ROUTES = frozenset(
    {"status", "documents", "document", "batches", "start", "cancel", "formats", "storagesources", "translate"}
)
"""Route names a fault can be scripted on; ``"*"`` scripts every route at once."""

ANY_ROUTE = "*"


class FaultKind(StrEnum):
    """Every kind of misbehaviour the emulator can put on the wire."""

    HTTP = "http"
    """An error status with the service's error body for it, optionally Retry-After."""
    DROP = "drop"
    """The connection is closed with no response at all."""
    SLOW = "slow"
    """A real (wall-clock) delay, then the normal response."""
    TRUNCATED = "truncated"
    """A 200 whose JSON body is cut in half (Content-Length matches the cut body)."""
    NOT_JSON = "not_json"
    """A 200 with a ``text/plain`` body that is not JSON."""
    EMPTY = "empty"
    """A 200 with an empty body."""
    HTML_502 = "html_502"
    """A 502 ``text/html`` page, as a reverse proxy sends."""
    REPEAT_NEXT_LINK = "repeat_next_link"
    """The page's next link points at the page itself."""
    FOREIGN_NEXT_LINK = "foreign_next_link"
    """The page's next link has the same path on another loopback origin (``http://127.0.0.2:<port>``)."""
    CYCLE_NEXT_LINK = "cycle_next_link"
    """The page (A) links to its real next page (B), and B links back to A, for as long as the faults stay."""


LINK_FAULTS = frozenset({FaultKind.REPEAT_NEXT_LINK, FaultKind.FOREIGN_NEXT_LINK, FaultKind.CYCLE_NEXT_LINK})


@attrs.frozen
class Fault:
    """One injected outcome; build it with the class methods (``Fault.http(503, retry_after=1)``)."""

    kind: FaultKind
    status: int | None = None
    retry_after: int | float | str | None = None
    retry_after_ms: int | None = None
    delay: float = 0.0

    @classmethod
    def http(
        cls,
        status: int,
        *,
        retry_after: int | float | str | None = None,
        retry_after_ms: int | None = None,
    ) -> Fault:
        """An HTTP error ``status`` with the real error body; ``retry_after`` as seconds or an HTTP-date string,
        ``retry_after_ms`` as a ``retry-after-ms`` header."""
        if not 400 <= status <= 599:
            raise ValueError(f"a fault status is 4xx or 5xx, not {status}")
        return cls(FaultKind.HTTP, status, retry_after, retry_after_ms)

    @classmethod
    def drop(cls) -> Fault:
        """Close the connection without answering."""
        return cls(FaultKind.DROP)

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """Wait ``seconds`` of real time (sockets do not share the virtual clock), then answer normally."""
        if seconds < 0:
            raise ValueError(f"a delay is >= 0, not {seconds}")
        return cls(FaultKind.SLOW, delay=seconds)

    @classmethod
    def truncated(cls) -> Fault:
        """Answer 200 with the first half of the JSON body."""
        return cls(FaultKind.TRUNCATED)

    @classmethod
    def not_json(cls) -> Fault:
        """Answer 200 with a body that is not JSON."""
        return cls(FaultKind.NOT_JSON)

    @classmethod
    def empty(cls) -> Fault:
        """Answer 200 with an empty body."""
        return cls(FaultKind.EMPTY)

    @classmethod
    def html_502(cls) -> Fault:
        """Answer 502 with an HTML page, as a proxy in front of the service would."""
        return cls(FaultKind.HTML_502, status=502)

    @classmethod
    def repeat_next_link(cls) -> Fault:
        """Serve the page with a next link pointing at itself."""
        return cls(FaultKind.REPEAT_NEXT_LINK)

    @classmethod
    def foreign_next_link(cls) -> Fault:
        """Serve the page with its next link moved to another origin."""
        return cls(FaultKind.FOREIGN_NEXT_LINK)

    @classmethod
    def cycle_next_link(cls) -> Fault:
        """Serve the page normally but make its next page link back to it (A → B → A)."""
        return cls(FaultKind.CYCLE_NEXT_LINK)

    def retry_headers(self) -> dict[str, str]:
        """The Retry-After headers this fault sends."""
        headers: dict[str, str] = {}
        if self.retry_after is not None:
            headers["Retry-After"] = str(self.retry_after)
        if self.retry_after_ms is not None:
            headers["retry-after-ms"] = str(self.retry_after_ms)
        return headers


DEFAULT_RANDOM_KINDS = (
    Fault.http(429, retry_after=1),
    Fault.http(503, retry_after=1),
    Fault.http(500),
    Fault.drop(),
)


@attrs.define
class _RandomFaults:
    rate: float
    source: random.Random
    kinds: tuple[Fault, ...]
    routes: frozenset[str]

    def draw(self, route: str) -> Fault | None:
        if route not in self.routes or self.source.random() >= self.rate:
            return None
        return self.kinds[self.source.randrange(len(self.kinds))]


class Faults:
    """The fault plan of one emulator: per-route scripts first, then random faults if enabled.

    >>> emulator.faults.script("documents", [Fault.http(503, retry_after=1), None, Fault.drop()])

    gives the next three requests on the documents route a 503, a normal answer, a dropped connection; later ones
    are normal again.
    """

    def __init__(self) -> None:
        self._scripts: dict[str, deque[Fault | None]] = {}
        self._random: _RandomFaults | None = None
        self._cycles: dict[str, str] = {}

    def script(self, route: str, outcomes: Iterable[Fault | None]) -> None:
        """Queue ``outcomes`` for the next requests on ``route`` (``None`` serves one request normally).

        Routes: ``status``, ``documents``, ``document``, ``batches``, ``start``, ``cancel``, ``formats``,
        ``storagesources``, ``translate`` (``POST document:translate``), or ``"*"`` for whichever route comes
        next.

        Appends to what is still queued for that route. ``"*"`` queues for whatever route comes next; a route's own
        script is used before the ``"*"`` one.
        """
        _check_routes([route], wildcard=True)
        self._scripts.setdefault(route, deque()).extend(outcomes)

    def random(
        self,
        *,
        rate: float,
        seed: int = 0,
        kinds: Sequence[Fault] | None = None,
        routes: Iterable[str] | None = None,
    ) -> None:
        """Give each request (on ``routes``, default all) a ``rate`` chance of one of ``kinds``.

        Deterministic for a given seed and request order. Scripted outcomes take precedence and draw nothing.
        """
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"rate is a probability, not {rate}")
        chosen = tuple(kinds) if kinds is not None else DEFAULT_RANDOM_KINDS
        if not chosen:
            raise ValueError("kinds must not be empty")
        wanted = frozenset(routes) if routes is not None else ROUTES
        _check_routes(wanted, wildcard=False)
        self._random = _RandomFaults(rate, random.Random(seed), chosen, wanted)

    def clear(self) -> None:
        """Forget every script, the random plan and any armed link cycle."""
        self._scripts.clear()
        self._random = None
        self._cycles.clear()

    def pending(self, route: str) -> int:
        """How many scripted outcomes are still queued for ``route``."""
        return len(self._scripts.get(route, ()))

    def take(self, route: str) -> Fault | None:
        """The outcome for the request now arriving on ``route`` (consumes one scripted entry)."""
        for name in (route, ANY_ROUTE):
            queue = self._scripts.get(name)
            if queue:
                return queue.popleft()
        return self._random.draw(route) if self._random is not None else None

    def arm_cycle(self, page: str, back_to: str) -> None:
        """From now on the page keyed ``page`` links back to ``back_to``."""
        self._cycles[page] = back_to

    def cycle_link(self, page: str) -> str | None:
        """The link back an armed cycle gives page ``page``, if any."""
        return self._cycles.get(page)


def _check_routes(routes: Iterable[str], *, wildcard: bool) -> None:
    allowed = ROUTES | {ANY_ROUTE} if wildcard else ROUTES
    unknown = sorted(set(routes) - allowed)
    if unknown:
        raise ValueError(f"unknown route(s) {unknown}; known: {sorted(allowed)}")
