"""The package's public surface: what users import."""

from __future__ import annotations

import json
from pathlib import Path

import doctrans_async as dt
from tests.support import batch_body


def test_all_is_sorted_and_complete() -> None:
    """__all__ is sorted, names only what exists, and covers every public name the package defines."""
    assert dt.__all__ == sorted(dt.__all__)
    assert all(hasattr(dt, name) for name in dt.__all__)
    public = {name for name in vars(dt) if not name.startswith("_") and name not in {"annotations"}}
    modules = {name for name in public if type(getattr(dt, name)).__name__ == "module"}
    assert public - modules <= set(dt.__all__)


def test_package_is_typed() -> None:
    """py.typed ships with the package, so users' type checkers read our hints."""
    assert (Path(dt.__file__).parent / "py.typed").is_file()


def test_error_tree_has_one_root() -> None:
    """Every exception the package exports derives from DocumentTranslationError."""
    errors = [getattr(dt, name) for name in dt.__all__ if name.endswith("Error")]
    assert errors
    assert all(issubclass(error, dt.DocumentTranslationError) for error in errors)
    assert issubclass(dt.PollingTimeoutError, TimeoutError)
    assert issubclass(dt.ClientClosedError, RuntimeError)
    for status_error in (dt.AuthenticationError, dt.NotFoundError, dt.InvalidRequestError):
        assert issubclass(status_error, dt.ServiceError)
    assert issubclass(dt.RateLimitError, dt.ServiceError)
    assert issubclass(dt.ServerError, dt.ServiceError)


class _Scripted:
    """A transport written from public names only, as a user's own test would write one (mypy checks it is a
    dt.Transport where the client takes it)."""

    def __init__(self, response: dt.Response) -> None:
        self.response = response
        self.sent: list[tuple[dt.Request, dt.Deadline]] = []

    async def send(self, request: dt.Request, deadline: dt.Deadline) -> dt.Response:
        self.sent.append((request, deadline))
        return self.response

    async def close(self) -> None:
        pass


async def test_a_transport_needs_only_public_names() -> None:
    """Transport's signature names Request, Response and Deadline: each is public, so a scripted transport needs
    no private import."""
    transport = _Scripted(dt.Response(200, {"content-type": "application/json"}, json.dumps(batch_body()).encode()))
    async with dt.DocumentTranslationClient("https://res.example", transport=transport) as client:
        status = await client.get_status("b1", timeout=30)
    assert status.id == "b1"
    [(request, deadline)] = transport.sent
    assert request.url.startswith("https://res.example/translator/document/batches/b1?")
    assert deadline.seconds == 30
