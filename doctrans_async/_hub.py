"""Polling at scale: one poll stream per batch per client, and many batches per request.

Every ``watch``/``wait_for_completion`` on one client (and each wait of ``wait_all``/``as_completed``) joins the
:class:`PollHub` as a :class:`Waiter` of its batch's :class:`Stream`: twenty waits on one batch cost what one
costs. One poller task decides which streams are due and sends their requests; each request's answer is handed
to every waiter of the batches it served. On versions whose batch listing has the ``ids`` filter, the batches due
in one round are fetched together, up to :data:`MAX_IDS` per ``GET /batches?ids=...``; a batch the listing does
not return, or whose listing failed, is polled on its own from then on (so its error is its own: a 404 is that
batch's ``NotFoundError``).

A waiter keeps its own deadline, ``on_status`` and cancellation: it waits on the stream with its own deadline,
and a stream's request runs under the latest deadline of its waiters (none if one has none), so one waiter's
deadline never cuts a request the others still need. A stream stops when its last waiter leaves. Each request
is reported in the context of one waiter of the batches it serves (a tracer nests it under that wait's span),
and each batch's poll in the context of one of its own waiters.
"""

from __future__ import annotations

import asyncio
import contextvars
import copy
import logging
import math
import re
from collections import deque
from collections.abc import Callable, Coroutine, Sequence
from datetime import datetime
from typing import Any, TypeVar

from doctrans_async._clock import Deadline, DeadlineReached, slept
from doctrans_async._errors import ClientClosedError, DocumentTranslationError, PollingTimeoutError, TransportError
from doctrans_async._events import PollEvent
from doctrans_async._models import BatchStatus
from doctrans_async._paging import Cursor
from doctrans_async._pipeline import Pipeline
from doctrans_async._polling import PollPolicy, PollSchedule
from doctrans_async._sansio import Endpoint, Request, Response, parse_batch_page, parse_batch_poll
from doctrans_async._versions import layout_of

__all__ = ["MAX_IDS", "PollHub", "Stream", "Waiter", "plan_round"]

logger = logging.getLogger("doctrans_async")

MAX_IDS = 25
"""The most ids one listing's ``ids`` filter takes, in every version that has the filter (v1.0 and later)."""

EARLY = 0.25
"""A batch may be polled up to this fraction of its interval early, so that it shares a round with others."""

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")

T = TypeVar("T")


def plan_round(due: Sequence[T], coalescable: Callable[[T], bool], limit: int = MAX_IDS) -> list[list[T]]:
    """The requests of one round, pure: each coalescable item in groups of up to ``limit``, in order, every other
    alone; a group of one is sent alone too (its own ``GET`` carries ``Retry-After`` and its exact error)."""
    together = [item for item in due if coalescable(item)]
    groups = [together[start : start + limit] for start in range(0, len(together), limit)]
    alone = [[item] for item in due if not coalescable(item)]
    return [*(group for group in groups if len(group) > 1), *(group for group in groups if len(group) == 1), *alone]


class Waiter:
    """One call waiting on a batch: what the stream has given it, and how its wait ended (if it has)."""

    __slots__ = ("context", "deadline", "end", "inbox", "last", "ready")

    def __init__(self, deadline: Deadline) -> None:
        self.deadline = deadline
        self.context = contextvars.copy_context()
        """The waiter's context when it joined: its requests and polls are reported in (a copy of) it."""
        self.inbox: deque[BatchStatus] = deque()
        self.last: BatchStatus | None = None
        self.end: BaseException | None = None
        self.ready = asyncio.Event()

    @property
    def live(self) -> bool:
        """Whether the wait still needs statuses."""
        return self.end is None

    def put(self, status: BatchStatus) -> None:
        self.inbox.append(status)
        self.last = status
        self.ready.set()

    def fail(self, error: BaseException) -> None:
        if self.end is None:
            self.end = error
            self.ready.set()


