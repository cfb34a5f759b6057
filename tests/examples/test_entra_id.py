"""examples/entra_id.py against the emulator, with a fake credential where DefaultAzureCredential would be."""

from __future__ import annotations

import sys
import types
from typing import Any, ClassVar

import attrs
import pytest

import doctrans_async as dt
from doctrans_async.emulator import Emulator
from examples import entra_id

TOKEN = "entra-token-for-the-emulator"


@attrs.frozen
class AccessToken:
    token: str
    expires_on: int


class FakeCredential:
    """What azure.identity.aio.DefaultAzureCredential looks like to the client: an async get_token(*scopes)."""

    instances: ClassVar[list[FakeCredential]] = []

    def __init__(self) -> None:
        self.scopes: list[tuple[str, ...]] = []
        self.closed = False
        FakeCredential.instances.append(self)

    async def get_token(self, *scopes: str, **_: Any) -> AccessToken:
        self.scopes.append(scopes)
        return AccessToken(TOKEN, 4_102_444_800)  # 2100-01-01: never refreshed in a test

    async def __aenter__(self) -> FakeCredential:
        return self

    async def __aexit__(self, *_: object) -> None:
        self.closed = True


@pytest.fixture
async def entra_emulator() -> Any:
    """An emulator that accepts the fake credential's bearer token (and no key of ours)."""
    async with Emulator(tokens=[TOKEN], start_seconds=0) as emulator:
        yield emulator


async def test_batch_status_asks_for_the_cognitive_services_scope(entra_emulator: Emulator) -> None:
    """The client asks the credential for the documented scope and is let in with the bearer token."""
    batch_id = entra_emulator.add_batch(documents=3, seconds=0)
    credential = FakeCredential()
    status = await entra_id.batch_status(entra_emulator.endpoint, batch_id, credential)
    assert status.status is dt.Status.SUCCEEDED
    assert credential.scopes == [(entra_id.SCOPE,)]
    assert entra_id.SCOPE == "https://cognitiveservices.azure.com/.default"
    [request] = entra_emulator.requests
    assert request.authorized


async def test_main_signs_in_with_default_azure_credential(
    entra_emulator: Emulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """main() builds DefaultAzureCredential (here the fake, in azure.identity.aio's place), uses it, closes it."""
    fake = types.ModuleType("azure.identity.aio")
    fake.DefaultAzureCredential = FakeCredential  # type: ignore[attr-defined]
    for name, module in {
        "azure": types.ModuleType("azure"),
        "azure.identity": types.ModuleType("azure.identity"),
    }.items():
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.setitem(sys.modules, "azure.identity.aio", fake)
    monkeypatch.setenv("DOCTRANS_ENDPOINT", entra_emulator.endpoint)
    FakeCredential.instances.clear()
    batch_id = entra_emulator.add_batch(documents=2, seconds=0)
    assert await entra_id.main([batch_id]) == 0
    [credential] = FakeCredential.instances
    assert credential.closed
    assert credential.scopes == [(entra_id.SCOPE,)]
    assert f"{batch_id}: Succeeded (2/2 documents finished)" in capsys.readouterr().out


async def test_main_needs_the_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without DOCTRANS_ENDPOINT the example says what to set (usage error, before any sign-in)."""
    monkeypatch.delenv("DOCTRANS_ENDPOINT", raising=False)
    with pytest.raises(SystemExit) as caught:
        await entra_id.main(["some-batch"])
    assert caught.value.code == 2
