"""dt.to_dict / dt.from_dict: a lossless, JSON-serialisable round trip for every public model."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from types import UnionType
from typing import Any, Union, get_args, get_origin, get_type_hints

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import doctrans_async as dt
from doctrans_async._converter import structure_batch, structure_documents

FIXTURES = Path(__file__).parent / "unit" / "fixtures"
ROUND_TRIPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Unknown statuses too: a status the library has never seen must survive the cache as it came.
statuses = st.sampled_from(list(dt.Status)) | st.text(min_size=1, max_size=12).map(dt.Status)
aware = st.datetimes(
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=8))])
)
SCALARS: dict[object, st.SearchStrategy[Any]] = {
    str: st.text(max_size=12),
    int: st.integers(min_value=0, max_value=2**63),
    float: st.floats(allow_nan=False, allow_infinity=False),
    datetime: aware,
    dt.Status: statuses,
    dt.StorageType: st.sampled_from(list(dt.StorageType)),
    type(None): st.none(),
    Exception: st.none(),  # an outcome's error has no dict form (test_only_models)
}
_built: dict[type, st.SearchStrategy[Any]] = {}


def strategy(hint: Any) -> st.SearchStrategy[Any]:
    """Values of a field's type, models built field by field from their hints: a field added to a model is drawn
    too (and a field of a new kind of type fails here, loudly, until it is given a strategy)."""
    if hint in SCALARS:
        return SCALARS[hint]
    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, UnionType):
        return st.one_of(*(strategy(arg) for arg in args))
    if origin in (list, tuple):
        # A model that nests itself in a list (ErrorDetail.details) would grow wide trees: one per level (pages of
        # several items are read in the other tests).
        items = st.lists(strategy(args[0]), max_size=1 if attrs.has(args[0]) else 3)
        return items if origin is list else items.map(tuple)
    if isinstance(hint, type) and attrs.has(hint):
        if hint not in _built:
            # Deferred, so a model that nests itself (ErrorDetail.inner_error) is defined before it is drawn.
            hints = get_type_hints(hint)
            fields = {field.name: hints[field.name] for field in attrs.fields(hint)}
            _built[hint] = st.deferred(lambda: st.builds(hint, **{name: strategy(h) for name, h in fields.items()}))
        return _built[hint]
    raise TypeError(f"no strategy for {hint!r}: add one to SCALARS")


# Settings, events and a transport's plumbing (what Transport.send takes and returns): not data to store.
NOT_MODELS: set[type] = {
    *(dt.RequestEvent, dt.RetryEvent, dt.PollEvent, dt.RetryPolicy, dt.PollPolicy),
    *(dt.Request, dt.Response, dt.Deadline),
}
MODELS = sorted(
    (
        cls
        for cls in (getattr(dt, name) for name in dt.__all__)
        if isinstance(cls, type) and attrs.has(cls) and cls not in NOT_MODELS and not cls.__name__.endswith("Event")
    ),
    key=lambda cls: cls.__name__,
)


def test_every_public_model_is_covered() -> None:
    """The round trip below runs for each model the package exports (names checked, so none drops out unseen)."""
    assert {cls.__name__ for cls in MODELS} >= {
        "BatchOutcome", "BatchPage", "BatchStatus", "DocumentPage", "DocumentStatus", "ErrorDetail", "FileFormat",
        "Glossary", "StatusSummary", "TranslationInput", "TranslationTarget",
    }  # fmt: skip


@pytest.mark.parametrize("cls", list(MODELS), ids=lambda cls: cls.__name__)
@ROUND_TRIPS
@given(data=st.data())
def test_from_dict_inverts_to_dict(cls: type, data: st.DataObject) -> None:
    """from_dict(C, to_dict(x)) == x, directly and through JSON text (the dict is JSON-serialisable as it is)."""
    model = data.draw(strategy(cls))
    plain = dt.to_dict(model)
    assert dt.from_dict(cls, plain) == model
    through_json = json.loads(json.dumps(plain, allow_nan=False))
    assert through_json == plain
    assert dt.from_dict(cls, through_json) == model


def test_the_dict_has_snake_case_keys_iso_timestamps_and_wire_text() -> None:
    """A real batch status as a dict: the field names, ISO 8601 text, the status's wire spelling as a plain str."""
    batch = structure_batch(json.loads((FIXTURES / "2024-05-01-batch-validation-failed.json").read_bytes()))
    plain = dt.to_dict(batch)
    assert set(plain) == {"id", "status", "created_at", "last_action_at", "summary", "error"}
    assert type(plain["status"]) is str
    assert plain["status"] == "ValidationFailed"
    assert datetime.fromisoformat(plain["created_at"]) == batch.created_at
    assert plain["summary"]["not_yet_started"] == batch.summary.not_yet_started
    assert plain["error"]["code"] == batch.error.code if batch.error else plain["error"] is None


def test_real_documents_survive() -> None:
    """Documents parsed from a recorded page come back equal, wire-spelled timestamps and all."""
    body = json.loads((FIXTURES / "v1.0-documents-page.json").read_bytes())
    for document in structure_documents(body["value"]):
        assert dt.from_dict(dt.DocumentStatus, json.loads(json.dumps(dt.to_dict(document)))) == document


def test_tuples_become_lists_and_enums_text() -> None:
    """A file format's tuples are JSON arrays; an input's storage type is its wire text."""
    fmt = dt.FileFormat("PlainText", (".txt",), ("text/plain",))
    assert dt.to_dict(fmt)["file_extensions"] == [".txt"]
    source = dt.TranslationInput(
        "https://s", [dt.TranslationTarget("https://t", "fr")], storage_type=dt.StorageType.FILE
    )
    assert type(dt.to_dict(source)["storage_type"]) is str


def test_bad_data_names_the_fields() -> None:
    """from_dict refuses what to_dict could not have made, with a ValueError naming each field."""
    with pytest.raises(ValueError, match=r"BatchStatus\.id") as caught:
        dt.from_dict(dt.BatchStatus, {"id": None, "status": "Running"})
    assert "BatchStatus.created_at" in str(caught.value)
    page = json.loads((FIXTURES / "v1.0-documents-page.json").read_bytes())
    document = dt.to_dict(structure_documents(page["value"])[0])
    with pytest.raises(ValueError, match="progress"):
        dt.from_dict(dt.DocumentStatus, {**document, "progress": "NaN"})


@pytest.mark.parametrize("value", [".txt", {".txt": True}])
def test_a_string_or_object_is_no_tuple_of_strings(value: object) -> None:
    """A string where a list of strings belongs is refused, not split into its characters (nor an object into its
    keys), as cattrs' own hook would."""
    with pytest.raises(ValueError, match=r"FileFormat\.file_extensions"):
        dt.from_dict(dt.FileFormat, {"format": "PlainText", "file_extensions": value, "content_types": ["text/plain"]})


def test_only_models() -> None:
    """Other objects are refused both ways, and an outcome holding an exception has no dict form."""
    with pytest.raises(TypeError, match="doctrans_async model"):
        dt.to_dict({"id": "x"})
    with pytest.raises(TypeError, match="doctrans_async model"):
        dt.from_dict(dict, {})
    with pytest.raises(TypeError, match="error"):
        dt.to_dict(dt.BatchOutcome("b1", None, dt.PollingTimeoutError("gone", last_status=None)))
    with pytest.raises(TypeError, match="error"):
        dt.from_dict(dt.BatchOutcome, {"batch_id": "b1", "status": None, "error": "gone"})
