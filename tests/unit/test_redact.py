"""Redaction, exhaustively: no secret survives in any text, model, event or error the redactor has seen."""

from __future__ import annotations

import copy
import json
import pickle
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

import doctrans_async as dt
from doctrans_async._auth import Secret
from doctrans_async._events import PollEvent, RequestEvent, RetryEvent
from doctrans_async._redact import MARK, Redactor, secrets_of
from doctrans_async._sansio import Request, Response, error_for

NOW = datetime(2026, 1, 1, tzinfo=UTC)
KEY = "0123456789abcdef0123456789abcdef"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"

# Small alphabets make secrets overlap each other, the mark and the text around them: the hard cases.
small = st.text(alphabet="ab*", min_size=1, max_size=6).filter(lambda s: s.strip("*"))
secret_lists = st.lists(st.one_of(small, st.text(min_size=1, max_size=12).filter(lambda s: s.strip("*"))), max_size=4)
texts = st.text(alphabet=st.sampled_from("ab* \n\x1bé"), max_size=40) | st.text(max_size=40)
# What keys and tokens are made of (base64url, hex, JWT dots; 4 characters or more, so that no length byte of
# a pickle spells one), and printable text around them: repr() escapes
# other characters, and an escape's letters next to a mark are not a secret shown.
key_like = st.lists(st.text(alphabet="abcdefXYZ0123456789-_.", min_size=4, max_size=12), max_size=3)
printable = st.text(alphabet=st.characters(categories=["L", "N", "P", "S"]) | st.just(" "), max_size=30)


def leaks(shown: str | bytes, secrets: list[str]) -> list[str]:
    """The secrets that ``shown`` still contains."""
    if isinstance(shown, bytes):
        return [s for s in secrets if s.encode() in shown]
    return [s for s in secrets if s in shown]


# --- texts -----------------------------------------------------------------------------------------------


@given(secret_lists, texts)
@example(["*a"], "aa*")
@example(["a", "**a"], "aa")
@example(["ab", "b*"], "aab*")
def test_no_secret_survives(secrets: list[str], text: str) -> None:
    """Whatever the secrets and the text, the redacted text contains none of them."""
    assert leaks(Redactor(secrets).text(text), secrets) == []


@given(secret_lists, texts)
def test_text_without_secrets_is_unchanged(secrets: list[str], text: str) -> None:
    """A text holding no secret comes back as it was."""
    if not leaks(text, secrets):
        assert Redactor(secrets).text(text) == text


@given(secret_lists, texts)
def test_redaction_is_idempotent(secrets: list[str], text: str) -> None:
    """Redacting twice is redacting once."""
    redactor = Redactor(secrets)
    once = redactor.text(text)
    assert redactor.text(once) == once


@given(st.text(alphabet="xyz ", max_size=20), st.text(alphabet="xyz ", max_size=20))
def test_a_secret_becomes_the_mark(before: str, after: str) -> None:
    """A key among other text is replaced by the mark, the text around it kept."""
    assert Redactor([KEY, TOKEN]).text(f"{before}{KEY}{after}{TOKEN}") == f"{before}{MARK}{after}{MARK}"


@given(secret_lists, st.binary(max_size=40) | texts.map(str.encode))
def test_no_secret_survives_in_bytes(secrets: list[str], data: bytes) -> None:
    """Raw bodies too: no secret's UTF-8 bytes are left."""
    assert leaks(Redactor(secrets).bytes(data), secrets) == []


def test_unusable_secrets_are_ignored_and_redactors_compose() -> None:
    """Empty and asterisk-only secrets are ignored; including() adds secrets, keeping at most a few."""
    assert Redactor(["", "***", "*"]).secrets == ()
    redactor = Redactor([KEY])
    assert redactor.including([KEY]) is redactor
    grown = redactor.including([TOKEN])
    assert grown.secrets == (KEY, TOKEN)
    assert grown.text(f"{KEY}/{TOKEN}") == f"{MARK}/{MARK}"
    many = Redactor([f"token-{n}" for n in range(40)])
    assert len(many.secrets) == 16
    assert many.secrets[-1] == "token-39"
    assert "16 secrets" in repr(many)
    assert KEY not in repr(grown)


