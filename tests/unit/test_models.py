"""Unit tests of the models (Status, frozen attrs classes) and the one cattrs converter."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs
import cattrs
import pytest

from doctrans_async._converter import structure_batch, structure_documents, structure_error
from doctrans_async._models import (
    BatchStatus,
    DocumentPage,
    DocumentStatus,
    ErrorDetail,
    Status,
    StatusSummary,
)

FIXTURES = Path(__file__).parent / "fixtures"
SHARED = Path(__file__).parents[3] / "shared"


def load(name: str) -> Any:
    """The JSON body of a fixture copied verbatim into ``tests/unit/fixtures``."""
    return json.loads((FIXTURES / name).read_bytes())


def leaves(exc: BaseException) -> list[BaseException]:
    """The innermost exceptions of a (possibly nested) cattrs validation error."""
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for sub in exc.exceptions for leaf in leaves(sub)]
    return [exc]


def batch_body(**changes: Any) -> dict[str, Any]:
    """The recorded v1.0 Succeeded batch body with some top-level fields replaced."""
    body: dict[str, Any] = load("v1.0-batch-succeeded.json")
    body.update(changes)
    return body


def summary_body(**changes: Any) -> dict[str, Any]:
    """The recorded batch body with some summary fields replaced."""
    body = batch_body()
    body["summary"] = {**body["summary"], **changes}
    return body


def document_body(**changes: Any) -> dict[str, Any]:
    """The recorded document status item with some fields replaced."""
    item: dict[str, Any] = load("v1.0-documents-page.json")["value"][0]
    item.update(changes)
    return item


# --- the fixture copies -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "2024-05-01-batch-validation-failed.json",
        "v1.0-batch-cancelled.json",
        "v1.0-batch-succeeded.json",
        "v1.0-documents-page.json",
    ],
)
def test_recorded_fixture_copies_are_verbatim(name: str) -> None:
    """Each recorded body copied into tests/unit/fixtures is byte-for-byte the shared reference recording."""
    original = SHARED / "reference" / "recorded" / name
    if not original.exists():
        pytest.skip("shared/reference is not beside this clone")
    assert (FIXTURES / name).read_bytes() == original.read_bytes()


@pytest.mark.parametrize(
    ("seed", "index", "name"),
    [
        ("get-operation-status.md", 0, "seed-batch-succeeded.json"),
        ("get-operation-status.md", 1, "seed-error-401.json"),
        ("get-documents-status.md", 0, "seed-documents-page.json"),
        ("get-documents-status.md", 1, "seed-error-500.json"),
    ],
)
def test_seed_fixture_copies_are_verbatim(seed: str, index: int, name: str) -> None:
    """Each seed example body copied into tests/unit/fixtures is exactly the JSON block of the seed page."""
    page = SHARED / "seeds" / seed
    if not page.exists():
        pytest.skip("shared/seeds is not beside this clone")
    blocks = re.findall(r"```JSON\n(.*?)```", page.read_text(encoding="utf-8"), re.S)
    assert (FIXTURES / name).read_text(encoding="utf-8") == blocks[index]


# --- Status -------------------------------------------------------------------------------------------------

WIRE_VALUES = [
    (Status.NOT_STARTED, "NotStarted"),
    (Status.RUNNING, "Running"),
    (Status.SUCCEEDED, "Succeeded"),
    (Status.FAILED, "Failed"),
    (Status.CANCELING, "Cancelling"),
    (Status.CANCELED, "Cancelled"),
    (Status.VALIDATION_FAILED, "ValidationFailed"),
]


def test_status_has_exactly_the_seven_documented_members() -> None:
    """Status has the seven members of the contract and no others."""
    assert {member for member, _ in WIRE_VALUES} == set(Status)
    assert len(Status) == 7


@pytest.mark.parametrize(("member", "wire"), WIRE_VALUES)
def test_status_wire_value(member: Status, wire: str) -> None:
    """Every member's value and str() are the service's (double-L) wire text, and that text parses back to it."""
    assert member.value == wire
    assert str(member) == wire
    assert Status(wire) is member


@pytest.mark.parametrize(
    ("text", "member"),
    [
        ("Canceled", Status.CANCELED),
        ("Cancelled", Status.CANCELED),
        ("canceled", Status.CANCELED),
        ("CANCELLED", Status.CANCELED),
        ("cAnCeLeD", Status.CANCELED),
        ("Canceling", Status.CANCELING),
        ("Cancelling", Status.CANCELING),
        ("canceling", Status.CANCELING),
        ("CANCELLING", Status.CANCELING),
    ],
)
def test_status_both_cancel_spellings_map_to_one_member(text: str, member: Status) -> None:
    """Both spellings of cancellation, in any case, parse to the one member."""
    parsed = Status(text)
    assert parsed is member
    assert parsed.is_known


@pytest.mark.parametrize(("member", "wire"), WIRE_VALUES)
def test_status_case_variants_map_to_the_member(member: Status, wire: str) -> None:
    """Lower- and upper-case variants of every wire value parse to the same member."""
    assert Status(wire.lower()) is member
    assert Status(wire.upper()) is member


@pytest.mark.parametrize(
    ("member", "terminal"),
    [
        (Status.NOT_STARTED, False),
        (Status.RUNNING, False),
        (Status.CANCELING, False),
        (Status.SUCCEEDED, True),
        (Status.FAILED, True),
        (Status.CANCELED, True),
        (Status.VALIDATION_FAILED, True),
    ],
)
def test_status_is_terminal(member: Status, terminal: bool) -> None:
    """is_terminal is true exactly for Succeeded, Failed, Canceled and ValidationFailed (not Canceling)."""
    assert member.is_terminal is terminal
    assert member.is_known


@pytest.mark.parametrize("text", ["Paused", "Queued", "Succeeded ", "", "NotStarted2"])
def test_unknown_status_parses_to_a_non_member(text: str) -> None:
    """An unknown status string parses to a non-member Status whose str() is the wire text, never terminal."""
    parsed = Status(text)
    assert isinstance(parsed, Status)
    assert parsed not in list(Status)
    assert str(parsed) == text
    assert parsed == text
    assert parsed.is_terminal is False
    assert parsed.is_known is False


@pytest.mark.parametrize("value", [None, 1, 0.5, True, b"Running"])
def test_status_rejects_non_strings(value: Any) -> None:
    """A status that is not a string is a ValueError, not an unknown member."""
    with pytest.raises(ValueError, match="is not a valid Status"):
        Status(value)


def test_converter_keeps_an_unknown_status() -> None:
    """A document whose status the library has never seen still parses, keeping the text."""
    (doc,) = structure_documents([document_body(status="Paused")])
    assert str(doc.status) == "Paused"
    assert not doc.status.is_known
    assert not doc.status.is_terminal


# --- converter: bodies --------------------------------------------------------------------------------------


def test_seed_batch_example_verbatim() -> None:
    """The seed's batch status example (single-L era, status Succeeded) converts to the exact model."""
    batch = structure_batch(load("seed-batch-succeeded.json"))
    assert batch == BatchStatus(
        id="727bf148-f327-47a0-9481-abae6362f11e",
        status=Status.SUCCEEDED,
        created_at=datetime(2020, 3, 26, 0, 0, tzinfo=UTC),
        last_action_at=datetime(2020, 3, 26, 1, 0, tzinfo=UTC),
        summary=StatusSummary(
            total=10,
            failed=1,
            success=9,
            in_progress=0,
            not_yet_started=0,
            cancelled=0,
            total_character_charged=0,
        ),
        error=None,
    )
    assert batch.created_at.utcoffset() == timedelta(0)
    assert batch.is_terminal
    assert batch.summary.finished == 10


