"""JSON decoding: orjson when installed (``pip install 'doctrans-async[fast]'``), the standard library otherwise.

orjson decodes a page of documents about twice as fast. It is stricter than :mod:`json` (no ``NaN`` or
``Infinity``, UTF-8 only, nesting limited), so whatever it refuses goes to :mod:`json`, which gives the very
result (or error) a plain install gives. Two differences remain, by orjson's design: an integer beyond 64 bits
decodes as a float where :mod:`json` keeps it exact (no count the service sends comes near; a check for long
digit runs would cost half of what orjson saves), and orjson reads 1,024 levels of nesting wherever it is called,
where :mod:`json` reads as deep as the interpreter's limit leaves room for (on Python 3.11 about 990 levels,
fewer in a deep stack; from 3.12 on, thousands).

Without orjson, the standard library's C scanner is called directly (the frames ``json.loads`` wraps around it
cost a status poll as much as the scanning); any body that is not plain UTF-8 JSON, and any failure, goes to
``json.loads`` itself. On Python 3.11 alone, where those frames count towards the recursion limit the scanner
also spends, a body nested within a few levels of that limit (about 995) decodes where ``json.loads`` raises
:class:`RecursionError`.
"""

from __future__ import annotations

import importlib
import json
from json.scanner import make_scanner
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


# json.loads reads a body through four Python frames and two regular-expression matches around its C scanner;
# for a status poll's few hundred bytes those cost as much as the scanning. The scanner, called directly:
# typeshed wants the scanner's own type for its context (a TODO there): what it reads are the decoder's settings.
_scan_once = make_scanner(json.JSONDecoder())  # type: ignore[arg-type]
_JSON_SPACE = " \t\n\r"


def _stdlib_loads(body: bytes) -> Any:
    # The ordinary body (UTF-8, a value from its first byte, nothing after it but JSON's whitespace) goes straight
    # to the scanner; anything else, and every failure, to json.loads itself, whose value or error it then is.
    # A UTF-16 or UTF-32 body, which json.loads detects, never passes: its NUL bytes stop the scanner.
    try:
        text = body.decode()
        value, end = _scan_once(text, 0)
    except (UnicodeDecodeError, StopIteration, ValueError, RecursionError):
        return json.loads(body)
    if end != len(text) and text[end:].strip(_JSON_SPACE):
        return json.loads(body)  # data after the value: json.loads says where
    return value


def _orjson_loads(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(body)


loads = _orjson_loads if orjson is not None else _stdlib_loads
