"""The straight-line hooks for document and batch statuses agree with the cattrs-generated ones on any input."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs
import cattrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from doctrans_async._converter import (
    _DOCUMENT_SHAPES,
    _make_straight,
    _straight_batch,
    _straight_document,
    converter,
    generated,
    structure_documents,
)
from doctrans_async._models import BatchStatus, DocumentStatus

FIXTURES = Path(__file__).parent / "fixtures"

DOCUMENT: dict[str, Any] = {
    "path": "https://s.blob.core.windows.net/t/fr/a.txt",
    "sourcePath": "https://s.blob.core.windows.net/s/a.txt",
    "createdDateTimeUtc": "2024-10-11T02:18:42.6957534Z",
    "lastActionDateTimeUtc": "2021-03-26T00:00:00-08:00",
    "status": "Succeeded",
    "to": "fr",
    "progress": 1,
    "id": "001f0a26-0000-0000-0000-000000000000",
    "characterCharged": 27,
    # 2026-03-01's fields, and an error with the nested parts the lenient reader must keep.
    "totalImageScansSucceeded": 2,
    "totalImageScansFailed": 0,
    "imageCharged": 2,
    "imageCharacterDetected": 84,
    "deploymentName": "general",
    "error": {"code": "X", "message": "m", "target": "Document", "innerError": {"code": 404000}, "details": []},
}
BATCH: dict[str, Any] = json.loads((FIXTURES / "2024-05-01-batch-validation-failed.json").read_text())
BATCH["summary"] |= {"totalImageScansSucceeded": 1, "totalImageScansFailed": 0, "totalImageCharged": 1}

# Values that are right, wrong, or right in an unusual way for some field.
odd_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [
            *("", "0.5", "Cancelled", "Canceled", "cancelling", "Paused", "2024-10-11T02:18:42Z", "2024-10-11", "x"),
            # timestamps lower-case (RFC 3339 allows it), with no offset (read as UTC), with an offset, or not one
            *("2024-10-11t02:18:42.6957534z", "2024-10-11T02:18:42", "2024-10-11T02:18:42.12+05:30", "2024-13-11T00Z"),
        ]
    ),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.sampled_from(["code", "message", "target"]), st.text(max_size=5), max_size=3),
)


def outcome(hook: Any, body: Any, cls: type) -> object:
    """The hook's result with what ``==`` cannot see (each field's type, each timestamp's offset, the nested
    models' too), or the type of what it raised."""
    try:
        result = hook(body, cls)
    except Exception as error:  # the comparison is of outcomes, whatever they are
        return type(error)
    return result, exact(result)


def exact(model: Any) -> list[object]:
    """Each field's type, offset (of a timestamp) or own fields (of a nested model): 1 == 1.0 and "Succeeded" ==
    Status.SUCCEEDED, and one instant at two offsets is equal too."""
    parts: list[object] = []
    for field in attrs.fields(type(model)):
        value = getattr(model, field.name)
        parts.append((field.name, type(value)))
        if isinstance(value, datetime):
            parts.append(value.utcoffset())
        elif attrs.has(type(value)):
            parts.append(exact(value))
    return parts


def mutate(base: dict[str, Any], data: st.DataObject, nested: str | None = None) -> dict[str, Any]:
    """A copy of ``base`` with a few fields replaced by odd values or removed (in ``nested`` too)."""
    body = copy.deepcopy(base)
    target = body[nested] if nested else body
    for key in data.draw(st.lists(st.sampled_from(sorted(target)), max_size=3, unique=True)):
        if data.draw(st.booleans()):
            del target[key]
        else:
            target[key] = data.draw(odd_values)
    return body


@settings(max_examples=400, deadline=None)
@given(data=st.data(), nested=st.sampled_from([None, "error"]))
def test_document_fast_path_matches_generated(data: st.DataObject, nested: str | None) -> None:
    """Any variation of a document status, its error included, converts (or fails) the same through both hooks."""
    body = mutate(DOCUMENT, data, nested)
    fast = outcome(converter.get_structure_hook(DocumentStatus), body, DocumentStatus)
    assert fast == outcome(generated[DocumentStatus], body, DocumentStatus)


# A document of each shape the service sends: each takes its own line, with no lookup of the keys it lacks.
SHAPED = [{key: DOCUMENT[key] for key in sorted(shape)} for shape in _DOCUMENT_SHAPES]
WIRE_KEYS = sorted(DOCUMENT)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), base=st.sampled_from(SHAPED), swap=st.booleans())
def test_shaped_documents_match_generated(data: st.DataObject, base: dict[str, Any], swap: bool) -> None:
    """A document of one of the service's shapes, odd values included, converts (or fails) as the generated hook
    has it; with one key traded for another (the size of the shape, not its keys) too."""
    body = mutate(base, data)
    if swap and body:
        del body[data.draw(st.sampled_from(sorted(body)))]
        body[data.draw(st.sampled_from(WIRE_KEYS))] = data.draw(
            st.one_of(odd_values, st.sampled_from(list(DOCUMENT.values())))
        )
    fast = outcome(converter.get_structure_hook(DocumentStatus), body, DocumentStatus)
    assert fast == outcome(generated[DocumentStatus], body, DocumentStatus)


