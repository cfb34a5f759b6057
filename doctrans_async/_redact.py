"""Redaction: the credentials a client holds, replaced by ``***`` in every text it shows or stores.

Servers and proxies echo what they receive: an error body, an HTML error page, a request-id header or a
``message`` may carry the subscription key or the bearer token verbatim. A :class:`Redactor` knows the secrets
and rewrites texts, events and library exceptions so that ``str()``, ``repr()`` and ``pickle.dumps()`` of what
it has seen never contain one. Pure: no I/O, no clock, no global state.

Two limits, both stated where they apply: a secret made of asterisks only cannot be told apart from the mark
and is ignored (no real key or token is), and a very short secret is removed wherever its characters occur, at
the price of readability.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

import attrs

from doctrans_async._auth import Secret

__all__ = ["MARK", "Redactor", "Secrets", "secrets_of"]

MARK = "***"
"""What a secret is replaced by."""

_MAX_SECRETS = 16
"""Secrets remembered at once: the key and the last few bearer tokens (each refresh brings a new one)."""

_MAX_DEPTH = 64
"""Nesting followed inside a value (a server may nest inner errors without end); deeper is dropped."""

E = TypeVar("E", bound=BaseException)
T = TypeVar("T")


def secrets_of(headers: Mapping[str, str]) -> tuple[str, ...]:
    """The secret values among request ``headers``: those marked :class:`~doctrans_async._auth.Secret`, with a
    bearer token also on its own (a server echoes the token without its scheme as often as with it)."""
    found: list[str] = []
    for value in headers.values():
        if isinstance(value, Secret):
            scheme, _, token = str(value).partition(" ")
            found.append(token if scheme.lower() == "bearer" and token else str(value))
    return tuple(found)


def _usable(secret: str) -> bool:
    # Only asterisks: every mark would contain it, and replacing it would never end.
    return bool(secret.strip("*"))


class Redactor:
    """Replaces every occurrence of its secrets with :data:`MARK`, in texts, bytes, models, events and errors.

    Immutable: :meth:`including` returns a redactor that also knows more secrets.
    """

    __slots__ = ("_bytes_pattern", "_pattern", "_secrets")

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        unique = dict.fromkeys(s for s in secrets if isinstance(s, str) and _usable(s))
        self._secrets: tuple[str, ...] = tuple(unique)[-_MAX_SECRETS:]
        # Longest first, so that of two secrets starting at one place the longer one is taken whole.
        ordered = sorted(self._secrets, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None
        encoded = [s.encode() for s in ordered]
        self._bytes_pattern = re.compile(b"|".join(map(re.escape, encoded))) if encoded else None

    def __repr__(self) -> str:
        return f"Redactor({len(self._secrets)} secrets)"

    @property
    def secrets(self) -> tuple[str, ...]:
        """The secrets redacted, oldest first."""
        return self._secrets

    def including(self, secrets: Iterable[str]) -> Redactor:
        """This redactor, or a new one that also redacts ``secrets`` (the oldest forgotten past a few)."""
        new = [s for s in secrets if s not in self._secrets and _usable(s)]
        return Redactor([*self._secrets, *new]) if new else self

    def text(self, text: str) -> str:
        """``text`` with every secret replaced by :data:`MARK`; a mark next to other text can complete a secret
        again (``"***a"`` when one is ``"*a"``), so this repeats until none is left. Each round removes a
        character other than an asterisk, so it ends."""
        pattern = self._pattern
        if pattern is None:
            return text
        while pattern.search(text):
            text = pattern.sub(MARK, text)
        return text

    def bytes(self, data: bytes) -> bytes:
        """``data`` with every secret's UTF-8 bytes replaced by the mark's."""
        pattern = self._bytes_pattern
        if pattern is None:
            return data
        while pattern.search(data):
            data = pattern.sub(MARK.encode(), data)
        return data

    def value(self, value: T, _depth: int = 0) -> T:
        """A copy of ``value`` with every text in it redacted: strings (and str subclasses such as
        :class:`~doctrans_async.Status`), bytes, tuples, lists, dicts, sets and attrs instances, recursively.
        Exceptions inside are redacted in place (:meth:`error`). Anything else is returned as it is."""
        if self._pattern is None:
            return value
        return self._value(value, _depth)  # type: ignore[no-any-return]

    def _value(self, value: Any, depth: int) -> Any:
        if isinstance(value, str):
            return self._str(value)
        if isinstance(value, bytes | bytearray):
            return type(value)(self.bytes(bytes(value)))
        if isinstance(value, BaseException):
            return self._error(value, set())
        if depth >= _MAX_DEPTH:
            return None
        if isinstance(value, tuple | list | set | frozenset):
            items = [self._value(item, depth + 1) for item in value]
            return type(value)(items) if not hasattr(value, "_fields") else type(value)(*items)
        if isinstance(value, dict):
            return {self._value(k, depth + 1): self._value(v, depth + 1) for k, v in value.items()}
        if attrs.has(type(value)):
            return self._attrs(value, depth)
        return value

    def _str(self, value: str) -> str:
        redacted = self.text(value)
        if redacted == value or type(value) is str:
            return redacted
        try:
            # A str subclass (Status, Secret) is kept as its type where the redacted text is still one.
            rebuilt = type(value)(redacted)
        except (TypeError, ValueError):
            return redacted
        return rebuilt if str(rebuilt) == redacted else redacted

    def _attrs(self, value: Any, depth: int) -> Any:
        changes = {}
        for field in attrs.fields(type(value)):
            if not field.init:
                continue
            current = getattr(value, field.name)
            redacted = self._value(current, depth + 1)
            if redacted is not current:
                changes[field.alias] = redacted
        return attrs.evolve(value, **changes) if changes else value

    def error(self, error: E) -> E:
        """Redact ``error`` in place and return it: its arguments (the message), every attribute (code,
        message, target, inner error, request id, URL, bodies, last status, notes) and, along its chain of
        causes and contexts, every library error. Another exception in the chain whose text still shows a
        secret once its arguments are redacted is cut from the chain (tracebacks print it; nothing else
        needs it)."""
        if self._pattern is None:
            return error
        return self._error(error, set())

    def _error(self, error: E, seen: set[int]) -> E:
        if id(error) in seen:
            return error
        seen.add(id(error))
        error.args = tuple(self._value(arg, 0) for arg in error.args)
        state = getattr(error, "__dict__", {})
        for name, current in list(state.items()):
            nested = isinstance(current, BaseException)
            state[name] = self._error(current, seen) if nested else self._value(current, 0)
        for link in ("__cause__", "__context__"):
            linked = getattr(error, link)
            if linked is None:
                continue
            self._error(linked, seen)
            if self._shows_secret(linked):
                setattr(error, link, None)
        return error

    def _shows_secret(self, error: BaseException) -> bool:
        pattern = self._pattern
        assert pattern is not None
        try:
            shown = f"{error}\n{error!r}"
        except Exception:  # an exception that cannot even be shown is cut, to be safe
            return True
        return pattern.search(shown) is not None


class Secrets:
    """The secrets one client has sent so far, as its current :class:`Redactor`: the transport teaches it each
    request's headers (a refreshed token, a rotated key), and the client redacts with it whatever it shows."""

    __slots__ = ("_taught", "redactor")

    def __init__(self) -> None:
        self.redactor = Redactor()
        self._taught: Mapping[str, str] | None = None

    def learn(self, headers: Mapping[str, str]) -> None:
        """Remember the secrets among ``headers`` (cheap when they are the very headers taught last)."""
        if headers is not self._taught:
            self._taught = headers
            self.redactor = self.redactor.including(secrets_of(headers))