def test_seed_documents_example_verbatim() -> None:
    """The seed's documents example (progress sent as the number 0.1) converts to the exact model."""
    body = load("seed-documents-page.json")
    assert structure_documents(body["value"]) == [
        DocumentStatus(
            id="273622bd-835c-4946-9798-fd8f19f6bbf2",
            status=Status.RUNNING,
            to="fr",
            created_at=datetime(2020, 3, 26, 0, 0, tzinfo=UTC),
            last_action_at=datetime(2020, 3, 26, 1, 0, tzinfo=UTC),
            progress=0.1,
            path="https://myblob.blob.core.windows.net/destinationContainer/fr/mydoc.txt",
            source_path=None,
            character_charged=0,
            error=None,
        )
    ]


def test_recorded_validation_failed_batch() -> None:
    """The real ValidationFailed body converts with its nested innerError and seven-digit timestamps."""
    batch = structure_batch(load("2024-05-01-batch-validation-failed.json"))
    message = "Cannot access source document location with the current permissions."
    assert batch.id == "e84bc959-ec9c-4588-85f1-29719ce32860"
    assert batch.status is Status.VALIDATION_FAILED
    assert batch.is_terminal
    assert batch.created_at == datetime(2024, 10, 11, 2, 18, 42, 695753, tzinfo=UTC)
    assert batch.last_action_at == datetime(2024, 10, 11, 2, 18, 42, 977692, tzinfo=UTC)
    assert batch.error == ErrorDetail(
        code="InvalidRequest",
        message=message,
        target="Operation",
        inner_error=ErrorDetail(code="InvalidDocumentAccessLevel", message=message, target=None, inner_error=None),
    )
    assert batch.summary == StatusSummary(0, 0, 0, 0, 0, 0, 0)