class Stream:
    """The polling of one batch for every waiter on it: the last status, the schedule and when it is due."""

    def __init__(self, batch_id: str, request: Request, *, coalescable: bool) -> None:
        self.batch_id = batch_id
        self.request = request
        self.key = batch_id.lower()
        self.solo = not coalescable
        self.waiters: list[Waiter] = []
        self.latest: BatchStatus | None = None
        self.schedule: PollSchedule | None = None
        self.due = -math.inf
        self.earliest = -math.inf
        self.in_flight = False
        self.task: asyncio.Task[None] | None = None
        self.sharing: Sequence[Stream] = ()
        """The streams whose request is in flight in ``task`` (this one among them): a listing serves several."""

    def live(self) -> list[Waiter]:
        return [waiter for waiter in self.waiters if waiter.live]

    def timeout_error(self, waiter: Waiter) -> PollingTimeoutError:
        """What a waiter whose own deadline passed raises: its last status, and the poll in flight as the cause."""
        seconds = waiter.deadline.seconds or 0.0
        last = waiter.last
        if self.in_flight:
            cut = TransportError("the call's deadline passed with the poll in flight", url=self.request.url)
            error = PollingTimeoutError(f"the deadline of {seconds:g}s passed while polling ({cut})", last_status=last)
            error.__cause__ = cut
            return error
        if last is None:
            return PollingTimeoutError(f"the deadline of {seconds:g}s passed", last_status=None)
        return PollingTimeoutError(f"batch {last.id} was still {last.status} after {seconds:g}s", last_status=last)


