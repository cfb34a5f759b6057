"""Shared fixtures: a virtual clock, a mocked aiohttp layer (aioresponses) and a client wired to them.

The emulator's fixture (``doctrans_emulator``) comes from the ``doctrans_async.testing`` plugin.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

import doctrans_async as dt
from tests.support import ENDPOINT, SECRET, MockedService


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
