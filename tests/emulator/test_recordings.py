"""Real recorded traffic (``tests/recorded/cassettes/``) replayed against the emulator, answer by answer.

Each cassette's requests go to an emulator set up like the recorded resource: the same batches (ids, sizes,
outcomes, order), and a virtual clock moved on, never back, until a polled batch shows the recorded status. Each
answer is then compared with the recorded one, facet by facet: status code, the headers a client reads, the body's
shape (keys in order, value types, list lengths), next links (origin and GUIDs generalised), statuses, error bodies,
formats lists and how a listing's creation times run. What still differs is in :data:`ALLOWED` with its reason: a
new difference fails, and so does an allowed one that no longer occurs, so the list stays the truth.
"""

from __future__ import annotations

import base64
import io
import itertools
import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import attrs
import pytest

from doctrans_async._clock import VirtualClock
from doctrans_async.emulator import Emulator

from . import AUTH, Answer, Probe, serve

CASSETTES = Path(__file__).parents[1] / "recorded" / "cassettes"
GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
ORIGIN = re.compile(r"^https?://[^/?]+")
UPPER_HEX_ETAG = re.compile(r'^"[0-9A-F]{64}"$')
START_BODY = {
    "inputs": [
        {
            "source": {"sourceUrl": "https://store.blob.core.windows.net/src"},
            "targets": [{"targetUrl": "https://store.blob.core.windows.net/es", "language": "es"}],
        }
    ]
}
_STALE_CACHE = (
    "the real run polled through a CDN cache: after DELETE said Cancelling, polls got the cached NotStarted answer "
    "of before the DELETE for a minute (Age 1-59, one X-RequestId); the emulator has no cache"
)
ALLOWED: dict[tuple[str, str, str, str], str] = {
    ("py-2024-05-01-start-cancel-poll", "statuses", '"NotStarted"', '"Cancelling"'): _STALE_CACHE,
    ("py-2024-05-01-start-cancel-poll", "retry-after", "null", '"1"'): (
        f"{_STALE_CACHE}; the emulator's Cancelling batch is in progress, so its status has Retry-After: 1"
    ),
    ("js-2024-05-01-poll-list-get-document", "retry-after", '"1"', "null"): (
        "the JS recording (2024-07) has Retry-After: 1 on every GET, a finished batch's status and document "
        "listings included, the Python recordings of 2024-10 on none: the emulator sends it on the status of a "
        "batch in progress only, which both agree with"
    ),
}
"""``(cassette, facet, recorded, emulated)`` (values as JSON) → why the emulator differs there."""


def _load(name: str) -> dict[str, Any]:
    cassette: dict[str, Any] = json.loads((CASSETTES / f"{name}.json").read_text(encoding="utf-8"))
    return cassette


NAMES = sorted(path.stem for path in CASSETTES.glob("*.json"))


# --- what is compared -----------------------------------------------------------------------------------


@attrs.frozen
class Wire:
    """One answer as compared: status, headers (names lower-cased) and body bytes."""

    status: int
    headers: Mapping[str, str]
    data: bytes

    @classmethod
    def recorded(cls, entry: Mapping[str, Any]) -> Wire:
        body = entry.get("body")
        if "body_b64" in entry:
            data = base64.b64decode(entry["body_b64"])
        else:
            data = b"" if body in (None, "") else json.dumps(body).encode()
        return cls(entry["status"], {k.lower(): v for k, v in entry["headers"].items()}, data)

    @classmethod
    def emulated(cls, answer: Answer) -> Wire:
        return cls(answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.data)

    def json(self) -> Any:
        if not self.data or "json" not in self.headers.get("content-type", ""):
            return None
        return json.loads(self.data)


def _generic(url: str | None) -> str | None:
    """A URL with its origin and GUIDs replaced, so a recorded link and the emulator's compare by shape."""
    return None if url is None else GUID.sub("{guid}", ORIGIN.sub("{origin}", url))