class PollHub:
    """Every stream of one client, and the poller task that sends their requests."""

    def __init__(self, pipeline: Pipeline, endpoint: Endpoint, policy: PollPolicy, max_pages: int) -> None:
        self.pipeline = pipeline
        self._endpoint = endpoint
        self._policy = policy
        self._max_pages = max_pages
        self._coalesce = layout_of(endpoint.version).has_filters
        self._streams: dict[str, Stream] = {}
        self._poller: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def idle(self) -> bool:
        """Whether nothing is being polled: no stream, no request out, no poller running."""
        poller_done = self._poller is None or self._poller.done()
        return not self._streams and not self._tasks and poller_done

    # --- waiters --------------------------------------------------------------------------------------------

    def join(self, batch_id: str, request: Request, deadline: Deadline) -> tuple[Stream, Waiter]:
        """Add a waiter on ``batch_id`` (polled by ``request`` when alone); it gets the latest status at once."""
        stream = self._streams.get(batch_id)
        if stream is None:
            coalescable = self._coalesce and _UUID.match(batch_id) is not None
            stream = self._streams[batch_id] = Stream(batch_id, request, coalescable=coalescable)
        waiter = Waiter(deadline)
        if stream.latest is not None:
            waiter.put(stream.latest)
        stream.waiters.append(waiter)
        self._kick()
        return stream, waiter

    def leave(self, stream: Stream, waiter: Waiter) -> None:
        """Remove a waiter; the last one to leave stops its stream (and cancels a request only it needed)."""
        stream.waiters.remove(waiter)
        if not stream.waiters:
            self._stop(stream)

    def _stop(self, stream: Stream) -> None:
        if self._streams.get(stream.batch_id) is stream:
            del self._streams[stream.batch_id]
            if not self._streams:
                self._streams = {}  # a dict keeps the table of its largest size: let a thousand waits' go
        task = stream.task
        if task is not None and task is not asyncio.current_task() and not any(map(self._polled, stream.sharing)):
            task.cancel()  # no stream still wants what it fetches
        self._wake.set()

    def _polled(self, stream: Stream) -> bool:
        return self._streams.get(stream.batch_id) is stream

    # --- the poller -----------------------------------------------------------------------------------------

    def _kick(self) -> None:
        loop = asyncio.get_running_loop()
        if self._poller is None or self._poller.done() or self._loop is not loop:
            # A fresh event per loop: a client may be used in a second asyncio.run().
            self._wake, self._loop = asyncio.Event(), loop
            # An empty context: the poller reports nothing itself; each request runs in a waiter's context.
            self._poller = loop.create_task(self._run(), context=contextvars.Context())
        self._wake.set()

    async def _run(self) -> None:
        try:
            while self._streams:
                self._wake.clear()
                self._launch(self.pipeline.clock.monotonic())
                await self._pause()
        except Exception as error:  # a bug here must end the waits, not leave them hanging
            for stream in list(self._streams.values()):
                self._fail(stream, error)
            raise

    async def _pause(self) -> None:
        """Until a stream is due, a waiter's deadline passes, or something changes (an answer, a join)."""
        clock = self.pipeline.clock
        streams = [stream for stream in self._streams.values() if stream.live()]
        idle = [stream.due for stream in streams if not stream.in_flight]
        ends = [w.deadline.at for stream in streams for w in stream.live() if w.deadline.at is not None]
        target = min([*idle, *ends], default=None)
        if target is None:
            await self._wake.wait()
            return
        if any(stream.in_flight for stream in streams):
            # Time is not ours to move while requests are out: a virtual clock moves with whoever sleeps.
            try:
                async with clock.timeout_at(target):
                    await self._wake.wait()
                return
            except TimeoutError:
                pass
        elif not await slept(clock.sleep(target - clock.monotonic()), self._wake):
            return
        for stream in streams:
            for waiter in stream.live():
                if waiter.deadline.at is not None and waiter.deadline.at <= target:
                    waiter.fail(stream.timeout_error(waiter))

    def _launch(self, now: float) -> None:
        candidates = [s for s in self._streams.values() if not s.in_flight and s.live() and s.earliest <= now]
        if not any(stream.due <= now for stream in candidates):
            return
        for group in plan_round(candidates, lambda stream: not stream.solo):
            fetch = self._fetch_one(group[0]) if len(group) == 1 else self._fetch_group(group)
            task = self._start(fetch, group[0])
            for stream in group:
                stream.in_flight, stream.task, stream.sharing = True, task, group

    def _start(self, fetch: Coroutine[Any, Any, None], stream: Stream) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(fetch, context=stream.live()[0].context.copy())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _deadline_of(self, streams: Sequence[Stream]) -> Deadline:
        """The latest deadline of the streams' waiters: a request none of them can use any more is not sent on."""
        deadlines = [waiter.deadline for stream in streams for waiter in stream.live()]
        if not deadlines or any(deadline.at is None for deadline in deadlines):
            return Deadline(self.pipeline.clock, None)
        return max(deadlines, key=lambda deadline: deadline.at or 0.0)

    # --- requests -------------------------------------------------------------------------------------------

    async def _fetch_one(self, stream: Stream) -> None:
        deadline = self._deadline_of([stream])
        try:
            status, retry_after = await self.pipeline.call(stream.request, deadline, parse_batch_poll)
            self._receive(stream, status, retry_after, (stream.batch_id,))
        except DeadlineReached as reached:
            self._cut(stream, deadline, reached)
        except Exception as error:
            self._fail(stream, error)
        finally:
            self._settle([stream])

    async def _fetch_group(self, group: list[Stream]) -> None:
        try:
            await self._serve_group(group)
        finally:  # however it ends, cancelled included: a stream left in flight would never be polled again
            self._settle(group)

    async def _serve_group(self, group: list[Stream]) -> None:
        deadline = self._deadline_of(group)
        request = self._endpoint.batches(ids=[stream.batch_id for stream in group], page_size=len(group))
        cursor = Cursor[Any](self._endpoint, request, top=None, max_pages=self._max_pages)
        version = self._endpoint.version

        def parse(request: Request, response: Response, now: datetime) -> Any:
            return parse_batch_page(request, response, now, version)

        found: dict[str, BatchStatus] = {}
        try:
            while (page_request := cursor.request) is not None:
                page = cursor.receive(await self.pipeline.call(page_request, deadline, parse))
                found.update((status.id.lower(), status) for status in page.items)
        except DeadlineReached as reached:
            for stream in group:
                self._cut(stream, deadline, reached)
            return
        except DocumentTranslationError as error:
            # The listing is given up (its retries spent), the statuses of the pages it did get still being
            # good: each batch they did not name is polled on its own from now on.
            logger.debug("listing %d batches failed, polling the rest on their own: %s", len(group), error)
        except Exception as error:  # not the service's doing (a hook raising, a bug): every waiter's error
            for stream in group:
                self._fail(stream, error)
            return
        served = tuple(found[stream.key].id for stream in group if stream.key in found)
        for stream in group:
            status = found.get(stream.key)
            if status is None:
                stream.solo, stream.due, stream.earliest = True, -math.inf, -math.inf
                continue
            try:
                self._receive(stream, status, None, served)
            except Exception as error:
                self._fail(stream, error)

    def _settle(self, streams: Sequence[Stream]) -> None:
        for stream in streams:
            stream.in_flight, stream.task, stream.sharing = False, None, ()
        self._wake.set()

    # --- answers --------------------------------------------------------------------------------------------

    def _receive(self, stream: Stream, status: BatchStatus, retry_after: float | None, served: tuple[str, ...]) -> None:
        if self._streams.get(stream.batch_id) is not stream:
            return  # its last waiter left while the request was out
        clock = self.pipeline.clock
        now = clock.monotonic()
        if stream.schedule is None:
            # The batch's age, not the wait's: a wait that starts late on an old batch begins with slow polls.
            age = max(0.0, (clock.utcnow() - status.created_at).total_seconds())
            stream.schedule = PollSchedule(self._policy, now - age)
        stream.latest = status
        waiters = []
        for waiter in stream.live():
            if waiter.deadline.expired():  # it came after this waiter's deadline, which it must not outlive
                waiter.fail(stream.timeout_error(waiter))
            else:
                waiter.put(status)
                waiters.append(waiter)
        if status.is_terminal or not waiters:
            self._stop(stream)
            return
        schedule = stream.schedule
        wait = schedule.next_wait(status, retry_after=retry_after, now=now)
        floor = min(retry_after, wait) if retry_after is not None else 0.0
        stream.due, stream.earliest = now + wait, now + max(wait * (1 - EARLY), floor)
        if logger.isEnabledFor(logging.DEBUG):
            shown = self.pipeline.secrets.redactor.value((status.id, status.status))
            logger.debug("batch %s is %s; next poll in %.3fs (%s)", *shown, wait, schedule.reason)
        event = PollEvent(status.id, status.status, wait, schedule.reason, served)
        waiters[0].context.copy().run(self.pipeline.emit, event)

    def _cut(self, stream: Stream, deadline: Deadline, reached: DeadlineReached) -> None:
        """The request's deadline (the latest of its waiters') stopped it: every waiter it was sent for times out;
        a waiter that joined since with a later deadline keeps the stream going."""
        cut = f" while polling ({reached.error})" if reached.error is not None else ""
        for waiter in stream.live():
            at = waiter.deadline.at
            if at is not None and deadline.at is not None and at <= deadline.at:
                seconds = waiter.deadline.seconds or 0.0
                error = PollingTimeoutError(f"the deadline of {seconds:g}s passed{cut}", last_status=waiter.last)
                error.__cause__ = reached.error
                waiter.fail(error)
        stream.due = stream.earliest = -math.inf

    def close(self) -> None:
        """The client is closing: every wait still on a stream ends now, with :class:`ClientClosedError`, rather
        than at its next poll (which could be minutes away)."""
        for stream in list(self._streams.values()):
            self._fail(stream, ClientClosedError("the DocumentTranslationClient was closed while waiting"))

    def _fail(self, stream: Stream, error: Exception) -> None:
        """A failure no retry cured is every waiter's own error (a copy each past the first, so that tracebacks
        raised in many tasks do not pile up on one object)."""
        for n, waiter in enumerate(stream.live()):
            waiter.fail(error if n == 0 else _own_copy(error))
        self._stop(stream)


def _own_copy(error: Exception) -> Exception:
    try:
        twin = copy.copy(error)
    except Exception:  # an exception that cannot be copied is shared as it is
        return error
    twin.__cause__, twin.__suppress_context__ = error.__cause__, error.__suppress_context__
    return twin.with_traceback(error.__traceback__)
