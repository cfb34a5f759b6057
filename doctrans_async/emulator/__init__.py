"""A local emulator of the Document Translation batch service, for tests and demos without an Azure account.

It serves every API version's URL layout on one loopback port, with the real service's wire shapes, headers,
paging and errors, and batches that progress in simulated time::

    async with Emulator(clock=clock) as emu:
        batch_id = emu.add_batch(documents=100, seconds=3600, failures=3)
        ...  # point a client at emu.endpoint with emu.key

Share one :class:`~doctrans_async._clock.VirtualClock` between the client and the emulator and an hour-long batch
completes as fast as the client polls. ``POST document:translate`` (2024-05-01 on) translates one uploaded document
at once, recognisably: each line of a text document comes back prefixed ``[<targetLanguage>] ``.
:attr:`Emulator.faults` scripts failures per route; :attr:`Emulator.requests` logs what arrived. Run it
standalone with ``python -m doctrans_async.emulator``.
"""

from __future__ import annotations

import contextlib
import secrets
from collections import deque
from collections.abc import Iterable
from types import TracebackType
from typing import Unpack

from aiohttp import web

from doctrans_async._clock import Clock, SystemClock
from doctrans_async.emulator._app import make_app
from doctrans_async.emulator._document_translate import MAX_DOCUMENT_BYTES
from doctrans_async.emulator._faults import Fault, FaultKind, Faults
from doctrans_async.emulator._site import RequestRecord, Settings, Site
from doctrans_async.emulator._state import Batch, BatchOptions, Outcome, Service, Status
from doctrans_async.emulator._wire import LAYOUTS, RETRY_AFTER_SECONDS

__all__ = ["BatchOptions", "Emulator", "Fault", "FaultKind", "Faults", "Outcome", "RequestRecord", "Status"]