def _squeezed(value: str | None) -> str | None:
    # The same service wrote both "public,max-age=1" (2021) and "public, max-age=1" (2021-11 on).
    return None if value is None else value.replace(" ", "").lower()


def _shape(value: Any) -> Any:
    """Keys in order and value types, lists item by item (so lengths count too)."""
    if isinstance(value, dict):
        return [[key, _shape(item)] for key, item in value.items()]
    if isinstance(value, list):
        return [_shape(item) for item in value]
    if isinstance(value, bool) or value is None:
        return repr(value)
    return "number" if isinstance(value, int | float) else type(value).__name__


def facets(wire: Wire, path: str) -> dict[str, Any]:
    """Everything compared about one answer to a request for ``path``."""
    headers = wire.headers
    etag = headers.get("etag")
    body = wire.json()
    found: dict[str, Any] = {
        "status": wire.status,
        "content-type": _squeezed(headers.get("content-type")),
        "etag": "upper-hex" if etag is not None and UPPER_HEX_ETAG.match(etag) else etag,
        "cache-control": _squeezed(headers.get("cache-control")),
        "retry-after": headers.get("retry-after"),
        "operation-location": _generic(headers.get("operation-location")),
        "x-ms-error-code": headers.get("x-ms-error-code"),
        "body": "empty" if not wire.data else "json" if body is not None else "bytes",
    }
    if isinstance(body, dict):
        items = body.get("value") if isinstance(body.get("value"), list) else None
        found["shape"] = _shape(body)
        found["next-link"] = _generic(body.get("@nextLink", body.get("nextLink")))
        found["error"] = body.get("error")
        if items is None:
            found["statuses"] = body.get("status")
        elif path.endswith("/formats"):
            found["formats"] = items
        else:
            found["statuses"] = [item.get("status") for item in items]
            found["errors"] = [item.get("error") for item in items]
            found["created-order"] = _order([item.get("createdDateTimeUtc") for item in items])
    return found


def _order(stamps: list[Any]) -> str | None:
    """How a listing's creation times run: the real service stamps each item apart and lists newest first."""
    if len(stamps) < 2 or not all(isinstance(s, str) for s in stamps):
        return None
    moments = [datetime.fromisoformat(s) for s in stamps]
    steps = {(a > b) - (a < b) for a, b in itertools.pairwise(moments)}
    return {frozenset({1}): "newest first", frozenset({-1}): "oldest first"}.get(frozenset(steps), "ties or mixed")


