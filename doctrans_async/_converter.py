"""The one cattrs converter: JSON-shaped data in, models out.

Hooks are generated once, at import. Wire names are camelCase (``createdDateTimeUtc``, ``innerError``); model
fields are snake_case.

The two models a listing or a poll converts by the thousand (a document's and a batch's status) have a
straight-line hook in front of the generated one: generated from the model's fields at import, it converts the
ordinary, well-formed case with no per-field calls and fills the instance's slots directly (a document of one of
the shapes the service sends without looking up the keys it lacks), and hands anything else (an unknown status,
a string where a number belongs, a missing field) to the cattrs-generated hook, which gives the same result or the
detailed error. Property tests hold the two equal, each field's type (and a timestamp's offset) included.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, override

from doctrans_async._models import (
    BatchOutcome,
    BatchPage,
    BatchStatus,
    DocumentPage,
    DocumentStatus,
    ErrorDetail,
    FileFormat,
    Glossary,
    Status,
    StatusSummary,
    StorageType,
    TranslationInput,
    TranslationTarget,
)

__all__ = [
    "converter",
    "error_detail",
    "from_dict",
    "input_to_wire",
    "structure_batch",
    "structure_batches",
    "structure_document",
    "structure_documents",
    "structure_error",
    "structure_formats",
    "structure_strings",
    "to_dict",
]

T = TypeVar("T")

# Fields whose wire names are not the plain camelCase of the field name.
_WIRE_NAMES = {
    "created_at": "createdDateTimeUtc",
    "last_action_at": "lastActionDateTimeUtc",
}

_SNAKE = re.compile(r"_([a-z])")


def _wire_name(field: str) -> str:
    return _WIRE_NAMES.get(field) or _SNAKE.sub(lambda m: m.group(1).upper(), field)


def _structure_str(value: object, _: type) -> str:
    # cattrs' default calls str() on anything, which would turn null into "None".
    if isinstance(value, str):
        return value
    raise TypeError(f"expected a string, got {type(value).__name__}")


def _structure_int(value: object, _: type) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise TypeError(f"expected an integer, got {value!r:.40}")


def _structure_float(value: object, _: type) -> float:
    # The seed's table types progress as a string; the service sends a number. Take either.
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        number = float(value)
        if math.isfinite(number):
            return number
        raise ValueError(f"expected a finite number, got {value!r:.40}")
    raise TypeError(f"expected a number, got {type(value).__name__}")


def _parse_timestamp(text: str) -> datetime:
    # Python 3.11's fromisoformat takes 'Z', offsets and the service's seven fractional digits (keeping six).
    # Not cached: the service stamps each document's creation and last action apart (tests/recorded), so a cache
    # of texts only ever missed, at three times the cost of parsing.
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        # RFC 3339 allows a lower-case 'z', which fromisoformat refuses (it takes any separator for the 'T').
        parsed = datetime.fromisoformat(text.upper())
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def _structure_datetime(value: object, _: type) -> datetime:
    if not isinstance(value, str):
        raise TypeError(f"expected a timestamp string, got {type(value).__name__}")
    return _parse_timestamp(value)


_STATUS_BY_WIRE = {member.value: member for member in Status}


def _structure_status(value: object, _: type) -> Status:
    if isinstance(value, str):
        return _STATUS_BY_WIRE.get(value) or Status(value)
    raise TypeError(f"expected a status string, got {type(value).__name__}")


def _structure_optional_str(value: object, _: type) -> str | None:
    # Registered directly so an optional string costs one call, not a union dispatch and then a call.
    if value is None or type(value) is str:
        return value
    raise TypeError(f"expected a string or null, got {type(value).__name__}")


def _structure_str_tuple(value: object, _: type) -> tuple[str, ...]:
    # cattrs' default takes any iterable: a string would become its characters, an object its keys.
    if not isinstance(value, list | tuple):
        raise TypeError(f"expected an array of strings, got {type(value).__name__}")
    return tuple([_structure_str(item, str) for item in value])


# Typed loosely: its **overrides share a signature with its bool options, which mypy cannot tell apart.
make_structure: Any = make_dict_structure_fn


_MODELS = (StatusSummary, BatchStatus, DocumentStatus, FileFormat)
generated: dict[type, Callable[[Any, type], Any]] = {}
"""The cattrs-generated hook of each model (the straight-line hooks fall back to these)."""
_with_fallback: dict[type, Callable[[Any], Any]] = {}
"""The straight-line hook of a model, falling back to its generated one: the converter's hook, minus ``cls``."""


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(detailed_validation=True)
    conv.register_structure_hook(str, _structure_str)
    conv.register_structure_hook_func(lambda t: t == str | None, _structure_optional_str)
    conv.register_structure_hook(int, _structure_int)
    conv.register_structure_hook(float, _structure_float)
    conv.register_structure_hook(datetime, _structure_datetime)
    conv.register_structure_hook(Status, _structure_status)
    conv.register_structure_hook_func(lambda t: t == tuple[str, ...], _structure_str_tuple)
    conv.register_structure_hook(ErrorDetail, lambda value, _: error_detail(value))
    for model in _MODELS:
        renames = {f.name: override(rename=_wire_name(f.name)) for f in attrs.fields(model)}
        generated[model] = make_structure(model, conv, **renames)
        conv.register_structure_hook(model, generated[model])
    for model, straight in ((DocumentStatus, _straight_document), (BatchStatus, _straight_batch)):
        hook = _with_fallback[model] = _straight_or_generated(straight, model)
        conv.register_structure_hook(model, lambda o, _, hook=hook: hook(o))
    return conv