def test_recorded_cancelled_batch() -> None:
    """The real double-L 'Cancelled' batch converts to the CANCELED member, terminal, with its counts."""
    batch = structure_batch(load("v1.0-batch-cancelled.json"))
    assert batch.status is Status.CANCELED
    assert batch.is_terminal
    assert batch.summary == StatusSummary(
        total=8, failed=0, success=0, in_progress=0, not_yet_started=0, cancelled=8, total_character_charged=0
    )
    assert batch.created_at == datetime(2021, 6, 23, 20, 24, 12, 114346, tzinfo=UTC)
    assert batch.error is None


def test_recorded_succeeded_batch() -> None:
    """The real Succeeded batch converts with its character count."""
    batch = structure_batch(load("v1.0-batch-succeeded.json"))
    assert batch.id == "e4b9da33-4c36-4c61-95fd-35b8d7d44a03"
    assert batch.status is Status.SUCCEEDED
    assert batch.summary.total == 10
    assert batch.summary.success == 10
    assert batch.summary.total_character_charged == 270
    assert batch.last_action_at == datetime(2022, 1, 25, 22, 47, 14, 514205, tzinfo=UTC)


def test_recorded_documents_page() -> None:
    """The real documents page converts, keeping sourcePath and the non-random id as a string."""
    (doc,) = structure_documents(load("v1.0-documents-page.json")["value"])
    assert doc.id == "001f0a26-0000-0000-0000-000000000000"
    assert doc.status is Status.SUCCEEDED
    assert doc.to == "es"
    assert doc.progress == 1.0
    assert type(doc.progress) is float
    assert doc.character_charged == 27
    assert doc.source_path == (
        "https://fakeendpoint.blob.core.windows.net/srcf2f828be-0e80-4e59-8db6-143f7a943535/"
        "fed97c03-bae4-41b5-bff2-45c1a7ddf3a7.txt"
    )
    assert doc.path is not None
    assert doc.path.startswith("https://fakeendpoint.blob.core.windows.net/targetb5c6db82-")
    assert doc.created_at == datetime(2022, 1, 25, 22, 47, 6, 980265, tzinfo=UTC)


def test_structure_error_apim_body() -> None:
    """The gateway's error body (code '401', no target) converts with target and inner_error None."""
    assert structure_error({"code": "401", "message": "Access denied"}) == ErrorDetail("401", "Access denied")


def test_structure_error_nested_three_deep() -> None:
    """innerError nests the same shape at any depth."""
    detail = structure_error(
        {
            "code": "a",
            "message": "A",
            "innerError": {"code": "b", "message": "B", "innerError": {"code": "c", "message": "C", "target": "t"}},
        }
    )
    assert detail.inner_error is not None
    assert detail.inner_error.inner_error == ErrorDetail("c", "C", "t", None)


