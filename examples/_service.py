"""Where the examples find a service: ``DOCTRANS_ENDPOINT``/``DOCTRANS_KEY`` when set, else an emulator in-process.

With no Azure resource at hand (or on a plane) every example still runs, against
:class:`doctrans_async.emulator.Emulator` on this machine, with a few batches seeded for it to work on.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Callable

from doctrans_async import DocumentTranslationClient
from doctrans_async.emulator import Emulator

__all__ = ["service"]


@contextlib.asynccontextmanager
async def service(seed: Callable[[Emulator], list[str]]) -> AsyncIterator[tuple[DocumentTranslationClient, list[str]]]:
    """A client of the configured service and the batch ids ``seed`` created (none on a real service)."""
    endpoint, key = os.environ.get("DOCTRANS_ENDPOINT"), os.environ.get("DOCTRANS_KEY")
    if endpoint and key:
        async with DocumentTranslationClient(endpoint, key=key) as client:
            yield client, []
        return
    async with Emulator() as emulator, DocumentTranslationClient(emulator.endpoint, key=emulator.key) as client:
        print(f"(DOCTRANS_ENDPOINT/DOCTRANS_KEY not set: using an in-process emulator at {emulator.endpoint})")
        yield client, seed(emulator)