# --- errors: read leniently, never refused ----------------------------------------------------------------
# An error is what explains a failure: a nested part of an unexpected shape must not cost its code and message,
# and an odd error inside a 200 status must not make the status unreadable. So every JSON value gives one.

_ERROR_DEPTH = 200
"""Nesting kept of inner errors and details; deeper parts of a hostile body are dropped, not recursed into."""


def _as_text(value: object) -> str | None:
    # A string as given; a number, boolean or structure as its JSON text (404000 -> "404000"), so nothing is lost.
    if value is None or isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        return repr(value)
    except RecursionError:
        # Deeper than json.dumps and repr write back (orjson reads 1,024 levels: past the limit on Python 3.11).
        return f"(a JSON {'array' if isinstance(value, list) else 'object'} nested too deep to show)"


def error_detail(value: object, depth: int = 0) -> ErrorDetail:
    """An :class:`ErrorDetail` from any JSON value: an error object's parts as far as they can be read, anything
    else as the message."""
    if not isinstance(value, dict):
        return ErrorDetail(code="", message=_as_text(value))
    inner = value.get("innerError")
    if inner is None:
        inner = value.get("innererror")
    details = value.get("details")
    if details is None or depth >= _ERROR_DEPTH:
        details = []
    elif not isinstance(details, list):
        details = [details]
    return ErrorDetail(
        code=_as_text(value.get("code")) or "",
        message=_as_text(value.get("message")),
        target=_as_text(value.get("target")),
        inner_error=None if inner is None or depth >= _ERROR_DEPTH else error_detail(inner, depth + 1),
        details=tuple(error_detail(item, depth + 1) for item in details if item is not None),
    )


class _Unusual(Exception):
    """Input the straight-line hooks leave to the generated ones."""


# --- the straight-line hooks -------------------------------------------------------------------------------
# Generated once, from the model's fields: one function per model that reads each wire key, checks its exact
# type inline, and stores it in the new instance's slot (see _filling). That skips the attrs __init__ (keyword
# handling, then an object.__setattr__ by name for every field, which looks the descriptor up each time); it is
# sound because these models have no validators, converters or __attrs_post_init__, and no state but their
# fields' slots (checked below).

_NUMBER = (int, float)


def _read_as(kind: object, value: str) -> tuple[str, str | None]:
    """For a field of type ``kind`` read into the name ``value``: the expression stored, and the test that
    sends the input to the generated hook (``None``: the expression itself raises on anything unusual)."""
    if kind is str:
        return value, f"type({value}) is not str"
    if kind == str | None:
        return value, f"{value} is not None and type({value}) is not str"
    if kind is int:
        return value, f"type({value}) is not int"
    if kind == int | None:
        return value, f"{value} is not None and type({value}) is not int"
    if kind is float:
        return f"float({value})", f"type({value}) not in _NUMBER or not _isfinite({value})"
    if kind is Status:
        # An unknown status is unusual (not a KeyError, which would send a shaped body to the general line too).
        return value, f"({value} := _STATUS_get({value})) is None"
    if kind is datetime:
        # Parsed inline; a non-string, a lower-case 'z' (which fromisoformat refuses) or a timestamp with
        # no offset (which the generated hook reads as UTC) goes to the generated hook.
        return value, f"({value} := _fromisoformat({value})).tzinfo is None"
    if kind == ErrorDetail | None:
        return f"(None if {value} is None else error_detail({value}))", None
    if kind in _STRAIGHT_NESTED:
        return f"{_STRAIGHT_NESTED[kind]}({value})", None
    raise TypeError(f"no straight-line reading of {kind!r}")


