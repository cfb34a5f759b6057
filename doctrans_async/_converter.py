"""The one cattrs converter: JSON-shaped data in, models out.

Hooks are generated once, at import, so converting a page of documents runs straight-line code.
Wire names are camelCase (``createdDateTimeUtc``, ``innerError``); model fields are snake_case.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, override

from doctrans_async._models import (
    BatchStatus,
    DocumentStatus,
    ErrorDetail,
    FileFormat,
    Glossary,
    Status,
    StatusSummary,
    TranslationInput,
    TranslationTarget,
)

__all__ = [
    "converter",
    "input_to_wire",
    "structure_batch",
    "structure_batches",
    "structure_document",
    "structure_documents",
    "structure_error",
    "structure_formats",
    "structure_strings",
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


def _structure_datetime(value: object, _: type) -> datetime:
    if not isinstance(value, str):
        raise TypeError(f"expected a timestamp string, got {type(value).__name__}")
    # Python 3.11's fromisoformat takes 'Z', offsets and the service's seven fractional digits.
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _structure_status(value: object, _: type) -> Status:
    if isinstance(value, str):
        return Status(value)
    raise TypeError(f"expected a status string, got {type(value).__name__}")


# Typed loosely: its **overrides share a signature with its bool options, which mypy cannot tell apart.
make_structure: Any = make_dict_structure_fn


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(detailed_validation=True)
    conv.register_structure_hook(str, _structure_str)
    conv.register_structure_hook(int, _structure_int)
    conv.register_structure_hook(float, _structure_float)
    conv.register_structure_hook(datetime, _structure_datetime)
    conv.register_structure_hook(Status, _structure_status)
    for model in (ErrorDetail, StatusSummary, BatchStatus, DocumentStatus, FileFormat):
        renames = {f.name: override(rename=_wire_name(f.name)) for f in attrs.fields(model)}
        conv.register_structure_hook(model, make_structure(model, conv, **renames))
    return conv


converter = _make_converter()
"""The library's converter; its hooks are built once here."""


def _hook(cls: Any) -> Callable[[Any], Any]:
    hook = converter.get_structure_hook(cls)
    return lambda obj: hook(obj, cls)


structure_batch: Callable[[Any], BatchStatus] = _hook(BatchStatus)
structure_batches: Callable[[Any], list[BatchStatus]] = _hook(list[BatchStatus])
structure_document: Callable[[Any], DocumentStatus] = _hook(DocumentStatus)
structure_documents: Callable[[Any], list[DocumentStatus]] = _hook(list[DocumentStatus])
structure_error: Callable[[Any], ErrorDetail] = _hook(ErrorDetail)
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
