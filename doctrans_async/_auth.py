"""Credentials: a subscription key (fixed, or rotated through a :class:`KeyCredential`), or a bearer token from any
credential object.

A credential is anything with an async ``get_token(*scopes)`` returning an object with ``token`` and
``expires_on`` (epoch seconds): ``azure.identity.aio`` credentials fit without this library depending on
azure-core. Tokens are fetched once, shared by concurrent requests, and refreshed before they expire. A key may be
rotated without rebuilding the client: anything with a ``key`` attribute (``KeyCredential``, or azure-core's
``AzureKeyCredential`` unchanged) is read again for each request.

Headers built here hold the secret; they are handed to the transport only for the configured origin and never
appear in a repr, a message or a log line.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from typing import Protocol

from doctrans_async._clock import Clock
from doctrans_async._errors import TransportError

__all__ = [
    "COGNITIVE_SERVICES_SCOPE",
    "AccessTokenLike",
    "AsyncTokenCredential",
    "Auth",
    "KeyAuth",
    "KeyCredential",
    "KeyLike",
    "Secret",
    "TokenAuth",
    "make_auth",
]

COGNITIVE_SERVICES_SCOPE = "https://cognitiveservices.azure.com/.default"


class AccessTokenLike(Protocol):
    """What ``get_token`` returns (``azure.core.credentials.AccessToken`` fits)."""

    @property
    def token(self) -> str: ...

    @property
    def expires_on(self) -> int: ...


class AsyncTokenCredential(Protocol):
    """An async credential (``azure.identity.aio.DefaultAzureCredential`` fits)."""

    async def get_token(self, *scopes: str) -> AccessTokenLike: ...


class Auth(Protocol):
    """Produces the headers of an authenticated request (the base headers included)."""

    def ready(self) -> Mapping[str, str] | None:
        """The headers, when they are at hand without waiting (``None``: await :meth:`headers`)."""
        ...

    async def headers(self) -> Mapping[str, str]: ...


class Secret(str):
    """A header value that must not be shown: its repr is hidden, so a dict of headers captured in a traceback's
    locals (pytest -l, rich, Sentry) does not print it. It is sent as the plain string it is."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "'<hidden>'"


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _header_value(name: str, value: str) -> str:
    # A key read from a file keeps its newline; aiohttp would refuse it at every send, far from the cause.
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string")
    if _CONTROL.search(value):
        raise ValueError(f"{name} contains a control character (a trailing newline? strip() it)")
    return value


def _with_region(base: Mapping[str, str], region: str | None) -> dict[str, str]:
    headers = dict(base)
    if region:
        headers["Ocp-Apim-Subscription-Region"] = _header_value("region", region)
    return headers


class KeyLike(Protocol):
    """Anything holding a subscription key in ``key`` (``azure.core.credentials.AzureKeyCredential`` fits)."""

    @property
    def key(self) -> str: ...


class KeyCredential:
    """A subscription key that can be rotated while clients use it: ``update()`` takes effect from the next request.

    ::

        credential = KeyCredential(os.environ["DOCTRANS_KEY"])
        client = DocumentTranslationClient(endpoint, key=credential)
        ...
        credential.update(new_key)  # after regenerating the key in the portal

    The key never appears in a repr or a message.
    """

    __slots__ = ("_key",)

    def __init__(self, key: str) -> None:
        self._key = _header_value("key", key)

    @property
    def key(self) -> str:
        """The current key."""
        return self._key

    def update(self, key: str) -> None:
        """Use ``key`` from now on (it is checked as the constructor checks it; a refused key changes nothing)."""
        self._key = _header_value("key", key)

    def __repr__(self) -> str:
        return "KeyCredential(key=<hidden>)"