_STRAIGHT_NESTED: dict[object, str] = {}
_STRAIGHT_GLOBALS: dict[str, Any] = {
    "_new": object.__new__,
    "_isfinite": math.isfinite,
    "_NUMBER": _NUMBER,
    "_STATUS_get": _STATUS_BY_WIRE.get,
    "_fromisoformat": datetime.fromisoformat,
    "error_detail": error_detail,
    "_Unusual": _Unusual,
}


def _filling(model: type[T]) -> type[T]:
    """A subclass of ``model`` that adds no slot and no field logic, only ordinary attribute stores.

    A straight-line hook fills one of these with plain stores (which the interpreter specializes to a direct
    slot write; a frozen model only takes a slot descriptor's ``__set__`` call per field, three times the cost)
    and then makes it a ``model``: with no slot of its own, the subclass has the model's layout, which is what
    ``__class__`` assignment requires. The instance never leaves the hook as anything but a ``model``.
    """
    namespace = {"__slots__": (), "__setattr__": object.__setattr__, "__delattr__": object.__delattr__}
    return type(f"_Filling{model.__name__}", (model,), namespace)


def _make_straight(model: type[T], shapes: tuple[frozenset[str], ...] = ()) -> Callable[[Any], T]:
    """The straight-line hook of ``model``: the ordinary case converted, anything else raises (for the fallback).

    ``shapes`` are key sets the service sends (see _DOCUMENT_SHAPES), at most one of each size. An input of a
    shape's size first takes that shape's own line, which reads each of its keys by subscript and stores every
    other field's default with no lookup at all; if one of its keys is missing (the only KeyError a line raises),
    the input has other keys and takes the general line, which looks each key up.
    """
    kinds: tuple[attrs.Attribute[Any], ...] = attrs.fields(attrs.resolve_types(model))  # type: ignore[type-var, arg-type]
    if hasattr(model, "__attrs_post_init__") or any(f.validator is not None or f.converter is not None for f in kinds):
        raise TypeError(f"{model.__name__} has field logic that filling its slots would skip")
    if "__dict__" in dir(model) or set(getattr(model, "__slots__", ())) - {"__weakref__"} != {f.name for f in kinds}:
        raise TypeError(f"{model.__name__} keeps state outside its fields' slots")
    wire_keys = {_wire_name(f.name) for f in kinds}
    required = {_wire_name(f.name) for f in kinds if f.default is attrs.NOTHING}
    if any(not required <= keys <= wire_keys for keys in shapes) or len({len(keys) for keys in shapes}) != len(shapes):
        raise TypeError(f"{model.__name__}'s shapes must be of distinct sizes, each its required keys and more")
    name = f"_straight_{model.__name__}"
    lines = [f"def {name}(o):"]
    for keys in shapes:
        lines += [f"    if len(o) == {len(keys)}:", "        try:"]
        lines += ["            " + line for line in _filling_lines(model, kinds, keys)]
        lines += ["        except KeyError:", "            pass"]
    lines += ["    " + line for line in _filling_lines(model, kinds, None)]
    namespace = {**_STRAIGHT_GLOBALS, "_cls": model, "_filling": _filling(model)}
    exec(compile("\n".join(lines), f"<straight-line hook of {model.__name__}>", "exec"), namespace)
    function: Callable[[Any], T] = namespace[name]
    _STRAIGHT_GLOBALS[name] = function
    _STRAIGHT_NESTED[model] = name
    return function