# --- converter: timestamps ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-10-11T02:18:42.6957534Z", datetime(2024, 10, 11, 2, 18, 42, 695753, tzinfo=UTC)),
        ("2021-03-26T00:00:00-08:00", datetime(2021, 3, 26, 0, 0, tzinfo=timezone(timedelta(hours=-8)))),
        (
            "2021-03-26T00:00:00.1234567+05:30",
            datetime(2021, 3, 26, 0, 0, 0, 123456, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        ),
        ("2021-03-26T00:00:00.5+00:00", datetime(2021, 3, 26, 0, 0, 0, 500000, tzinfo=UTC)),
        ("2021-03-26T00:00:00", datetime(2021, 3, 26, 0, 0, tzinfo=UTC)),
        ("2021-03-26T00:00:00.1234567", datetime(2021, 3, 26, 0, 0, 0, 123456, tzinfo=UTC)),
    ],
)
def test_timestamps_become_exact_timezone_aware_datetimes(text: str, expected: datetime) -> None:
    """Seven-digit fractions, Z, offsets and naive (taken as UTC) timestamps parse to the exact aware instant."""
    batch = structure_batch(batch_body(createdDateTimeUtc=text, lastActionDateTimeUtc=text))
    for value in (batch.created_at, batch.last_action_at):
        assert value == expected
        assert value.tzinfo is not None
        assert value.utcoffset() == expected.utcoffset()


def test_offset_timestamp_is_the_right_instant() -> None:
    """'2021-03-26T00:00:00-08:00' is 08:00 UTC that day."""
    batch = structure_batch(batch_body(createdDateTimeUtc="2021-03-26T00:00:00-08:00"))
    assert batch.created_at.astimezone(UTC) == datetime(2021, 3, 26, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("text", ["yesterday", "2021-13-01T00:00:00Z", "", "2021-03-26T25:00:00Z"])
def test_unparsable_timestamp_raises_a_validation_error_with_value_error(text: str) -> None:
    """A timestamp that is not ISO 8601 raises a cattrs ClassValidationError wrapping a ValueError."""
    with pytest.raises(cattrs.ClassValidationError) as info:
        structure_batch(batch_body(createdDateTimeUtc=text))
    assert [type(leaf) for leaf in leaves(info.value)] == [ValueError]


@pytest.mark.parametrize("value", [None, 1616716800, ["2021-03-26T00:00:00Z"]])
def test_non_string_timestamp_raises_a_validation_error_with_type_error(value: object) -> None:
    """A timestamp that is not a string raises a cattrs ClassValidationError wrapping a TypeError."""
    with pytest.raises(cattrs.ClassValidationError) as info:
        structure_batch(batch_body(lastActionDateTimeUtc=value))
    assert [type(leaf) for leaf in leaves(info.value)] == [TypeError]


# --- converter: progress and counts -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"), [(0.1, 0.1), (1, 1.0), (0, 0.0), ("0.25", 0.25), ("1", 1.0), ("0.1", 0.1)]
)
def test_progress_as_number_or_numeric_string(value: object, expected: float) -> None:
    """progress is taken as a JSON number or a numeric string (the seed table's type) and becomes a float."""
    (doc,) = structure_documents([document_body(progress=value)])
    assert doc.progress == expected
    assert type(doc.progress) is float


def test_missing_progress_defaults_to_zero() -> None:
    """A document without progress gets 0.0."""
    item = document_body()
    del item["progress"]
    (doc,) = structure_documents([item])
    assert doc.progress == 0.0


@pytest.mark.parametrize(("value", "leaf"), [(True, TypeError), (None, TypeError), ("ten percent", ValueError)])
def test_bad_progress_raises(value: object, leaf: type[Exception]) -> None:
    """A bool, null or non-numeric string progress raises a cattrs validation error with the stated leaf."""
    with pytest.raises(cattrs.IterableValidationError) as info:
        structure_documents([document_body(progress=value)])
    assert [type(x) for x in leaves(info.value)] == [leaf]


@pytest.mark.parametrize("value", ["10", True, False, 10.5, None, float("inf")])
def test_bad_counts_raise_type_error(value: object) -> None:
    """String counts, bools as ints, fractional floats, null and infinity raise a validation error with TypeError."""
    with pytest.raises(cattrs.ClassValidationError) as info:
        structure_batch(summary_body(total=value))
    assert [type(leaf) for leaf in leaves(info.value)] == [TypeError]


def test_integral_float_count_is_accepted_as_int() -> None:
    """A count sent as 10.0 is the integer 10."""
    batch = structure_batch(summary_body(total=10.0))
    assert batch.summary.total == 10
    assert type(batch.summary.total) is int


def test_missing_total_character_charged_defaults_to_zero() -> None:
    """A summary without totalCharacterCharged parses with 0."""
    body = batch_body()
    del body["summary"]["totalCharacterCharged"]
    assert structure_batch(body).summary.total_character_charged == 0


