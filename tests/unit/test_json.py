"""The optional orjson decoder gives the standard library's value or failure, but for integers beyond 64 bits."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from doctrans_async import _json

orjson = pytest.importorskip("orjson")

# Integers within 64 bits: beyond them orjson decodes a float by design (see test_huge_integers_become_floats).
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


def outcome(loads: Any, body: bytes) -> object:
    """The decoded value (as its repr, so NaN equals NaN), or the type of the error."""
    try:
        return repr(loads(body))
    except (ValueError, RecursionError) as error:
        return type(error)


@settings(max_examples=300, deadline=None)
@given(value=json_values)
def test_valid_json_decodes_the_same(value: Any) -> None:
    """Any JSON value decodes to the same Python value through both decoders."""
    body = json.dumps(value).encode()
    assert outcome(_json._orjson_loads, body) == outcome(_json._stdlib_loads, body)


@pytest.mark.parametrize(
    "body",
    [
        b"NaN",
        b'{"n": Infinity}',
        b"1e400",
        "\ufeff{}".encode("utf-16"),
        b"[" * 5000 + b"]" * 5000,
        b'{"a": 1',
        b"",
        b"<html>",
    ],
)
def test_what_orjson_refuses_gets_the_standard_answer(body: bytes) -> None:
    """Bodies orjson refuses (NaN, huge integers, UTF-16, deep nesting, garbage) get json's value or error."""
    assert outcome(_json._orjson_loads, body) == outcome(_json._stdlib_loads, body)


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=64))
def test_arbitrary_bytes_fail_or_decode_the_same(body: bytes) -> None:
    """Arbitrary bytes decode to the same value, or fail the same way, through both decoders."""
    assume(b"0" * 20 not in body.translate(bytes(48 if 48 <= i <= 57 else i for i in range(256))))
    assert outcome(_json._orjson_loads, body) == outcome(_json._stdlib_loads, body)


def test_huge_integers_become_floats() -> None:
    """The one documented difference: an integer beyond 64 bits decodes as a float with orjson."""
    body = b"123456789012345678901234567890"
    assert _json._stdlib_loads(body) == 123456789012345678901234567890
    assert _json._orjson_loads(body) == pytest.approx(1.2345678901234568e29)