def _filling_lines(model: type, kinds: tuple[attrs.Attribute[Any], ...], keys: frozenset[str] | None) -> list[str]:
    """The statements that fill and return a new instance from ``o``: when ``keys`` are given, those keys read by
    subscript (a missing one raises KeyError) and every other field set to its default; otherwise each key read
    by subscript if it is required, by ``get`` with its default if not."""
    lines = ["obj = _new(_filling)"]
    for field in kinds:
        wire = _wire_name(field.name)
        default = field.default
        if default is not attrs.NOTHING and default is not None and type(default) not in (int, float, str):
            # a factory or a mutable default would be shared, or not written back by its repr
            raise TypeError(f"{model.__name__}.{field.name}'s default has no straight-line reading")
        if keys is not None and wire not in keys:  # never a required field's (checked by the caller)
            lines.append(f"obj.{field.name} = {default!r}")
            continue
        if keys is not None or default is attrs.NOTHING:
            lines.append(f"v = o[{wire!r}]")
        else:
            lines.append(f"v = o.get({wire!r}, {default!r})")
        expression, unusual = _read_as(field.type, "v")
        if unusual is not None:
            lines += [f"if {unusual}:", "    raise _Unusual"]
        lines.append(f"obj.{field.name} = {expression}")
    return [*lines, "obj.__class__ = _cls", "return obj"]


# The keys of a document's status as the service sends them (tests/recorded): an ordinary one, a failed one,
# and 2026-03-01's with its image counts. Anything else takes the general line.
_DOCUMENT_KEYS = frozenset(
    (
        "path",
        "sourcePath",
        "createdDateTimeUtc",
        "lastActionDateTimeUtc",
        "status",
        "to",
        "progress",
        "id",
        "characterCharged",
    )
)
_IMAGE_KEYS = frozenset(("totalImageScansSucceeded", "totalImageScansFailed", "imageCharged", "imageCharacterDetected"))
_DOCUMENT_SHAPES = (_DOCUMENT_KEYS, _DOCUMENT_KEYS | {"error"}, _DOCUMENT_KEYS | _IMAGE_KEYS)


_straight_summary = _make_straight(StatusSummary)
_straight_batch = _make_straight(BatchStatus)
_straight_document = _make_straight(DocumentStatus, _DOCUMENT_SHAPES)


def _straight_or_generated(straight: Callable[[Any], T], cls: type[T]) -> Callable[[Any], T]:
    # The converter's own hook for cls, without the frame that passes cls along (a poll converts one status).
    fallback = generated[cls]

    def hook(o: Any) -> T:
        try:
            return straight(o)
        except Exception:  # anything unusual is the generated hook's to convert, or to explain
            pass
        # Outside the except block, so that the fallback's error does not chain to the straight line's, whose
        # traceback would keep its half-filled instance reachable.
        return fallback(o, cls)  # type: ignore[no-any-return]

    return hook


def _list_with_fallback(straight: Callable[[Any], T], fallback: Callable[[Any], list[T]]) -> Callable[[Any], list[T]]:
    # A page whole on the straight line, with no per-item frame; any unusual item sends the whole page to the
    # list hook, which converts each item through the item's hook (and its fallback), or explains which failed.
    def hook(items: Any) -> list[T]:
        try:
            return [straight(item) for item in items]
        except Exception:  # as above: the list hook converts it, or raises the detailed error
            pass
        return fallback(items)

    return hook


converter = _make_converter()
"""The library's converter; its hooks are built once here."""


def _hook(cls: Any) -> Callable[[Any], Any]:
    hook = converter.get_structure_hook(cls)
    return lambda obj: hook(obj, cls)


structure_batch: Callable[[Any], BatchStatus] = _with_fallback[BatchStatus]
structure_batches: Callable[[Any], list[BatchStatus]] = _list_with_fallback(_straight_batch, _hook(list[BatchStatus]))
structure_document: Callable[[Any], DocumentStatus] = _with_fallback[DocumentStatus]
structure_documents: Callable[[Any], list[DocumentStatus]] = _list_with_fallback(
    _straight_document, _hook(list[DocumentStatus])
)
structure_error: Callable[[Any], ErrorDetail] = error_detail
structure_formats: Callable[[Any], list[FileFormat]] = _hook(list[FileFormat])
structure_strings: Callable[[Any], list[str]] = _hook(list[str])


# --- to the wire -----------------------------------------------------------------------------------------
# The request body nests what the input model keeps flat (source.filter.prefix), so it is spelled out here.


def _drop_none(fields: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if value is not None}


def _glossary_to_wire(glossary: Glossary) -> dict[str, Any]:
    return _drop_none(
        {
            "glossaryUrl": glossary.url,
            "format": glossary.format,
            "version": glossary.version,
            "storageSource": glossary.storage_source,
        }
    )