class KeyAuth:
    """``Ocp-Apim-Subscription-Key`` (and, when given, ``Ocp-Apim-Subscription-Region``).

    The headers are rebuilt only when the credential's key has changed since the last request.
    """

    def __init__(self, key: str | KeyLike, *, region: str | None, base: Mapping[str, str]) -> None:
        if not isinstance(key, str) and not isinstance(getattr(key, "key", None), str):
            raise TypeError(
                f"key must be a string or an object with a string .key (KeyCredential, AzureKeyCredential), "
                f"not {type(key).__name__}"
            )
        self._credential: KeyLike = KeyCredential(key) if isinstance(key, str) else key
        self._base = _with_region(base, region)
        self._key = ""
        self._headers: dict[str, str] = {}
        self._refresh()  # a bad key is refused at construction, not at the first request

    def _refresh(self) -> None:
        key = self._credential.key
        if key != self._key:
            self._headers = {**self._base, "Ocp-Apim-Subscription-Key": Secret(_header_value("key", key))}
            self._key = key

    def ready(self) -> Mapping[str, str]:
        self._refresh()
        return self._headers

    async def headers(self) -> Mapping[str, str]:
        return self.ready()

    def __repr__(self) -> str:
        return "KeyAuth(key=<hidden>)"


class TokenAuth:
    """``Authorization: Bearer`` with a token from ``credential``, refreshed ``refresh_margin`` seconds before
    it expires."""

    def __init__(
        self,
        credential: AsyncTokenCredential,
        *,
        region: str | None,
        base: Mapping[str, str],
        clock: Clock,
        timeout: float = 30.0,
        refresh_margin: float = 300.0,
    ) -> None:
        if not callable(getattr(credential, "get_token", None)):
            raise TypeError("credential must have an async get_token(*scopes) method")
        self._credential = credential
        self._base = _with_region(base, region)
        self._clock = clock
        self._margin = refresh_margin
        self._timeout = timeout
        self._headers: dict[str, str] | None = None
        self._expires_on = 0.0
        self._lock = asyncio.Lock()
        self._lock_loop: asyncio.AbstractEventLoop | None = None

    def _fresh(self) -> bool:
        return self._headers is not None and self._clock.utcnow().timestamp() < self._expires_on - self._margin

    def ready(self) -> Mapping[str, str] | None:
        return self._headers if self._fresh() else None

    async def headers(self) -> Mapping[str, str]:
        if not self._fresh():
            loop = asyncio.get_running_loop()
            if self._lock_loop is not loop:
                # A lock is bound to the first loop it waits in: a client used in a second asyncio.run() needs its own.
                self._lock, self._lock_loop = asyncio.Lock(), loop
            async with self._lock:
                if not self._fresh():  # another request may have refreshed it while we waited
                    token = await self._token()
                    self._headers = {**self._base, "Authorization": Secret(f"Bearer {token.token}")}
                    self._expires_on = float(token.expires_on)
        assert self._headers is not None
        return self._headers

    async def _token(self) -> AccessTokenLike:
        # A credential that never answers must not hang the call: bounded like a request (real seconds).
        try:
            async with asyncio.timeout(self._timeout):
                return await self._credential.get_token(COGNITIVE_SERVICES_SCOPE)
        except TimeoutError:
            name = type(self._credential).__name__
            raise TransportError(
                f"the credential {name}.get_token() did not answer within {self._timeout:g}s", request_sent=False
            ) from None

    def __repr__(self) -> str:
        return f"TokenAuth(credential={type(self._credential).__name__})"


def make_auth(
    key: str | KeyLike | None,
    credential: AsyncTokenCredential | None,
    *,
    region: str | None,
    base: Mapping[str, str],
    clock: Clock,
    token_timeout: float = 30.0,
) -> Auth:
    """The client's choice: exactly one of a key (a string or anything with ``.key``) and a token credential
    (whose ``get_token`` may take ``token_timeout`` seconds)."""
    if (key is None) == (credential is None):
        raise ValueError("pass exactly one of key= and credential=")
    if credential is not None:
        return TokenAuth(credential, region=region, base=base, clock=clock, timeout=token_timeout)
    assert key is not None
    return KeyAuth(key, region=region, base=base)
