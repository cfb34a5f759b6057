"""Hostile servers over real sockets: a raw asyncio server, scripted byte by byte, echoes the credentials back.

Servers and proxies echo headers; whatever they echo (error bodies, HTML pages, request-id headers, messages,
statuses, next links), no error, event or DEBUG log line the client makes may show the key or the token.
"""

from __future__ import annotations

import contextlib
import json
import logging
import pickle
import traceback
from collections.abc import AsyncIterator
from typing import Any

import pytest

import doctrans_async as dt
from tests.hostile_server import Script, Seen, hostile, http
from tests.support import SECRET, batch_body

TOKEN = "eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJjb2dzZXJ2In0.aG9zdGlsZS10b2tlbg"


class Token:
    """A credential whose bearer token is :data:`TOKEN`."""

    async def get_token(self, *scopes: str) -> Any:
        return type("AccessToken", (), {"token": TOKEN, "expires_on": 4_000_000_000})()


def secrets_in(*shown: object) -> list[str]:
    """The credentials found in what was shown (texts, or bytes of a pickle)."""
    found = []
    for form in shown:
        text = form.decode("latin-1") if isinstance(form, bytes) else str(form)
        found += [secret for secret in (SECRET, TOKEN) if secret in text]
    return found


def every_form(error: BaseException) -> list[object]:
    """Every way an error is shown or stored: str, repr, pickle, a formatted traceback, its attributes."""
    return [
        str(error),
        repr(error),
        pickle.dumps(error),
        "".join(traceback.format_exception(error)),
        repr(vars(error)),
    ]


@contextlib.asynccontextmanager
async def client_of(
    origin: str, clock: dt.VirtualClock, events: list[dt.Event], *, bearer: bool = False, **options: Any
) -> AsyncIterator[dt.DocumentTranslationClient]:
    """A client of ``origin`` on virtual time, collecting its events; by key, or by bearer token."""
    auth: dict[str, Any] = {"credential": Token()} if bearer else {"key": SECRET}
    async with dt.DocumentTranslationClient(
        origin, clock=clock, on_event=events.append, api_version="2024-05-01", **auth, **options
    ) as client:
        yield client


def echo_error_json(seen: Seen) -> bytes:
    """401 with the credential in every field of the error body and in the request-id header."""
    echoed = seen.credential
    body = {
        "error": {
            "code": echoed,
            "message": f"Access denied for {echoed}",
            "target": echoed,
            "innerError": {"code": echoed, "message": f"you sent {echoed}"},
        }
    }
    return http(401, json.dumps(body), {"apim-request-id": f"req {echoed}", "Content-Type": "application/json"})


def echo_html(seen: Seen) -> bytes:
    """A proxy's 502 page that prints the request's headers, the key straddling the 200-byte snippet's end."""
    rows = "".join(f"<tr><td>{name}</td><td>{value}</td></tr>" for name, value in seen.headers.items())
    page = f"<html><head><title>502 Bad Gateway</title></head><body>{'.' * 150}{seen.credential}{rows}</body></html>"
    return http(502, page, {"Content-Type": "text/html", "x-requestid": seen.credential}, reason="Bad Gateway")


@pytest.mark.parametrize("bearer", [False, True], ids=["key", "token"])
@pytest.mark.parametrize("script", [echo_error_json, echo_html], ids=["json", "html"])
async def test_echoed_credentials_never_shown(
    clock: dt.VirtualClock, caplog: pytest.LogCaptureFixture, bearer: bool, script: Script
) -> None:
    """An error response echoing the key or token gives an error, events and DEBUG lines without it."""
    events: list[dt.Event] = []
    caplog.set_level(logging.DEBUG, logger="doctrans_async")
    async with hostile(script) as origin, client_of(origin, clock, events, bearer=bearer) as client:
        with pytest.raises(dt.ServiceError) as caught:
            await client.get_status("b1")
    error = caught.value
    assert "***" in str(error)
    assert secrets_in(*every_form(error)) == []
    assert secrets_in(*map(repr, events), *(str(e.error) for e in events if isinstance(e, dt.RetryEvent))) == []
    assert secrets_in(caplog.text) == []
    assert error.request_id is not None
    assert "***" in error.request_id
    if script is echo_html:
        # A key cut by the body snippet's end would leave a prefix: the body is redacted before it is cut.
        assert SECRET[:6] not in str(error)
        assert TOKEN[:6] not in str(error)
        assert len([e for e in events if isinstance(e, dt.RetryEvent)]) >= 1


async def test_echo_in_polled_statuses_never_shown(clock: dt.VirtualClock, caplog: pytest.LogCaptureFixture) -> None:
    """Statuses that echo the key (id, status text, error) never show it in poll events, DEBUG lines or the
    timeout's last status."""
    body = batch_body() | {
        "id": f"b-{SECRET}",
        "status": f"Running{SECRET}",
        "error": {"code": SECRET, "message": SECRET},
    }
    events: list[dt.Event] = []
    caplog.set_level(logging.DEBUG, logger="doctrans_async")
    answer = http(200, json.dumps(body), reason="OK")
    async with hostile(lambda _: answer) as origin, client_of(origin, clock, events) as client:
        with pytest.raises(dt.PollingTimeoutError) as caught:
            await client.wait_for_completion("b1", timeout=30)
    assert any(isinstance(e, dt.PollEvent) for e in events)
    assert secrets_in(*map(repr, events), caplog.text, *every_form(caught.value)) == []
    last = caught.value.last_status
    assert last is not None
    assert (last.id, str(last.status)) == ("b-***", "Running***")


async def test_echo_in_a_next_link_never_shown(clock: dt.VirtualClock, caplog: pytest.LogCaptureFixture) -> None:
    """A next link carrying the key, on the same origin (followed) and then elsewhere (refused), shows it in no
    event, DEBUG line or error."""
    pages: list[str] = []

    def page(seen: Seen) -> bytes:
        pages.append(seen.target)
        link = f"/translator/document/batches/b1/documents?k={SECRET}" if len(pages) == 1 else f"https://x/{SECRET}"
        return http(200, json.dumps({"value": [], "@nextLink": link}), reason="OK")

    events: list[dt.Event] = []
    caplog.set_level(logging.DEBUG, logger="doctrans_async")
    async with hostile(page) as origin, client_of(origin, clock, events) as client:
        with pytest.raises(dt.ContinuationLinkError) as caught:
            _ = [d async for d in client.list_documents("b1")]
    assert len(pages) == 2
    assert secrets_in(*map(repr, events), caplog.text, *every_form(caught.value)) == []
