"""A loopback server that answers from a recorded cassette, entry by entry, and what proves nothing was lost.

A cassette (``cassettes/*.json``, copied verbatim from the official SDKs' test recordings) lists real requests and
the service's answers in order. :class:`Replay` serves them on 127.0.0.1: each request the client sends must be
the next entry's (method, path and query compared decoded and in any order, since our client need not order its
query like the recorder's SDK did); the recorded host is rewritten to the server's own origin in bodies and
headers, so next links and ``Operation-Location`` point back at it. A request that does not match is answered
with a 599 naming the difference and kept in :attr:`Replay.mismatches`; :meth:`Replay.check_done` fails the test
on any mismatch or on entries left unasked.

:func:`assert_lossless` walks a wire object and the model parsed from it key by key: every wire key must be
carried by a field (named independently of the library's converter) holding the same value, timestamps to the
microsecond.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, unquote, urlsplit

import attrs
from aiohttp import BodyPartReader, web

from doctrans_async import Status

CASSETTES = Path(__file__).parent / "cassettes"

# The recordings' sanitized hosts ("fakeendpoint", "Sanitized", "redacted", "fakeEndpoint-doctranslation", ...):
# all of them are the service's, so all are pointed back at the replay server. Storage hosts are left alone.
_SERVICE_HOST = re.compile(r"https://[A-Za-z0-9-]+\.cognitiveservices\.azure\.com")
# Framing is the replay server's own business; the rest of the recorded headers are sent as recorded.
_FRAMING = {"content-length", "transfer-encoding", "content-encoding", "connection"}


def load(name: str) -> dict[str, Any]:
    """The cassette ``name`` (file name without ``.json``)."""
    cassette: dict[str, Any] = json.loads((CASSETTES / f"{name}.json").read_text())
    return cassette


def cassette_names() -> list[str]:
    """Every cassette, by name."""
    return sorted(path.stem for path in CASSETTES.glob("*.json"))


def body_bytes(entry: Mapping[str, Any]) -> bytes:
    """An entry's response body as bytes: ``body_b64`` decoded, JSON serialised compactly, ``""``/``null`` empty."""
    if "body_b64" in entry:
        return base64.b64decode(entry["body_b64"])
    body = entry.get("body")
    if body is None or body == "":
        return b""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


@attrs.frozen
class Received:
    """A request as the server got it: ``target`` is the raw request target, exactly as sent on the wire."""

    method: str
    target: str
    headers: Mapping[str, str]
    parts: tuple[tuple[str, str | None, str | None, bytes], ...] = ()
    """Multipart parts as (name, filename, content type, data)."""
    body: bytes = b""
    """The body of a request that is not multipart."""


def _request_key(method: str, target: str) -> tuple[str, str, list[tuple[str, str]]]:
    parts = urlsplit(target)
    return method.upper(), unquote(parts.path), sorted(parse_qsl(parts.query, keep_blank_values=True))


# The client asks for the largest page (100) unless told a page size; the recorders' SDKs asked for none. Where
# a recording has no page size at all, the client's default one is not a difference (any other size still is).
_PAGE_SIZES = ("maxpagesize", "$maxpagesize")
_DEFAULT_PAGE_SIZE = "100"


def _matching_key(
    recorded: tuple[str, str, list[tuple[str, str]]], sent: tuple[str, str, list[tuple[str, str]]]
) -> tuple[str, str, list[tuple[str, str]]]:
    """``sent``, without the client's default page size where the ``recorded`` request asked for no page size."""
    if any(name in _PAGE_SIZES for name, _ in recorded[2]):
        return sent
    method, path, query = sent
    return method, path, [(n, v) for n, v in query if not (n in _PAGE_SIZES and v == _DEFAULT_PAGE_SIZE)]


