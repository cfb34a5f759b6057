"""Unit tests of the credentials: key headers, bearer tokens fetched once and refreshed, secrets never shown."""

from __future__ import annotations

import asyncio
from typing import Any

import attrs
import pytest

from doctrans_async._auth import COGNITIVE_SERVICES_SCOPE, KeyAuth, KeyCredential, Secret, TokenAuth
from doctrans_async._clock import VirtualClock
from doctrans_async._errors import TransportError
from tests.support import SECRET

BASE = {"Accept": "application/json"}


@attrs.frozen
class Token:
    """What a credential's get_token returns."""

    token: str
    expires_on: int


class Credential:
    """A credential issuing numbered tokens that live ``lifetime`` seconds on ``clock``; records the scopes
    asked for. ``gate``, when given, holds every answer until it is set."""

    def __init__(self, clock: VirtualClock, *, lifetime: float = 3600.0, gate: asyncio.Event | None = None) -> None:
        self.clock = clock
        self.lifetime = lifetime
        self.gate = gate
        self.calls: list[tuple[str, ...]] = []

    async def get_token(self, *scopes: str) -> Token:
        self.calls.append(scopes)
        if self.gate is not None:
            await self.gate.wait()
        expires = self.clock.utcnow().timestamp() + self.lifetime
        return Token(f"token-{len(self.calls)}", int(expires))


class Silent:
    """A credential that never answers."""

    async def get_token(self, *scopes: str) -> Token:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


def token_auth(credential: Any, clock: VirtualClock, **options: Any) -> TokenAuth:
    """A TokenAuth over ``credential`` with :data:`BASE` headers."""
    return TokenAuth(credential, region=options.pop("region", None), base=BASE, clock=clock, **options)


# --- KeyAuth ------------------------------------------------------------------------------------------------


async def test_key_headers() -> None:
    """The key goes in Ocp-Apim-Subscription-Key, beside the base headers."""
    headers = await KeyAuth(SECRET, region=None, base=BASE).headers()
    assert dict(headers) == {**BASE, "Ocp-Apim-Subscription-Key": SECRET}


async def test_key_headers_with_region() -> None:
    """A region is sent as Ocp-Apim-Subscription-Region; an empty one is not sent."""
    headers = await KeyAuth(SECRET, region="westeurope", base=BASE).headers()
    assert headers["Ocp-Apim-Subscription-Region"] == "westeurope"
    assert "Ocp-Apim-Subscription-Region" not in await KeyAuth(SECRET, region="", base=BASE).headers()


@pytest.mark.parametrize("key", ["", f"{SECRET}\n", "a\rb", "tab\there", "\x00"])
def test_key_with_control_characters_or_empty_refused(key: str) -> None:
    """An empty key, or one with a control character (a trailing newline read from a file), is a ValueError
    when the auth is made, not at every send."""
    with pytest.raises(ValueError, match="key"):
        KeyAuth(key, region=None, base=BASE)


def test_key_that_is_not_a_string_refused() -> None:
    """A key that is neither a string nor has a string ``.key`` is a TypeError naming it."""
    with pytest.raises(TypeError, match="key"):
        KeyAuth(b"bytes-key", region=None, base=BASE)  # type: ignore[arg-type]


def test_region_with_a_newline_refused() -> None:
    """A region with a control character is a ValueError naming the region."""
    with pytest.raises(ValueError, match="region"):
        KeyAuth(SECRET, region="westeurope\n", base=BASE)


async def test_key_never_shown() -> None:
    """Neither the auth's repr nor the repr of its headers shows the key; the header value is the key itself."""
    auth = KeyAuth(SECRET, region=None, base=BASE)
    headers = await auth.headers()
    assert SECRET not in repr(auth)
    assert SECRET not in repr(headers)
    assert SECRET not in repr(dict(headers))
    assert headers["Ocp-Apim-Subscription-Key"] == SECRET


def test_secret_is_the_plain_string_with_a_hidden_repr() -> None:
    """A Secret compares, hashes and formats as its string; only repr hides it."""
    secret = Secret("value")
    assert secret == "value"
    assert f"{secret}" == "value"
    assert hash(secret) == hash("value")
    assert repr(secret) == "'<hidden>'"
    assert repr([secret]) == "['<hidden>']"


