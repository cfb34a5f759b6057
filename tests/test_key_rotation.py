"""Key rotation: a KeyCredential (or any object with ``.key``) is read afresh, so ``update()`` needs no new client."""

from __future__ import annotations

import pickle
import traceback

import pytest

import doctrans_async as dt
from doctrans_async.emulator import Emulator
from tests.support import ENDPOINT, SECRET, MockedService, batch_body


class AzureStyleKey:
    """What ``azure.core.credentials.AzureKeyCredential`` looks like to us: a ``key`` property and ``update()``."""

    def __init__(self, key: str) -> None:
        self._key = key

    @property
    def key(self) -> str:
        return self._key

    def update(self, key: str) -> None:
        self._key = key


async def test_update_takes_effect_from_the_next_request(emulator: Emulator, clock: dt.VirtualClock) -> None:
    """A revoked key is refused; after update() the same client, on the same session, is let in."""
    batch_id = emulator.add_batch(documents=1, seconds=0)
    credential = dt.KeyCredential("revoked-key")
    async with dt.DocumentTranslationClient(emulator.endpoint, key=credential, clock=clock, retry=None) as client:
        with pytest.raises(dt.AuthenticationError):
            await client.get_status(batch_id)
        credential.update(emulator.key)
        assert (await client.get_status(batch_id)).id == batch_id
    assert [record.authorized for record in emulator.requests] == [False, True]


@pytest.mark.parametrize("make", [dt.KeyCredential, AzureStyleKey], ids=["KeyCredential", "duck-typed"])
async def test_each_request_sends_the_current_key(
    make: type[dt.KeyCredential] | type[AzureStyleKey], mocked: MockedService, clock: dt.VirtualClock
) -> None:
    """Keys are sent as they are at each request, whichever object holds them."""
    credential = make("first-key")
    for _ in range(3):
        mocked.get(f"{ENDPOINT}/translator/document/batches/b1?api-version=2024-05-01", payload=batch_body())
    async with dt.DocumentTranslationClient(
        ENDPOINT, key=credential, api_version=dt.ApiVersion.V2024_05_01, clock=clock
    ) as client:
        await client.get_status("b1")
        credential.update("second-key")
        await client.get_status("b1")
        await client.get_status("b1")
    assert [headers["Ocp-Apim-Subscription-Key"] for _, _, headers in mocked.sent()] == [
        "first-key",
        "second-key",
        "second-key",
    ]


def test_the_key_is_never_shown() -> None:
    """Neither the credential's repr nor the client's, nor the auth's, holds the key."""
    credential = dt.KeyCredential(SECRET)
    client = dt.DocumentTranslationClient(ENDPOINT, key=credential)
    shown = [repr(credential), str(credential), repr(client), repr(client._pipeline.transport), f"{credential!r:>80}"]
    credential.update(SECRET + "-2")
    shown.append(repr(credential))
    assert all(SECRET not in text for text in shown)
    assert repr(credential) == "KeyCredential(key=<hidden>)"
    assert credential.key == SECRET + "-2"


def test_a_bad_key_is_refused_and_leaves_the_old_one() -> None:
    """update() checks the key as the constructor does; a refused key changes nothing, and says nothing of it."""
    credential = dt.KeyCredential(SECRET)
    with pytest.raises(ValueError, match="control character") as caught:
        credential.update(SECRET + "\n")
    assert SECRET not in "".join(traceback.format_exception(caught.value))
    with pytest.raises(ValueError, match="non-empty"):
        credential.update("")
    with pytest.raises(ValueError, match="non-empty"):
        dt.KeyCredential("")
    assert credential.key == SECRET


def test_key_must_be_a_string_or_hold_one() -> None:
    """Anything else given as key= is refused at construction, naming what fits."""
    with pytest.raises(TypeError, match="AzureKeyCredential"):
        dt.DocumentTranslationClient(ENDPOINT, key=object())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="exactly one"):
        dt.DocumentTranslationClient(ENDPOINT, key=dt.KeyCredential(SECRET), credential=object())  # type: ignore[arg-type]


def test_a_duck_typed_key_with_a_bad_value_is_refused_at_construction() -> None:
    """A holder whose key has a newline fails where it is configured, not at the first request."""
    with pytest.raises(ValueError, match="control character"):
        dt.DocumentTranslationClient(ENDPOINT, key=AzureStyleKey(SECRET + "\n"))


def test_credential_pickles_without_changing() -> None:
    """A KeyCredential round-trips through pickle (the slot is kept), as azure-core's credential does."""
    credential = pickle.loads(pickle.dumps(dt.KeyCredential(SECRET)))
    assert credential.key == SECRET
