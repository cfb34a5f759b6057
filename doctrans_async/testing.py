"""Test helpers for code that uses doctrans_async, and a pytest plugin (registered as the ``pytest11`` entry point).

The fixture ``doctrans_emulator`` yields a started :class:`~doctrans_async.emulator.Emulator` on 127.0.0.1 with a
random port, closed after the test. It is async, so the test must be run by an async plugin, one of:

- **pytest-asyncio** (``pip install 'doctrans-async[testing]'``), in its default strict mode: mark the test
  ``@pytest.mark.asyncio`` (or a whole module with ``pytestmark = pytest.mark.asyncio``), or set
  ``asyncio_mode = "auto"`` in your pytest configuration;
- **anyio**'s plugin (FastAPI's test stack): mark the test ``@pytest.mark.anyio`` and give ``anyio_backend`` the
  value ``"asyncio"`` (the emulator runs on aiohttp, which is asyncio only).

::

    @pytest.mark.asyncio
    async def test_my_code(doctrans_emulator):
        batch_id = doctrans_emulator.add_batch(documents=5, seconds=0)
        ...  # call your code with doctrans_emulator.endpoint and doctrans_emulator.key

Configure it per test with a marker, whose keyword arguments go to :class:`Emulator`::

    @pytest.mark.doctrans_emulator(clock=VirtualClock(), page_size=2)

A test that no plugin runs gets an error saying which marker or setting it lacks. Loading the plugin costs every
pytest run of every project that installs the client, so it imports neither the emulator nor aiohttp.web until a
test asks for the fixture; and this module imports without pytest, for :class:`Emulator` alone.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from doctrans_async._clock import VirtualClock

if TYPE_CHECKING:
    from doctrans_async.emulator import Emulator, Fault

__all__ = ["Emulator", "Fault", "VirtualClock", "doctrans_emulator"]

_MARKER = "doctrans_emulator"
_ON_ASYNCIO = "_doctrans_emulator_on_pytest_asyncio"
_ON_ANYIO = "_doctrans_emulator_on_anyio"
_MISSING_PYTEST = "the doctrans_emulator fixture needs pytest and pytest-asyncio: pip install 'doctrans-async[testing]'"
_NOT_RUN = (
    "the doctrans_emulator fixture is async, and no plugin runs this test asynchronously: mark it "
    '@pytest.mark.asyncio (pytest-asyncio in strict mode, its default) or set asyncio_mode = "auto"; '
    "with anyio, mark it @pytest.mark.anyio. pytest-asyncio comes with \"pip install 'doctrans-async[testing]'\""
)
_NOT_ASYNCIO = (
    "the doctrans_emulator fixture runs on asyncio (aiohttp), not on {backend!r}: "
    'override the anyio_backend fixture to return "asyncio"'
)


def _optional(name: str) -> Any:
    # By name, so mypy --strict reads this module alike whether pytest and pytest-asyncio are installed or not.
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


pytest = _optional("pytest")
pytest_asyncio = _optional("pytest_asyncio")


def __getattr__(name: str) -> Any:
    # The emulator (and aiohttp.web with it) is imported on first use only.
    if name in {"Emulator", "Fault"}:
        return getattr(importlib.import_module("doctrans_async.emulator"), name)
    if name == _MARKER:
        raise ImportError(_MISSING_PYTEST)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


async def _started_emulator(request: Any) -> AsyncIterator[Emulator]:
    from doctrans_async.emulator import Emulator

    marker = request.node.get_closest_marker(_MARKER)
    options: dict[str, Any] = dict(marker.kwargs) if marker is not None else {}
    async with Emulator(**options) as emulator:
        yield emulator


async def _on_anyio(request: Any, anyio_backend_name: str) -> AsyncIterator[Emulator]:
    if anyio_backend_name != "asyncio":
        pytest.fail(_NOT_ASYNCIO.format(backend=anyio_backend_name), pytrace=False)
    async for emulator in _started_emulator(request):
        yield emulator


def _run_by_pytest_asyncio(request: Any) -> bool:
    if pytest_asyncio is None:
        return False
    is_async_test = getattr(pytest_asyncio, "is_async_test", None)
    if is_async_test is not None:
        return bool(is_async_test(request.node))
    return request.node.get_closest_marker("asyncio") is not None  # pytest-asyncio before 0.24


def _emulator(request: Any) -> Emulator:
    """A started :class:`Emulator` on 127.0.0.1 with a random port (configure it with the marker).

    It is set up by whichever plugin runs the test, on that test's event loop.
    """
    if "anyio_backend" in request.fixturenames:
        emulator: Emulator = request.getfixturevalue(_ON_ANYIO)
    elif _run_by_pytest_asyncio(request):
        emulator = request.getfixturevalue(_ON_ASYNCIO)
    else:
        pytest.fail(_NOT_RUN, pytrace=False)
    return emulator


def pytest_configure(config: Any) -> None:
    """Register the marker, so ``--strict-markers`` suites can use it."""
    config.addinivalue_line(
        "markers", f"{_MARKER}(**options): keyword arguments for the doctrans_emulator fixture's Emulator"
    )


if pytest is not None:
    doctrans_emulator = pytest.fixture(name=_MARKER)(_emulator)
    # anyio's plugin runs plain async fixtures of the tests it runs; pytest-asyncio (strict) leaves them alone.
    _doctrans_emulator_on_anyio = pytest.fixture(name=_ON_ANYIO)(_on_anyio)
    if pytest_asyncio is not None:
        _doctrans_emulator_on_pytest_asyncio = pytest_asyncio.fixture(name=_ON_ASYNCIO)(_started_emulator)