def test_bool_character_charged_raises() -> None:
    """characterCharged true is not the integer 1: it raises a validation error with TypeError."""
    with pytest.raises(cattrs.IterableValidationError) as info:
        structure_documents([document_body(characterCharged=True)])
    assert [type(leaf) for leaf in leaves(info.value)] == [TypeError]


# --- converter: unknown fields, missing fields, wrong types -------------------------------------------------


def test_fields_of_2026_are_carried_and_unknown_ones_ignored() -> None:
    """2026-03-01's image counts and deploymentName are carried (None where a version omits them); a field this
    library does not know is ignored, not rejected."""
    body = summary_body(totalImageScansSucceeded=3, totalImageScansFailed=1, totalImageCharged=4)
    body["someFutureField"] = {"nested": [1, 2]}
    summary = structure_batch(body).summary
    assert (summary.total_image_scans_succeeded, summary.total_image_scans_failed, summary.total_image_charged) == (
        3,
        1,
        4,
    )
    assert structure_batch(batch_body()).summary.total_image_charged is None
    item = document_body(
        deploymentName="general",
        totalImageScansSucceeded=2,
        totalImageScansFailed=0,
        imageCharged=2,
        imageCharacterDetected=84,
        extra=None,
    )
    (doc,) = structure_documents([item])
    assert (
        doc.deployment_name,
        doc.total_image_scans_succeeded,
        doc.total_image_scans_failed,
        doc.image_charged,
        doc.image_character_detected,
    ) == ("general", 2, 0, 2, 84)
    (plain,) = structure_documents([document_body()])
    assert (plain.deployment_name, plain.image_charged, plain.image_character_detected) == (None, None, None)


def test_null_optional_fields_are_none() -> None:
    """error, path and sourcePath sent as null become None."""
    assert structure_batch(batch_body(error=None)).error is None
    (doc,) = structure_documents([document_body(path=None, sourcePath=None, error=None)])
    assert (doc.path, doc.source_path, doc.error) == (None, None, None)


@pytest.mark.parametrize("field", ["id", "status", "createdDateTimeUtc", "lastActionDateTimeUtc", "summary"])
def test_missing_required_batch_field_raises_key_error(field: str) -> None:
    """A batch body without a required field raises a ClassValidationError wrapping a KeyError naming it."""
    body = batch_body()
    del body[field]
    with pytest.raises(cattrs.ClassValidationError) as info:
        structure_batch(body)
    (leaf,) = leaves(info.value)
    assert isinstance(leaf, KeyError)
    assert leaf.args == (field,)


@pytest.mark.parametrize("field", ["id", "status", "to", "createdDateTimeUtc", "lastActionDateTimeUtc"])
def test_missing_required_document_field_raises_key_error(field: str) -> None:
    """A document without a required field raises an IterableValidationError wrapping a KeyError naming it."""
    item = document_body()
    del item[field]
    with pytest.raises(cattrs.IterableValidationError) as info:
        structure_documents([item])
    (leaf,) = leaves(info.value)
    assert isinstance(leaf, KeyError)
    assert leaf.args == (field,)


@pytest.mark.parametrize("value", [None, 123, ["x"], {"id": "x"}])
def test_non_string_id_raises_type_error(value: object) -> None:
    """A null or non-string id raises a validation error wrapping TypeError (never the text 'None')."""
    with pytest.raises(cattrs.ClassValidationError) as info:
        structure_batch(batch_body(id=value))
    assert [type(leaf) for leaf in leaves(info.value)] == [TypeError]


