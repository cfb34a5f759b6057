"""Shared fixtures: a virtual clock, a mocked aiohttp layer (aioresponses), a client wired to them, and a scripted
transport.

The emulator's fixture (``doctrans_emulator``) comes from the ``doctrans_async.testing`` plugin.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

import doctrans_async as dt
from doctrans_async.emulator import Emulator
from tests.support import ENDPOINT, SECRET, FakeTransport, MockedService


@pytest.fixture
def clock() -> dt.VirtualClock:
    """A clock that moves only when slept on."""
    return dt.VirtualClock()


@pytest.fixture
def mocked() -> Iterator[MockedService]:
    """The aiohttp layer mocked: every request must match a registered response."""
    service = MockedService()
    with service:
        yield service


@pytest.fixture
async def client(clock: dt.VirtualClock, mocked: MockedService) -> AsyncIterator[dt.DocumentTranslationClient]:
    """A client of the mocked endpoint at API 2024-05-01 on virtual time."""
    async with dt.DocumentTranslationClient(
        ENDPOINT, key=SECRET, api_version=dt.ApiVersion.V2024_05_01, clock=clock
    ) as c:
        yield c


@pytest.fixture
async def emulator(clock: dt.VirtualClock) -> AsyncIterator[Emulator]:
    """The emulated service on loopback, on the test's virtual clock, with small pages (5) to exercise paging."""
    async with Emulator(clock=clock, page_size=5, seed=1) as emu:
        yield emu


@pytest.fixture(params=[v.value for v in dt.ApiVersion])
def api_version(request: pytest.FixtureRequest) -> str:
    """Each API version in turn."""
    return str(request.param)


@pytest.fixture
async def live(
    emulator: Emulator, clock: dt.VirtualClock, api_version: str
) -> AsyncIterator[dt.DocumentTranslationClient]:
    """A client of the emulator over real sockets, at each API version, on the shared virtual clock."""
    async with dt.DocumentTranslationClient(
        emulator.endpoint, key=emulator.key, api_version=api_version, clock=clock
    ) as c:
        yield c


@pytest.fixture
def fake() -> FakeTransport:
    """A scripted transport (nothing scripted yet): inject it with ``transport=``."""
    return FakeTransport()