def _text(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


# --- the resource each cassette was recorded on ---------------------------------------------------------

Seed = Callable[[Emulator, VirtualClock], None]


def _seed_like(emulator: Emulator, clock: VirtualClock, items: list[dict[str, Any]], filler: int) -> None:
    """One batch per recorded item, in creation order, with its id, size and outcome; then ``filler`` newer ones.

    A second apart, so creation order is listing order.
    """
    for item in items:
        total = max(1, item["summary"]["total"])
        status = item["status"]
        if status == "ValidationFailed":
            why = item["error"]["innerError"]["code"]
            emulator.add_batch(batch_id=item["id"], outcome=status, validation_error=why)
        elif status == "Failed":
            emulator.add_batch(batch_id=item["id"], documents=total, seconds=0, outcome=status)
        elif status == "Cancelled":
            emulator.cancel_batch(emulator.add_batch(batch_id=item["id"], documents=total, seconds=3600))
        else:
            emulator.add_batch(batch_id=item["id"], documents=total, seconds=0)
        clock.advance(1)
    for _ in range(filler):
        emulator.add_batch(documents=1, seconds=0)
        clock.advance(1)


def _listed(name: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = _load(name)["entries"][0]["body"]["value"]
    return items


def _seed_ascending_page(emulator: Emulator, clock: VirtualClock) -> None:
    # Page one of an oldest-first listing whose next link says 1,068 more: 1,118 batches.
    _seed_like(emulator, clock, _listed("py-2024-05-01-batches-orderby-page1"), filler=1068)


def _seed_newest_first_last_page(emulator: Emulator, clock: VirtualClock) -> None:
    # The last 22 of 877 newest first are the 22 oldest.
    _seed_like(emulator, clock, _listed("py-v1.0-batches-last-page")[::-1], filler=855)


def _seed_one(batch_id: str, documents: int, seconds: float) -> Seed:
    def seed(emulator: Emulator, clock: VirtualClock) -> None:
        emulator.add_batch(batch_id=batch_id, documents=documents, seconds=seconds)

    return seed


@attrs.frozen
class Setup:
    """How the recorded resource is rebuilt: emulator options, batches to seed, the key to send."""

    options: Mapping[str, Any] = attrs.Factory(dict)
    seed: Seed | None = None
    key: str | None = None
    """None sends the emulator's key; the 401 recordings sent a wrong one."""


SETUPS: dict[str, Setup] = {
    "js-2024-05-01-document-404-empty-body": Setup(),
    "js-2024-05-01-poll-list-get-document": Setup(seed=_seed_one("ec0dbd5a-3c95-4209-b768-4122e90e6a50", 1, 20)),
    "net-2024-05-01-formats-401": Setup(key="an invalid key"),
    "net-v1.0-formats-401": Setup(key="an invalid key"),
    "py-2024-05-01-batches-orderby-page1": Setup(seed=_seed_ascending_page),
    "py-2024-05-01-document-formats": Setup(),
    "py-2024-05-01-documents-skip": Setup(seed=_seed_one("17b218b1-f16b-442b-b203-bee1182df674", 10, 0)),
    "py-2024-05-01-start-cancel-poll": Setup({"start_documents": 8, "start_seconds": 600}),
    "py-2024-05-01-translate-document": Setup(),
    "py-2024-05-01-translate-document-400": Setup(),
    "py-v1.0-batches-last-page": Setup(seed=_seed_newest_first_last_page),
    "py-v1.0-glossary-formats": Setup(),
    "py-v1.0-preview.1-start-poll-list-paged": Setup({"start_documents": 10, "start_seconds": 20}),
    "py-v1.0-start-cancel": Setup({"start_documents": 8, "start_seconds": 600}),
}


# --- the replay -----------------------------------------------------------------------------------------

_PROGRESS = {"NotStarted": 0, "Running": 1, "Cancelling": 1}
"""How far along a status is (finished ones are 2): the clock only ever moves a batch forward."""


def catch_up(emulator: Emulator, clock: VirtualClock, batch_id: str, wanted: str) -> None:
    """Move the clock on until the batch shows ``wanted``, if that lies ahead of where it is."""
    for _ in range(100_000):
        if _PROGRESS.get(wanted, 2) <= _PROGRESS.get(emulator.batch_status(batch_id), 2):
            return
        clock.advance(0.05)


def _form(parts: list[dict[str, str]]) -> aiohttp.MultipartWriter:
    body = aiohttp.MultipartWriter("form-data")
    for part in parts:
        added = body.append(io.BytesIO(part["data"].encode()), {"Content-Type": part["content_type"]})
        added.set_content_disposition("form-data", name=part["name"], filename=part["filename"])
    return body


@attrs.define
class Replay:
    """One cassette's requests sent to one emulator, recorded ids mapped to the emulator's as they appear."""

    probe: Probe
    clock: VirtualClock
    cassette: dict[str, Any]
    setup: Setup
    ids: dict[str, str] = attrs.Factory(dict)

    def url(self, uri: str) -> str:
        url = ORIGIN.sub(self.probe.emulator.endpoint, uri)
        for recorded, emulated in self.ids.items():
            url = url.replace(recorded, emulated)
        return url.replace(" ", "%20")

    async def send(self, entry: Mapping[str, Any]) -> Wire:
        url = self.url(entry["uri"])
        headers = dict(AUTH) if self.setup.key is None else {"Ocp-Apim-Subscription-Key": self.setup.key}
        body: Any = None
        data: aiohttp.MultipartWriter | None = None
        if entry["method"] == "POST" and ":translate" in url:
            request = self.cassette["request"]
            headers["Accept"] = request["accept"]
            data = _form(request["parts"])
        elif entry["method"] == "POST":
            body = START_BODY
        return Wire.emulated(await self.probe.send(entry["method"], url, headers=headers, body=body, data=data))

    def learn_ids(self, recorded: Wire, emulated: Wire) -> None:
        """Map the ids the recording names to the ones the emulator gave the same things (by position in a list)."""
        theirs, mine = recorded.json(), emulated.json()
        pairs: list[tuple[Any, Any]] = []
        if isinstance(theirs, dict) and isinstance(mine, dict):
            pairs.append((theirs.get("id"), mine.get("id")))
            items = zip(theirs.get("value", []), mine.get("value", []), strict=False)
            pairs += [(a.get("id"), b.get("id")) for a, b in items if isinstance(a, dict) and isinstance(b, dict)]
        # v1.x's 202 has no body: the id is in Operation-Location only.
        located = [GUID.findall(wire.headers.get("operation-location", "")) for wire in (recorded, emulated)]
        if all(located):
            pairs.append((located[0][-1], located[1][-1]))
        for theirs_id, mine_id in pairs:
            if isinstance(theirs_id, str) and isinstance(mine_id, str) and theirs_id != mine_id:
                self.ids.setdefault(theirs_id, mine_id)

    def prepare(self, entry: Mapping[str, Any]) -> None:
        """Before a status poll, bring the batch to the recorded status if it lies ahead."""
        body = entry.get("body")
        if entry["method"] == "GET" and isinstance(body, dict) and "summary" in body:
            recorded_id = str(body["id"])
            catch_up(self.probe.emulator, self.clock, self.ids.get(recorded_id, recorded_id), str(body["status"]))


async def replay(name: str) -> set[tuple[str, str, str, str]]:
    """Every difference between the recording ``name`` and the emulator's answers to its requests."""
    cassette, setup = _load(name), SETUPS[name]
    clock = VirtualClock()
    differences: set[tuple[str, str, str, str]] = set()
    async with serve(clock=clock, **setup.options) as probe:
        if setup.seed is not None:
            setup.seed(probe.emulator, clock)
        run = Replay(probe, clock, cassette, setup)
        for entry in cassette["entries"]:
            run.prepare(entry)
            emulated = await run.send(entry)
            recorded = Wire.recorded(entry)
            run.learn_ids(recorded, emulated)
            path = entry["uri"].partition("?")[0]
            theirs, mine = facets(recorded, path), facets(emulated, path)
            for facet in theirs.keys() | mine.keys():
                if theirs.get(facet) != mine.get(facet):
                    differences.add((name, facet, _text(theirs.get(facet)), _text(mine.get(facet))))
    return differences


@pytest.mark.parametrize("name", NAMES)
async def test_the_emulator_answers_as_the_recorded_service(name: str) -> None:
    """Replayed against the emulator, the recording shows no difference but the allowed ones, each still there."""
    found = await replay(name)
    allowed = {key for key in ALLOWED if key[0] == name}
    new = "\n".join(f"  {facet}: recorded {theirs}, emulated {mine}" for _, facet, theirs, mine in found - allowed)
    gone = "\n".join(f"  {facet}: {theirs} / {mine}" for _, facet, theirs, mine in allowed - found)
    assert not new, f"differences not in ALLOWED:\n{new}"
    assert not gone, f"allowed differences that no longer occur (drop them from ALLOWED):\n{gone}"


def test_every_cassette_has_a_setup_and_every_allowance_a_cassette() -> None:
    """No cassette is replayed on a guessed resource, and the allow-list names only cassettes that exist."""
    assert sorted(SETUPS) == NAMES
    assert {key[0] for key in ALLOWED} <= set(NAMES)