def test_secrets_of_headers() -> None:
    """Only header values marked Secret are secrets; a bearer token is also taken without its scheme."""
    headers = {
        "Accept": "application/json",
        "Ocp-Apim-Subscription-Key": Secret(KEY),
        "Authorization": Secret(f"Bearer {TOKEN}"),
    }
    assert secrets_of(headers) == (KEY, TOKEN)
    assert Redactor(secrets_of(headers)).text(f"echo: Bearer {TOKEN} key={KEY}") == "echo: Bearer *** key=***"


# --- errors --------------------------------------------------------------------------------------------


def shown(error: BaseException) -> list[str | bytes]:
    """Every way an error is shown or stored."""
    return [str(error), repr(error), pickle.dumps(error), repr(vars(error)), repr(error.args), str(copy.copy(error))]


def assert_clean(error: BaseException, secrets: list[str]) -> None:
    """No way of showing ``error`` shows a secret."""
    for form in shown(error):
        assert leaks(form, secrets) == []


def every_error(text: str) -> list[dt.DocumentTranslationError]:
    """One error of each kind, with ``text`` in every string it holds."""
    detail = dt.ErrorDetail(text, text, text, dt.ErrorDetail(text, text, text))
    status = dt.BatchStatus(text, dt.Status(text), NOW, NOW, dt.StatusSummary(1, 0, 0, 1, 0, 0), error=detail)
    service: dict[str, Any] = {
        "code": text,
        "message": text,
        "target": text,
        "inner_error": detail,
        "request_id": text,
        "method": "GET",
        "url": f"https://h/{text}",
    }
    return [
        dt.ServiceError(status=418, **service),
        dt.AuthenticationError(status=401, **service),
        dt.ServerError(status=502, **service),
        dt.TransportError(text, method="GET", url=text),
        dt.MalformedResponseError(text, status=200, method="GET", url=text, request_id=text),
        dt.ContinuationLinkError(text, method="GET", url=text),
        dt.UnsupportedOperationError(text),
        dt.ClientClosedError(text),
        dt.PollingTimeoutError(text, last_status=status),
        dt.ListingTimeoutError(text, next_link=text),
    ]


@pytest.mark.parametrize("index", range(10))
@given(secrets=key_like, around=printable)
def test_no_error_shows_a_secret(index: int, secrets: list[str], around: str) -> None:
    """Each kind of error, with secrets in every field, shows none once redacted: str, repr, pickle, copy.

    A secret that is part of the library's own words (a class or field name) cannot be told from them.
    """
    own_words = every_error("")[index]
    assume(not any(leaks(form, secrets) for form in shown(own_words)))
    text = around + "".join(secrets) + around
    error = every_error(text)[index]
    error.add_note(text)
    redacted = Redactor(secrets).error(error)
    assert redacted is error
    assert_clean(error, secrets)
    clone = pickle.loads(pickle.dumps(error))
    assert (type(clone), str(clone)) == (type(error), str(error))


@pytest.mark.parametrize("index", range(10))
def test_errors_without_secrets_are_unchanged(index: int) -> None:
    """Redaction changes nothing in an error holding no secret."""
    error, original = every_error("plain words")[index], every_error("plain words")[index]
    Redactor([KEY]).error(error)
    assert (str(error), repr(error), vars(error)) == (str(original), repr(original), vars(original))


def error_response(status: int, body: bytes, headers: dict[str, str]) -> dt.ServiceError:
    """The typed error the sans-I/O core makes of an error response."""
    request = Request("GET", "https://res.example/translator/document/batches/b1?api-version=2024-05-01")
    return error_for(request, Response.build(status, headers.items(), body), NOW)