# --- TokenAuth ----------------------------------------------------------------------------------------------


async def test_bearer_token_for_the_cognitive_services_scope() -> None:
    """The credential is asked for the Cognitive Services scope; its token goes in Authorization: Bearer."""
    clock = VirtualClock()
    credential = Credential(clock)
    headers = await token_auth(credential, clock, region="eastus").headers()
    assert headers["Authorization"] == "Bearer token-1"
    assert headers["Ocp-Apim-Subscription-Region"] == "eastus"
    assert headers["Accept"] == "application/json"
    assert credential.calls == [(COGNITIVE_SERVICES_SCOPE,)]
    assert "token-1" not in repr(headers)


async def test_token_fetched_once_while_fresh() -> None:
    """A fresh token is reused: many requests, one get_token."""
    clock = VirtualClock()
    credential = Credential(clock)
    auth = token_auth(credential, clock)
    for _ in range(5):
        assert (await auth.headers())["Authorization"] == "Bearer token-1"
        await clock.sleep(60.0)
    assert len(credential.calls) == 1


async def test_concurrent_requests_share_one_fetch() -> None:
    """Requests that need a token at the same time wait for one fetch, not one each."""
    clock = VirtualClock()
    gate = asyncio.Event()
    credential = Credential(clock, gate=gate)
    auth = token_auth(credential, clock)
    waiting = [asyncio.create_task(auth.headers()) for _ in range(10)]
    await asyncio.sleep(0)
    gate.set()
    headers = await asyncio.gather(*waiting)
    assert {h["Authorization"] for h in headers} == {"Bearer token-1"}
    assert len(credential.calls) == 1


async def test_token_refreshed_before_it_expires() -> None:
    """A token is replaced refresh_margin seconds before its expiry, not after."""
    clock = VirtualClock()
    credential = Credential(clock, lifetime=3600.0)
    auth = token_auth(credential, clock, refresh_margin=300.0)
    assert (await auth.headers())["Authorization"] == "Bearer token-1"
    clock.advance(3299.0)
    assert (await auth.headers())["Authorization"] == "Bearer token-1"
    clock.advance(1.0)
    assert (await auth.headers())["Authorization"] == "Bearer token-2"
    assert len(credential.calls) == 2


async def test_ready_headers_are_the_awaited_ones_without_the_wait() -> None:
    """The transport's shortcut: a key's headers are always ready (a rotated key included); a token's only
    while it is fresh, and ``None`` otherwise, so that the request awaits the refresh."""
    credential = KeyCredential(SECRET)
    keyed = KeyAuth(credential, region=None, base=BASE)
    assert keyed.ready() == await keyed.headers()
    credential.update("rotated-key")
    assert keyed.ready()["Ocp-Apim-Subscription-Key"] == "rotated-key"
    clock = VirtualClock()
    auth = token_auth(Credential(clock, lifetime=3600.0), clock, refresh_margin=300.0)
    assert auth.ready() is None
    fetched = await auth.headers()
    assert auth.ready() is fetched
    clock.advance(3300.0)
    assert auth.ready() is None


def test_credential_without_get_token_refused() -> None:
    """An object with no get_token is a TypeError when the auth is made."""
    with pytest.raises(TypeError, match="get_token"):
        token_auth(object(), VirtualClock())


async def test_credential_that_never_answers_is_bounded() -> None:
    """A get_token that never returns ends in a TransportError naming the credential, not sent (nothing was)."""
    auth = token_auth(Silent(), VirtualClock(), timeout=0.0)
    with pytest.raises(TransportError, match="Silent") as info:
        await auth.headers()
    assert info.value.request_sent is False


async def test_credential_errors_propagate() -> None:
    """A credential's own failure is the caller's to see, as it is."""

    class Failing:
        async def get_token(self, *scopes: str) -> Token:
            raise PermissionError("no identity")

    with pytest.raises(PermissionError, match="no identity"):
        await token_auth(Failing(), VirtualClock()).headers()


def test_token_auth_repr_names_the_credential_only() -> None:
    """The repr names the credential's type and nothing it holds."""
    assert repr(token_auth(Credential(VirtualClock()), VirtualClock())) == "TokenAuth(credential=Credential)"
