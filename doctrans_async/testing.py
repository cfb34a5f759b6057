"""Test helpers for code that uses doctrans_async, and a pytest plugin (registered as the ``pytest11`` entry point).

The fixture ``doctrans_emulator`` yields a started :class:`~doctrans_async.emulator.Emulator` on 127.0.0.1 with a
random port, closed after the test::

    async def test_my_code(doctrans_emulator):
        batch_id = doctrans_emulator.add_batch(documents=5, seconds=0)
        ...  # call your code with doctrans_emulator.endpoint and doctrans_emulator.key

Configure it per test with a marker, whose keyword arguments go to :class:`Emulator`::

    @pytest.mark.doctrans_emulator(clock=VirtualClock(), page_size=2)

The fixture needs pytest-asyncio (``pip install doctrans-async[test]``); importing this module does not, and without
pytest-asyncio the fixture fails with an ImportError saying so when a test asks for it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, NoReturn

from doctrans_async._clock import VirtualClock
from doctrans_async.emulator import Emulator, Fault

__all__ = ["Emulator", "Fault", "VirtualClock", "doctrans_emulator"]

_MARKER = "doctrans_emulator"
_MISSING = "the doctrans_emulator fixture needs pytest and pytest-asyncio: pip install 'doctrans-async[test]'"

if TYPE_CHECKING:
    import pytest


async def _emulator(request: pytest.FixtureRequest) -> AsyncIterator[Emulator]:
    marker = request.node.get_closest_marker(_MARKER)
    options: dict[str, Any] = dict(marker.kwargs) if marker is not None else {}
    async with Emulator(**options) as emulator:
        yield emulator


def _load_fixture() -> Any:
    """The fixture, a stand-in that explains what is missing, or None without pytest at all."""
    try:
        import pytest_asyncio
    except ImportError as error:
        missing = str(error)
        try:
            import pytest
        except ImportError:
            return None

        @pytest.fixture(name=_MARKER)
        def unavailable() -> NoReturn:
            raise ImportError(f"{_MISSING} ({missing})")

        return unavailable
    return pytest_asyncio.fixture(name=_MARKER)(_emulator)


_fixture = _load_fixture()
if _fixture is not None:
    doctrans_emulator = _fixture
    """A started :class:`Emulator` on 127.0.0.1 with a random port (configure it with the marker)."""
else:

    def __getattr__(name: str) -> Any:
        if name == _MARKER:
            raise ImportError(_MISSING)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker, so ``--strict-markers`` suites can use it."""
    config.addinivalue_line(
        "markers", f"{_MARKER}(**options): keyword arguments for the doctrans_emulator fixture's Emulator"
    )