@given(st.sampled_from([401, 403, 404, 429, 500, 502]), st.integers(0, 250), texts)
def test_service_errors_echoing_the_key_are_redacted(status: int, offset: int, noise: str) -> None:
    """An error body (JSON or HTML, the key anywhere, even where the 200-byte snippet is cut) and a request-id
    header that echo the key show only the mark."""
    secret_key = Redactor([KEY])
    padding = "x" * offset
    bodies = [
        json.dumps(
            {
                "error": {
                    "code": KEY,
                    "message": f"{padding}{KEY}{noise}",
                    "target": KEY,
                    "innerError": {"code": KEY, "message": KEY},
                }
            }
        ).encode(),
        f"<html><body><pre>{padding}Ocp-Apim-Subscription-Key: {KEY}</pre>{noise}</body></html>".encode(),
    ]
    for body in bodies:
        error = error_response(status, body, {"apim-request-id": f"req-{KEY}", "content-type": "text/html"})
        secret_key.error(error)
        assert_clean(error, [KEY])
        # A key cut by the snippet's end leaves a prefix: the client redacts the body before it is cut.
        assert KEY[:8] not in str(error) or MARK in str(error)


def test_html_snippet_redacted_before_it_is_cut() -> None:
    """Redacting the body before the error is made leaves no prefix of a key the 200-byte snippet would cut."""
    body = ("x" * 190 + KEY).encode()
    raw = error_response(502, body, {"content-type": "text/html"})
    assert KEY[:10] in str(raw)  # what the snippet alone would show...
    clean = error_response(502, Redactor([KEY]).bytes(body), {"content-type": "text/html"})
    assert KEY[:4] not in str(clean)  # ...and what a body redacted first shows


def test_chained_foreign_errors_that_show_a_secret_are_cut() -> None:
    """A cause outside the library still showing the key is cut from the chain; a harmless one stays."""

    class Echo(Exception):
        def __str__(self) -> str:
            return f"sent {KEY}"

    harmless = OSError(111, "Connection refused")
    for cause, kept in ((Echo(), False), (RuntimeError(f"x {KEY}"), True), (harmless, True)):
        error = dt.TransportError("down", method="GET", url="u")
        error.__cause__ = cause
        Redactor([KEY]).error(error)
        assert (error.__cause__ is cause) is kept
        assert KEY not in str(error.__cause__)


def test_cyclic_chains_end() -> None:
    """An error that is its own context's cause does not loop."""
    first, second = dt.TransportError(KEY), dt.TransportError(KEY)
    first.__context__, second.__context__ = second, first
    Redactor([KEY]).error(first)
    assert (str(first), str(second)) == (MARK, MARK)


def test_deep_inner_errors_are_cut_not_overflowed() -> None:
    """Inner errors nested past any sane depth are dropped, never a RecursionError."""
    detail = dt.ErrorDetail(KEY, KEY)
    for _ in range(500):
        detail = dt.ErrorDetail(KEY, KEY, inner_error=detail)
    error = dt.ServiceError(status=400, code=KEY, message=KEY, inner_error=detail)
    Redactor([KEY]).error(error)
    assert KEY not in repr(vars(error))


# --- models and events ---------------------------------------------------------------------------------


def test_models_statuses_and_events_are_redacted_copies() -> None:
    """Events and models come back as redacted copies; a known status stays that member."""
    redactor = Redactor([KEY])
    status = dt.Status(f"Run{KEY}")
    assert not status.is_known
    assert redactor.value(status) == "Run***"
    assert isinstance(redactor.value(status), dt.Status)
    assert redactor.value(dt.Status.RUNNING) is dt.Status.RUNNING
    error = dt.ServiceError(status=429, code="429", message=KEY)
    events = [
        RequestEvent("GET", f"https://h/{KEY}", 200, KEY, 0.1, KEY),
        RetryEvent("GET", f"https://h/{KEY}", 1, 2.0, "backoff", error),
        PollEvent(KEY, status, 1.0, "schedule"),
    ]
    for event in events:
        assert KEY not in repr(redactor.value(event))
    assert KEY not in str(error)  # the event's error was redacted in place
    untouched = RequestEvent("GET", "https://h/b", 200, "r", 0.1)
    assert redactor.value(untouched) is untouched
    assert redactor.value({"k": [KEY, (KEY,)], 1: None}) == {"k": [MARK, (MARK,)], 1: None}
    assert Redactor().value(events[0]) is events[0]
