"""The plain install's decoder (the C scanner called directly) gives exactly what ``json.loads`` gives: the value,
or the very error, message and position included. Runs with or without orjson installed. (On Python 3.11 alone,
a body nested within a few levels of the recursion limit decodes where json.loads runs out: not tested here.)"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from doctrans_async._json import _stdlib_loads

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
spaces = st.text(alphabet=" \t\n\r\u00a0\u2028\x0b\x0c", max_size=3)


def outcome(body: bytes, loads: Any) -> object:
    """The decoded value (as its repr, so NaN equals NaN), or the error's type, message and position."""
    try:
        return ("value", repr(loads(body)))
    except json.JSONDecodeError as error:
        return ("error", error.msg, error.pos)
    except (ValueError, RecursionError) as error:
        return ("error", type(error), str(error))


@settings(max_examples=300, deadline=None)
@given(value=json_values, before=spaces, after=spaces, encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
def test_any_json_text_decodes_as_json_loads_decodes_it(value: Any, before: str, after: str, encoding: str) -> None:
    """Whatever whitespace (JSON's or not) surrounds it and in whichever encoding json.loads detects."""
    body = (before + json.dumps(value, ensure_ascii=False) + after).encode(encoding, "surrogatepass")
    assert outcome(body, _stdlib_loads) == outcome(body, json.loads)


@settings(max_examples=500, deadline=None)
@given(body=st.binary(max_size=64))
def test_arbitrary_bytes_decode_or_fail_as_json_loads_does(body: bytes) -> None:
    assert outcome(body, _stdlib_loads) == outcome(body, json.loads)


@pytest.mark.parametrize(
    "body",
    [
        b'{"status": "Running"}',
        b'{"status": "Running"}\r\n',
        b' {"a": 1}',
        b'{"a": 1} x',
        b'{"a": 1}{"b": 2}',
        b'{"a": 1',
        b"",
        b"   ",
        b"NaN",
        b"1e400",
        b'"\xed\xa0\x80"',  # a lone surrogate, which json.loads lets through
        b"\xef\xbb\xbf{}",  # UTF-8 with a byte-order mark
        '{"a": "é"}'.encode("utf-32"),
        b"[" * 100_000 + b"]" * 100_000,
        b"<html>",
    ],
)
def test_unusual_bodies_get_json_loads_answer(body: bytes) -> None:
    assert outcome(body, _stdlib_loads) == outcome(body, json.loads)