@pytest.mark.parametrize("value", [None, 1, ["Running"]])
def test_non_string_status_raises_type_error(value: object) -> None:
    """A status that is not a string raises a validation error wrapping TypeError."""
    with pytest.raises(cattrs.ClassValidationError) as info:
        structure_batch(batch_body(status=value))
    assert [type(leaf) for leaf in leaves(info.value)] == [TypeError]


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ({"code": "X"}, ErrorDetail("X")),
        ({"code": 404000, "message": "m"}, ErrorDetail("404000", "m")),
        ({"message": "m", "target": 7}, ErrorDetail("", "m", "7")),
        ({"code": "A", "innererror": {"code": "B"}}, ErrorDetail("A", inner_error=ErrorDetail("B"))),
        (
            {"code": "A", "innerError": {"code": "B", "message": "b"}},
            ErrorDetail("A", inner_error=ErrorDetail("B", "b")),
        ),
        (
            {"code": "A", "details": [{"code": "D1", "message": "d"}, {"code": "D2"}]},
            ErrorDetail("A", details=(ErrorDetail("D1", "d"), ErrorDetail("D2"))),
        ),
        ({"code": "A", "details": {"code": "D"}}, ErrorDetail("A", details=(ErrorDetail("D"),))),
        ({"code": "A", "innerError": "text"}, ErrorDetail("A", inner_error=ErrorDetail("", "text"))),
        ("just text", ErrorDetail("", "just text")),
        ([1, 2], ErrorDetail("", "[1,2]")),
        ({"code": True, "message": {"k": "v"}}, ErrorDetail("true", '{"k":"v"}')),
    ],
)
def test_errors_are_read_leniently_and_without_loss(wire: object, expected: ErrorDetail) -> None:
    """Whatever an error holds is kept: missing messages are None, non-string codes their JSON text, inner errors
    under either spelling, details as a tuple; anything that is not an error object becomes the message."""
    assert structure_error(wire) == expected


def _nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("field", ["code", "message", "target"])
def test_error_part_nested_too_deep_to_write_back_is_described(field: str) -> None:
    """A part nested deeper than json.dumps or repr can write back under the recursion limit becomes a
    description (it was a bare RecursionError, out of the library's error tree). On Python 3.11, orjson's 1,024
    levels are past that limit already; from 3.12 on, C code has a limit of its own, which 100,000 levels pass."""
    detail = structure_error({"code": "Deep", field: _nested(100_000)})
    assert getattr(detail, field) == "(a JSON array nested too deep to show)"


@pytest.mark.parametrize("body", [[], "text"])
def test_non_object_batch_body_raises_validation_error(body: object) -> None:
    """A batch body that is a list or string raises a ClassValidationError (one TypeError leaf per field)."""
    with pytest.raises(cattrs.ClassValidationError) as info:
        structure_batch(body)
    assert len(leaves(info.value)) == 5
    assert all(isinstance(leaf, TypeError) for leaf in leaves(info.value))


@pytest.mark.parametrize("body", [None, 5, 1.5, True])
def test_null_or_number_batch_body_raises_plain_type_error(body: object) -> None:
    """A null or number batch body raises a plain TypeError (not a cattrs error): callers must catch both."""
    with pytest.raises(TypeError) as info:
        structure_batch(body)
    assert not isinstance(info.value, cattrs.BaseValidationError)


def test_documents_not_a_list_raises() -> None:
    """structure_documents of a non-list raises TypeError or a cattrs validation error."""
    with pytest.raises((TypeError, cattrs.BaseValidationError)):
        structure_documents(None)


def test_bad_item_among_good_ones_names_its_index() -> None:
    """A bad item in a documents list raises an IterableValidationError whose description names its path."""
    good = document_body()
    bad = document_body(id=None)
    with pytest.raises(cattrs.IterableValidationError) as info:
        structure_documents([good, good, bad])
    assert cattrs.transform_error(info.value) == ["invalid value for type, expected str @ $[2].id"]


# --- models are frozen --------------------------------------------------------------------------------------


def _models() -> list[tuple[object, str]]:
    batch = structure_batch(load("2024-05-01-batch-validation-failed.json"))
    (doc,) = structure_documents(load("v1.0-documents-page.json")["value"])
    assert batch.error is not None
    return [
        (batch, "status"),
        (batch.summary, "total"),
        (batch.error, "code"),
        (doc, "progress"),
        (DocumentPage(items=[doc], next_link=None), "next_link"),
    ]


@pytest.mark.parametrize("index", range(5))
def test_models_are_frozen(index: int) -> None:
    """Assigning to a field of any model raises attrs' FrozenInstanceError."""
    model, field = _models()[index]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        setattr(model, field, None)


def test_models_are_attrs_frozen_classes() -> None:
    """Every model class is an attrs class (so cattrs builds its hooks)."""
    for cls in (BatchStatus, DocumentStatus, ErrorDetail, StatusSummary, DocumentPage):
        assert attrs.has(cls)
