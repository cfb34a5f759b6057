"""JSON decoding: orjson when installed (``pip install 'doctrans-async[fast]'``), the standard library otherwise.

orjson decodes a page of documents about twice as fast. It is stricter than :mod:`json` (no ``NaN`` or
``Infinity``, UTF-8 only, nesting limited), so whatever it refuses goes to :mod:`json`, which gives the very
result (or error) a plain install gives. One difference remains, by orjson's design: an integer beyond 64 bits
decodes as a float where :mod:`json` keeps it exact. No count the service sends comes near; a check for long
digit runs would cost half of what orjson saves.
"""

from __future__ import annotations

import importlib
import json
from typing import Any

__all__ = ["loads"]


def _optional(name: str) -> Any:
    # Imported by name so that mypy --strict reads this module alike with and without the extra installed
    # (a plain `import` needs a type: ignore in one case that is unused in the other).
    try:
        return importlib.import_module(name)
    except ImportError:  # the extra is optional
        return None


orjson = _optional("orjson")


def _stdlib_loads(body: bytes) -> Any:
    return json.loads(body)


def _orjson_loads(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(body)


loads = _orjson_loads if orjson is not None else _stdlib_loads