class Emulator:
    """The emulated service; an async context manager that listens on ``host:port`` (port 0: any free port).

    Args:
        host: where to listen; loopback unless you mean otherwise.
        port: the port, 0 for a free one (read it back from :attr:`port`).
        clock: the time batches progress in (default: the system clock).
        key: the ``Ocp-Apim-Subscription-Key`` accepted (default: a random token, see :attr:`key`).
        tokens: bearer tokens accepted in ``Authorization: Bearer …``.
        page_size: the server page size of list routes (the real one is 50).
        retry_after: seconds sent as ``Retry-After`` on the status of a batch in progress, in 2024-05-01 and
            later (the real service sends 1, the default; its recorded v1.x polls carry none); None sends none.
        seed: makes batch and document ids, failing documents and timestamps' last digit reproducible.
        start_documents, start_seconds, start_failures: the shape of batches started through ``POST batches``.
        cancel_seconds: simulated time a cancel spends in Cancelling.
        foreign_host: the host of foreign-origin next links; also served (best effort) when listening on
            127.0.0.1, so a client that follows one shows up in :attr:`requests`.
        log_limit: how many requests :attr:`requests` keeps (the oldest go first); None keeps all, which a
            long-running emulator under load should not.
        max_document_bytes: the largest document ``POST document:translate`` accepts (default 10 MiB, the real
            synchronous limit of "10 MB"); a larger one is refused with 413 as soon as the limit is passed.
        raw_space_links: write next links as the real service does, with the order's space unencoded
            (``orderBy=createdDateTimeUtc asc``); False encodes it as ``%20``.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Clock | None = None,
        key: str | None = None,
        tokens: Iterable[str] = (),
        page_size: int = 50,
        retry_after: int | None = RETRY_AFTER_SECONDS,
        seed: int = 0,
        start_documents: int = 10,
        start_seconds: float = 10.0,
        start_failures: int = 0,
        cancel_seconds: float = 2.0,
        foreign_host: str = "127.0.0.2",
        log_limit: int | None = 100_000,
        max_document_bytes: int = MAX_DOCUMENT_BYTES,
        raw_space_links: bool = True,
    ) -> None:
        if page_size < 1:
            raise ValueError(f"page_size must be >= 1, not {page_size}")
        if max_document_bytes < 0:
            raise ValueError(f"max_document_bytes must be >= 0, not {max_document_bytes}")
        self.host = host
        self._wanted_port = port
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.key = key if key is not None else secrets.token_hex(16)
        settings = Settings(
            key=self.key,
            tokens=frozenset(tokens),
            page_size=page_size,
            retry_after=retry_after,
            start_documents=start_documents,
            start_seconds=start_seconds,
            start_failures=start_failures,
            foreign_host=foreign_host,
            max_document_bytes=max_document_bytes,
            raw_space_links=raw_space_links,
        )
        service = Service(seed=seed, cancel_seconds=cancel_seconds)
        self._site = Site(service, self.clock, Faults(), settings, deque(maxlen=log_limit))
        self.app: web.Application = make_app(self._site)
        """The aiohttp application, for embedding in your own runner instead of :meth:`start`."""
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    @property
    def faults(self) -> Faults:
        """The fault plan: ``emu.faults.script("documents", [Fault.http(503, retry_after=1), None])``."""
        return self._site.faults

    @property
    def requests(self) -> list[RequestRecord]:
        """The requests received so far (the last ``log_limit``), oldest first, as a copy."""
        return list(self._site.log)

    def reset_log(self) -> None:
        """Forget the requests received so far."""
        self._site.log.clear()

    @property
    def port(self) -> int:
        """The port listened on (known once started)."""
        if self._port is None:
            raise RuntimeError("the emulator is not started")
        return self._port

    @property
    def endpoint(self) -> str:
        """The service endpoint to give a client, e.g. ``http://127.0.0.1:54321`` (no trailing slash)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def base_url(self, version: str = "2024-05-01") -> str:
        """The URL ``/batches`` hangs off in ``version``'s layout (2024+ also needs ``?api-version=``)."""
        return f"{self.endpoint}{LAYOUTS[version].base_path}"

    def batch_url(self, batch_id: str, version: str = "2024-05-01") -> str:
        """The status URL of a batch in ``version``'s layout (v1.x's ``Operation-Location`` names another path,
        ``/translatortext/batch/...``, served too)."""
        query = f"?api-version={version}" if LAYOUTS[version].in_query else ""
        return f"{self.base_url(version)}/batches/{batch_id}{query}"

    def add_batch(self, **options: Unpack[BatchOptions]) -> str:
        """Seed a batch created now; returns its id.

        Keywords (all optional): ``documents``, a count or a list of file names (default 10); ``seconds`` of
        emulator-clock time the batch runs (default 10.0): NotStarted, then Running while documents start and
        finish, then Succeeded (Failed if every document failed); ``failures``, how many documents end Failed with a
        document error (default 0); ``outcome``: ``"Succeeded"`` (default), ``"Failed"`` fails them all,
        ``"ValidationFailed"`` makes the batch fail validation at once, with a recorded error: ``validation_error``
        names which (``"InvalidDocumentAccessLevel"``, the default, ``"InvalidTargetDocumentAccessLevel"`` or
        ``"TargetFileAlreadyExists"``);
        ``target_language`` (default ``"fr"``); ``batch_id``, a GUID (default: drawn from the seed);
        ``source_url`` and ``target_url``, the containers the documents' paths are in.
        """
        batch = self._site.service.add(now=self.clock.monotonic(), utcnow=self.clock.utcnow(), **options)
        return batch.id

    def cancel_batch(self, batch_id: str) -> None:
        """Cancel a batch as ``DELETE batches/{id}`` would (raises KeyError if unknown)."""
        self._batch(batch_id).cancel(self.clock.monotonic())

    def batch_status(self, batch_id: str) -> Status:
        """A batch's status now, without a request (raises KeyError if unknown)."""
        return self._batch(batch_id).view(self.clock.monotonic()).status

    def _batch(self, batch_id: str) -> Batch:
        batch = self._site.service.get(batch_id)
        if batch is None:
            raise KeyError(batch_id)
        return batch

    async def start(self) -> None:
        """Listen on ``host:port``; idempotent."""
        if self._runner is not None:
            return
        # A handler still running at close (a Fault.slow, say) is cancelled after 0.25 s, not the default 60.
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=0.25)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self._wanted_port)
            await site.start()
            self._port = _bound_port(runner)
            await self._serve_foreign_origin(runner)
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner

    async def _serve_foreign_origin(self, runner: web.AppRunner) -> None:
        # Where 127.0.0.2 exists (Linux), answering there lets a test see a client leak its key to another origin.
        if self.host != "127.0.0.1":
            return
        with contextlib.suppress(OSError):
            await web.TCPSite(runner, self._site.settings.foreign_host, self.port).start()

    async def close(self) -> None:
        """Stop listening and close open connections; idempotent."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        where = self.endpoint if self._port is not None else "not started"
        return f"Emulator({where})"


def _bound_port(runner: web.AppRunner) -> int:
    for address in runner.addresses:
        if isinstance(address, tuple):
            return int(address[1])
    raise RuntimeError("the emulator is not listening on a TCP port")