class Replay:
    """Serve ``entries`` (a cassette's, plus any ``extra`` appended) to whoever asks, in order, on loopback."""

    def __init__(self, cassette: Mapping[str, Any], *, extra: Iterable[Mapping[str, Any]] = ()) -> None:
        self.cassette = cassette
        self.entries: list[Mapping[str, Any]] = [*cassette["entries"], *extra]
        self.received: list[Received] = []
        self.mismatches: list[str] = []
        self._runner: web.AppRunner | None = None
        self.endpoint = ""

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._answer)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.endpoint = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def local(self, text: str) -> str:
        """``text`` with every recorded service host replaced by this server's origin."""
        return _SERVICE_HOST.sub(self.endpoint, text)

    def recorded_target(self, index: int) -> str:
        """Entry ``index``'s request target (path and query) exactly as recorded."""
        parts = urlsplit(self.entries[index]["uri"])
        return f"{parts.path}?{parts.query}" if parts.query else parts.path

    def check_done(self) -> None:
        """Fail unless every request matched its entry and every entry was asked for."""
        assert self.mismatches == [], "\n".join(self.mismatches)
        left = [f"{e['method']} {e['uri']}" for e in self.entries[len(self.received) :]]
        assert left == [], f"{self.cassette['name']}: entries never requested: {left}"

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        parts: list[tuple[str, str | None, str | None, bytes]] = []
        body = b""
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            async for part in reader:
                assert isinstance(part, BodyPartReader), "a nested multipart body"
                data = await part.read()
                parts.append((part.name or "", part.filename, part.headers.get("Content-Type"), bytes(data)))
        else:
            body = await request.read()
        index = len(self.received)
        self.received.append(Received(request.method, request.raw_path, dict(request.headers), tuple(parts), body))
        if index >= len(self.entries):
            return self._mismatch(f"request {index}: {request.method} {request.raw_path} after the last entry")
        entry = self.entries[index]
        wanted = _request_key(entry["method"], entry["uri"])
        got = _matching_key(wanted, _request_key(request.method, request.raw_path))
        if wanted != got:
            return self._mismatch(
                f"request {index}: {request.method} {request.raw_path}\n  recorded: {entry['method']} {entry['uri']}"
            )
        headers = {name: self.local(value) for name, value in entry["headers"].items() if name.lower() not in _FRAMING}
        answer = self.local(body_bytes(entry).decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")
        return web.Response(status=entry["status"], headers=headers, body=answer)

    def _mismatch(self, why: str) -> web.Response:
        self.mismatches.append(f"{self.cassette['name']}: {why}")
        return web.Response(status=599, text=why)


# --- field by field ----------------------------------------------------------------------------------------

# Wire names that are not the camelCase of the field's name; everything else is matched by plain case folding.
_FIELD_OF_WIRE = {
    "createdDateTimeUtc": "created_at",
    "lastActionDateTimeUtc": "last_action_at",
    "innererror": "inner_error",
}
_TIMESTAMP = re.compile(r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?:([Zz])|([+-])(\d\d):(\d\d))")


def field_of(wire_key: str) -> str:
    """The snake_case model field a camelCase wire key belongs in."""
    return _FIELD_OF_WIRE.get(wire_key) or re.sub(r"(?<!^)([A-Z])", r"_\1", wire_key).lower()


def expected_timestamp(text: str) -> datetime:
    """A wire timestamp read independently of the library: fractional digits beyond the sixth dropped."""
    match = _TIMESTAMP.fullmatch(text)
    assert match, f"not an RFC 3339 timestamp: {text!r}"
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    if zulu:
        zone = UTC
    else:
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        zone = timezone(offset if sign == "+" else -offset)
    micro = int((fraction or "").ljust(6, "0")[:6])
    return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=zone)


def assert_lossless(wire: Mapping[str, Any], model: object, where: str = "$") -> None:
    """Every key of ``wire`` is carried by a field of ``model`` with the same value (recursively)."""
    assert isinstance(wire, Mapping), f"{where}: expected an object, got {wire!r:.60}"
    assert attrs.has(type(model)), f"{where}: {model!r:.60} is not a model"
    names = {field.name for field in attrs.fields(type(model))}  # type: ignore[arg-type]
    for key, value in wire.items():
        name = field_of(key)
        assert name in names, f"{where}.{key}: the wire field is not carried by {type(model).__name__}"
        assert_same(value, getattr(model, name), f"{where}.{key}")


def assert_same(wire: Any, carried: Any, where: str) -> None:
    """``carried`` holds what ``wire`` said."""
    if isinstance(carried, datetime):
        expected = expected_timestamp(wire)
        assert carried == expected, f"{where}: {carried!r} != {wire!r}"
        assert (carried.microsecond, carried.utcoffset()) == (expected.microsecond, expected.utcoffset()), where
    elif isinstance(carried, Status):
        assert carried == Status(wire), f"{where}: {carried!r} != {wire!r}"
        assert str(carried).lower().replace("ll", "l") == wire.lower().replace("ll", "l"), where
    elif attrs.has(type(carried)):
        assert_lossless(wire, carried, where)
    elif isinstance(carried, tuple | list):
        assert isinstance(wire, list), f"{where}: {wire!r:.60} is not a list"
        assert len(carried) == len(wire), f"{where}: {len(carried)} carried of {len(wire)}"
        for index, (item, kept) in enumerate(zip(wire, carried, strict=True)):
            assert_same(item, kept, f"{where}[{index}]")
    elif isinstance(carried, float):
        assert carried == float(wire), f"{where}: {carried!r} != {wire!r}"
    elif isinstance(carried, str) and not isinstance(wire, str):
        # A code sent as a number is kept as its JSON text.
        assert carried == json.dumps(wire, separators=(",", ":")), f"{where}: {carried!r} != {wire!r}"
    else:
        assert type(carried) is type(wire), f"{where}: {carried!r} is a {type(carried).__name__}, not as sent"
        assert carried == wire, f"{where}: {carried!r} != {wire!r}"


def assert_error_matches(wire: Mapping[str, Any], error: Any, where: str = "error") -> None:
    """A :class:`ServiceError` (or an :class:`ErrorDetail`) carries the recorded error object field by field."""
    for key, value in wire.items():
        assert_same(value, getattr(error, field_of(key)), f"{where}.{key}")


def bodies(entries: Sequence[Mapping[str, Any]]) -> list[tuple[int, Any]]:
    """(index, JSON body) of every entry with a JSON body."""
    return [(i, e["body"]) for i, e in enumerate(entries) if isinstance(e.get("body"), dict | list)]