def _target_to_wire(target: TranslationTarget) -> dict[str, Any]:
    return _drop_none(
        {
            "targetUrl": target.url,
            "language": target.language,
            "category": target.category,
            "glossaries": [_glossary_to_wire(g) for g in target.glossaries] or None,
            "storageSource": target.storage_source,
            "deploymentName": target.deployment_name,
        }
    )


def input_to_wire(item: TranslationInput) -> dict[str, Any]:
    """One element of a start-translation request's ``inputs``."""
    filter_ = _drop_none({"prefix": item.prefix, "suffix": item.suffix})
    source = _drop_none(
        {
            "sourceUrl": item.source_url,
            "language": item.source_language,
            "storageSource": item.storage_source,
            "filter": filter_ or None,
        }
    )
    return _drop_none(
        {
            "source": source,
            "targets": [_target_to_wire(t) for t in item.targets],
            "storageType": item.storage_type.value if item.storage_type is not None else None,
        }
    )


# --- to and from plain dicts (public: dt.to_dict, dt.from_dict) ----------------------------------------------
# Field names as they are (snake_case), timestamps as ISO 8601 text, enums as their wire text, nested models as
# dicts: what a cache or a database row stores. A copy of the one converter, so its checks (no null for a string,
# finite numbers, aware timestamps) hold here too; only the names and the output shapes differ.

_PUBLIC_MODELS: tuple[type, ...] = (
    *_MODELS,
    ErrorDetail,
    BatchPage,
    DocumentPage,
    Glossary,
    TranslationTarget,
    TranslationInput,
)


def _outcome_to_dict(outcome: BatchOutcome) -> dict[str, Any]:
    if outcome.error is not None:
        # An exception is not data: its type and arguments do not survive JSON.
        raise TypeError("a BatchOutcome with an error has no dict form; store outcome.status, or the error's text")
    return {"batch_id": outcome.batch_id, "status": _plain.unstructure(outcome.status), "error": None}


def _outcome_from_dict(data: Any, _: type) -> BatchOutcome:
    if data.get("error") is not None:
        raise TypeError("a BatchOutcome's error cannot be read from a dict")
    status = data["status"]
    batch_id = _plain.structure(data["batch_id"], str)
    return BatchOutcome(batch_id, None if status is None else _plain.structure(status, BatchStatus), None)


def _make_plain_converter() -> cattrs.Converter:
    conv = converter.copy(unstruct_collection_overrides={tuple: list})
    conv.register_unstructure_hook(datetime, datetime.isoformat)
    for enumeration in (Status, StorageType):
        conv.register_unstructure_hook(enumeration, str)  # the wire text, an unknown status's included
    for model in _PUBLIC_MODELS:
        conv.register_structure_hook(model, make_dict_structure_fn(model, conv))
    conv.register_unstructure_hook(BatchOutcome, _outcome_to_dict)
    conv.register_structure_hook(BatchOutcome, _outcome_from_dict)
    return conv


_plain = _make_plain_converter()
_DICT_MODELS = frozenset((*_PUBLIC_MODELS, BatchOutcome))


def to_dict(model: Any) -> dict[str, Any]:
    """The model as a JSON-serialisable dict: snake_case keys, ISO 8601 timestamps, enums as their wire text, nested
    models as dicts. :func:`from_dict` turns it back into an equal model.

    A :class:`~doctrans_async.BatchOutcome` has a dict form only without an ``error`` (an exception is not data).
    """
    if type(model) not in _DICT_MODELS:
        raise TypeError(f"to_dict takes a doctrans_async model, not {type(model).__name__}")
    result: dict[str, Any] = _plain.unstructure(model)
    return result


def from_dict(cls: type[T], data: Mapping[str, Any]) -> T:
    """The model of class ``cls`` that :func:`to_dict` made ``data`` from; the exact inverse of :func:`to_dict`.

    Raises :class:`ValueError` naming each bad or missing field; keys it does not know are ignored.
    """
    if cls not in _DICT_MODELS:
        raise TypeError(f"from_dict makes a doctrans_async model, not {getattr(cls, '__name__', cls)!r}")
    try:
        return _plain.structure(data, cls)
    except cattrs.BaseValidationError as error:
        problems = "; ".join(cattrs.transform_error(error, path=cls.__name__))
        raise ValueError(f"not a {cls.__name__}: {problems}") from None
