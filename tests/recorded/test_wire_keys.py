"""Every key of every recorded body is carried by the model it parses into; odd errors never cost a status.

The enumeration is of the cassettes themselves: a new cassette with a field the models drop fails here.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import attrs
import pytest

import doctrans_async as dt
from doctrans_async._converter import structure_batch, structure_document, structure_error, structure_formats
from tests.recorded.replay import Replay, assert_lossless, assert_same, bodies, cassette_names, load

PAGE_KEYS = {"value", "@nextLink", "nextLink"}
NOT_CARRIED = {
    # start_translation returns the id; a just-started batch is always NotStarted, and get_status reads it whole.
    ("started", "status"),
}


def kind_of(item: Any) -> str:
    """What a recorded body (or listed item) is."""
    if isinstance(item, str):
        return "storage source"
    if set(item) == {"error"}:
        return "error"
    if "summary" in item:
        return "batch"
    if "to" in item:
        return "document"
    if "format" in item:
        return "format"
    if set(item) == {"id", "status"}:
        return "started"
    raise AssertionError(f"a recorded body of no known kind: {sorted(item)}")


def recorded_items() -> Iterator[tuple[str, str, Any]]:
    """(where, kind, wire object) of every recorded body and every item of every recorded page."""
    for name in cassette_names():
        for index, body in bodies(load(name)["entries"]):
            where = f"{name}[{index}]"
            if isinstance(body, dict) and "value" in body:
                assert set(body) <= PAGE_KEYS, f"{where}: page keys not read: {set(body) - PAGE_KEYS}"
                for number, item in enumerate(body["value"]):
                    yield f"{where}.value[{number}]", kind_of(item), item
            else:
                yield where, kind_of(body), body


ITEMS = list(recorded_items())


def test_every_kind_of_recorded_body_is_enumerated() -> None:
    """The enumeration reaches batches, documents, formats, errors, errors inside statuses and started bodies."""
    kinds = {kind for _, kind, _ in ITEMS}
    assert kinds == {"batch", "document", "format", "error", "started"}
    assert sum(1 for _, kind, item in ITEMS if kind == "batch" and "error" in item) >= 5
    assert len(ITEMS) > 150


@pytest.mark.parametrize(("where", "kind", "wire"), ITEMS, ids=[where for where, _, _ in ITEMS])
def test_every_recorded_key_is_carried(where: str, kind: str, wire: Any) -> None:
    """Each recorded object's every key is a model field holding the same value (timestamps to the µs)."""
    if kind == "batch":
        assert_lossless(wire, structure_batch(wire), where)
    elif kind == "document":
        assert_lossless(wire, structure_document(wire), where)
    elif kind == "format":
        (parsed,) = structure_formats([wire])
        assert_lossless(wire, parsed, where)
    elif kind == "error":
        assert_lossless(wire["error"], structure_error(wire["error"]), where)
    else:
        assert {(kind, key) for key in wire if key != "id"} <= NOT_CARRIED


def test_the_checker_fails_on_a_key_the_model_lacks() -> None:
    """assert_lossless is not vacuous: an unknown key, a changed value or a lost microsecond fails it."""
    (_, _, wire) = next(item for item in ITEMS if item[1] == "document")
    parsed = structure_document(wire)
    with pytest.raises(AssertionError, match="not carried"):
        assert_lossless({**wire, "someNewField": 1}, parsed)
    with pytest.raises(AssertionError):
        assert_lossless(wire, attrs.evolve(parsed, character_charged=parsed.character_charged + 1))
    with pytest.raises(AssertionError):
        assert_same("2024-10-11T02:18:42.6957534Z", parsed.created_at.replace(microsecond=695754), "t")


@pytest.mark.parametrize(
    "text", ["2024-10-11t02:18:42.6957534z", "2024-10-11T02:18:42.6957534z", "2021-03-26t00:00:00-08:00"]
)
def test_lower_case_t_and_z_timestamps_parse(text: str) -> None:
    """RFC 3339 lets 't' and 'z' be lower case; they parse to the same instant, to the microsecond."""
    (_, _, wire) = next(item for item in ITEMS if item[1] == "document")
    parsed = structure_document({**wire, "createdDateTimeUtc": text})
    assert_same(text, parsed.created_at, "createdDateTimeUtc")


# --- an odd error inside a 200 status ----------------------------------------------------------------------


def validation_failed() -> dict[str, Any]:
    """A real ValidationFailed batch (with its error) from the recorded 2024-05-01 listing."""
    page = load("py-2024-05-01-batches-orderby-page1")["entries"][0]["body"]
    return copy.deepcopy(next(item for item in page["value"] if item["status"] == "ValidationFailed"))


ODD_ERRORS: list[Any] = [
    {"code": "InvalidRequest", "message": "m", "innerError": {"code": "InvalidDocumentAccessLevel"}},
    {"code": "InvalidRequest", "message": "m", "innererror": {"code": "X", "innererror": {"code": "Y"}}},
    {"code": "InvalidRequest", "details": [{"code": "D", "message": "d", "target": "t"}], "innerError": None},
    {"code": 404000, "message": "m", "innerError": {"code": 404000}},
    {"message": ["not", "text"]},
    "a bare string",
    [1, 2],
]


@pytest.mark.parametrize("error", ODD_ERRORS)
async def test_wait_for_completion_returns_a_status_whose_error_has_an_odd_shape(error: Any) -> None:
    """A terminal status whose error has an unexpected shape is still returned, its error read as far as it goes."""
    status = {**validation_failed(), "error": error}
    entry = {
        "method": "GET",
        "uri": f"https://x.cognitiveservices.azure.com/translator/document/batches/{status['id']}"
        "?api-version=2024-05-01",
        "status": 200,
        "headers": {"Content-Type": "application/json; charset=utf-8"},
        "body": status,
    }
    async with Replay({"name": "odd-error", "entries": [entry]}) as replay:
        async with dt.DocumentTranslationClient(
            replay.endpoint, key="k", api_version="2024-05-01", retry=None, clock=dt.VirtualClock()
        ) as client:
            final = await client.wait_for_completion(status["id"])
        replay.check_done()
    assert final.status is dt.Status.VALIDATION_FAILED
    assert final.error is not None
    if isinstance(error, dict):
        assert_lossless({k: v for k, v in error.items() if v is not None}, final.error)
    else:
        assert final.error.code == ""
        assert final.error.message == (error if isinstance(error, str) else "[1,2]")
