"""The one cattrs converter: JSON-shaped data in, models out.

Hooks are generated once, at import, so converting a page of documents runs straight-line code.
Wire names are camelCase (``createdDateTimeUtc``, ``innerError``); model fields are snake_case.
"""

from __future__ import annotations

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
    Status,
    StatusSummary,
)

__all__ = ["converter", "structure_batch", "structure_documents", "structure_error"]

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
        return float(value)
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
    for model in (ErrorDetail, StatusSummary, BatchStatus, DocumentStatus):
        renames = {f.name: override(rename=_wire_name(f.name)) for f in attrs.fields(model)}
        conv.register_structure_hook(model, make_structure(model, conv, **renames))
    return conv


converter = _make_converter()
"""The library's converter; its hooks are built once here."""


def _hook(cls: Any) -> Callable[[Any], Any]:
    hook = converter.get_structure_hook(cls)
    return lambda obj: hook(obj, cls)


structure_batch: Callable[[Any], BatchStatus] = _hook(BatchStatus)
structure_documents: Callable[[Any], list[DocumentStatus]] = _hook(list[DocumentStatus])
structure_error: Callable[[Any], ErrorDetail] = _hook(ErrorDetail)