class CountingDict(dict[str, Any]):
    """A body that counts the keys looked up with ``get``."""

    gets = 0

    def get(self, key: str, default: Any = None) -> Any:
        type(self).gets += 1
        return super().get(key, default)


@pytest.mark.parametrize("base", SHAPED, ids=[str(len(body)) for body in SHAPED])
def test_a_shaped_document_is_read_without_lookups(base: dict[str, Any]) -> None:
    """Each of the service's shapes takes its own line: not one ``get`` for the fields it does not carry. A body of
    the same size with other keys takes the general line, and still converts as the generated hook has it."""
    CountingDict.gets = 0
    assert _straight_document(CountingDict(base)) == generated[DocumentStatus](base, DocumentStatus)
    assert CountingDict.gets == 0
    other = {**{key: value for key, value in base.items() if key != "path"}, "deploymentName": "general"}
    assert _straight_document(CountingDict(other)) == generated[DocumentStatus](other, DocumentStatus)
    assert CountingDict.gets > 0


@pytest.mark.parametrize(
    "shapes",
    [
        (frozenset({"id", "status", "createdDateTimeUtc", "lastActionDateTimeUtc"}),),  # without the required "to"
        (_DOCUMENT_SHAPES[0], _DOCUMENT_SHAPES[0] - {"path"} | {"error"}),  # two of one size
        (_DOCUMENT_SHAPES[0] | {"pathname"},),  # a key of no field
    ],
)
def test_a_shape_must_fit_the_model(shapes: tuple[frozenset[str], ...]) -> None:
    """A shape that lacks a required key, shares its size with another or names a key no field reads is refused
    where the hook is made, not discovered by a user's listing."""
    with pytest.raises(TypeError, match="shapes must be"):
        _make_straight(DocumentStatus, shapes)


@settings(max_examples=400, deadline=None)
@given(data=st.data(), nested=st.sampled_from([None, "summary", "error"]))
def test_batch_fast_path_matches_generated(data: st.DataObject, nested: str | None) -> None:
    """Any variation of a batch status, its summary included, converts (or fails) the same through both hooks."""
    body = mutate(BATCH, data, nested)
    fast = outcome(converter.get_structure_hook(BatchStatus), body, BatchStatus)
    assert fast == outcome(generated[BatchStatus], body, BatchStatus)


def test_fast_path_errors_are_cattrs_detailed_ones() -> None:
    """A broken document still fails with cattrs' detailed validation error, naming the field."""
    body = {k: v for k, v in DOCUMENT.items() if k != "to"}
    with pytest.raises(cattrs.ClassValidationError) as caught:
        converter.get_structure_hook(DocumentStatus)(body, DocumentStatus)
    assert "required field missing @ $.to" in cattrs.transform_error(caught.value)


def test_a_fallback_error_does_not_chain_to_the_straight_line() -> None:
    """The detailed error is the generated hook's own: not chained to the straight line's exception, whose
    traceback would keep a half-filled instance (of the subclass the straight line fills) reachable."""
    body = {k: v for k, v in DOCUMENT.items() if k != "to"}
    for convert in (converter.get_structure_hook(DocumentStatus), lambda o, _: structure_documents([o])):
        with pytest.raises(cattrs.BaseValidationError) as caught:
            convert(body, DocumentStatus)
        assert caught.value.__context__ is None


def test_straight_hooks_take_the_ordinary_bodies_themselves() -> None:
    """The base bodies (2026 fields and an odd error included) are converted by the straight-line hooks, not
    handed to the fallback, and equal the generated hooks' results."""
    assert _straight_document(DOCUMENT) == generated[DocumentStatus](DOCUMENT, DocumentStatus)
    assert _straight_batch(BATCH) == generated[BatchStatus](BATCH, BatchStatus)


@pytest.mark.parametrize(
    "text",
    [
        "2024-10-11T02:18:42.6957534Z",  # the service's seven digits
        "2021-05-05T19:58:11.212014Z",  # six (recorded: it drops a trailing zero)
        "2024-10-11t02:18:42.6957534z",  # RFC 3339's lower case: fromisoformat refuses the 'z'
        "2024-10-11t02:18:42.6957534Z",  # and takes the 't'
        "2024-10-11T02:18:42",  # no offset: UTC
        "2024-10-11T02:18:42.12+05:30",
    ],
)
@pytest.mark.parametrize("base", [DOCUMENT, *SHAPED], ids=["all", *(str(len(body)) for body in SHAPED)])
def test_timestamps_read_as_the_generated_hook_reads_them(text: str, base: dict[str, Any]) -> None:
    """Every form of timestamp comes out as the generated hook has it: aware, at the same instant and offset."""
    body = {**base, "createdDateTimeUtc": text, "lastActionDateTimeUtc": text}
    [fast] = structure_documents([body])
    if text.endswith(("Z", "+05:30")):  # read on the straight line itself, not handed to the fallback
        assert _straight_document(body) == fast
    slow = generated[DocumentStatus](body, DocumentStatus)
    for read in (fast.created_at, fast.last_action_at):
        assert read == slow.created_at
        assert read.utcoffset() == slow.created_at.utcoffset() is not None
