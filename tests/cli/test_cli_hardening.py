"""The CLI's second hardening round, in process: new commands and flags, clear words for bad input, warnings that
do not change an outcome, no traceback ever, and server text that cannot drive the terminal."""

from __future__ import annotations

import io
import json
import sys
import types
from collections.abc import Coroutine
from typing import Any

import pytest
from rich.console import Console

import doctrans_async as dt
from doctrans_async.cli import ExitCode, build_parser, main, run
from doctrans_async.cli._render import PlainRenderer, Renderer, RichRenderer, printable
from doctrans_async.emulator import Emulator, Fault
from tests.hostile_server import HOSTILE, Seen, hostile, hostile_service, http
from tests.support import document_body

SOURCE = "https://store.example.invalid/source?sig=x"
TARGET = "https://store.example.invalid/target?sig=x"


async def doctrans(
    *argv: str,
    environ: dict[str, str],
    clock: dt.VirtualClock,
    capsys: pytest.CaptureFixture[str],
    renderer: Renderer | None = None,
) -> tuple[int, str, str]:
    """One command as ``run`` executes it: exit status, stdout, stderr."""
    code = await run(build_parser().parse_args(argv), clock=clock, environ=environ, renderer=renderer)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def env(emulator: Emulator) -> dict[str, str]:
    """The emulator's endpoint and key, as the environment would give them."""
    return {"DOCTRANS_ENDPOINT": emulator.endpoint, "DOCTRANS_KEY": emulator.key}


# --- start, --json on wait and cancel, --version ---------------------------------------------------------


async def test_start_prints_the_new_batch_id_alone(
    emulator: Emulator, env: dict[str, str], clock: dt.VirtualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    """start --source --target --to submits one batch and prints its id on a line of its own, exit 0."""
    code, out, err = await doctrans(
        "start", "--source", SOURCE, "--target", TARGET, "--to", "fr", environ=env, clock=clock, capsys=capsys
    )
    assert (code, err) == (ExitCode.SUCCEEDED, "")
    batch_id = out.strip()
    assert (await_status := emulator.requests[-1]).method == "POST"
    assert await_status.path.endswith("/batches")
    code, out, _ = await doctrans("status", batch_id, "--json", environ=env, clock=clock, capsys=capsys)
    assert (code, json.loads(out)["id"]) == (0, batch_id)


async def test_start_wait_exits_by_outcome_and_json_variants(
    env: dict[str, str], clock: dt.VirtualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    """start --wait waits as `wait` does; --json prints {"id"} alone, or with --wait the final status only."""
    argv = ("start", "--source", SOURCE, "--target", TARGET, "--to", "de", "--from", "en")
    code, out, _ = await doctrans(*argv, "--wait", environ=env, clock=clock, capsys=capsys)
    assert code == ExitCode.SUCCEEDED
    assert "Summary" in out
    code, out, _ = await doctrans(*argv, "--json", environ=env, clock=clock, capsys=capsys)
    assert (code, list(json.loads(out))) == (0, ["id"])
    code, out, _ = await doctrans(*argv, "--json", "--wait", environ=env, clock=clock, capsys=capsys)
    assert (code, json.loads(out)["status"]) == (0, "Succeeded")


@pytest.mark.parametrize(("outcome", "expected"), [("Succeeded", ExitCode.SUCCEEDED), ("Failed", ExitCode.FAILED)])
async def test_wait_json_prints_the_final_status_and_exits_by_outcome(
    emulator: Emulator,
    env: dict[str, str],
    clock: dt.VirtualClock,
    capsys: pytest.CaptureFixture[str],
    outcome: Any,
    expected: ExitCode,
) -> None:
    """wait --json shows no progress, prints one JSON object (the final status) and exits by the outcome."""
    batch_id = emulator.add_batch(documents=3, seconds=30, outcome=outcome)
    code, out, err = await doctrans("wait", batch_id, "--json", environ=env, clock=clock, capsys=capsys)
    assert (code, err) == (expected, "")
    assert json.loads(out)["status"] == outcome


async def test_cancel_json(
    emulator: Emulator, env: dict[str, str], clock: dt.VirtualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    """cancel --json prints the status the service answered with, as JSON."""
    batch_id = emulator.add_batch(documents=5, seconds=600)
    code, out, _ = await doctrans("cancel", batch_id, "--json", environ=env, clock=clock, capsys=capsys)
    assert (code, json.loads(out)["id"], json.loads(out)["status"]) == (0, batch_id, "Cancelling")


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    """doctrans --version prints the version and exits 0."""
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"doctrans {dt.__version__}\n"


# --- clear words for bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["wait", "..", "--json"], "not a batch id: an id cannot be '..'"),
        (["status", "a/b"], "not a batch id"),
        (["documents", "a b"], "not a batch id"),
        (["cancel", ""], "not a batch id"),
        (["wait", "x", "--timeout", "abc"], "expected a number of seconds greater than 0, got 'abc'"),
        (["wait", "x", "--timeout", "nan"], "a number of seconds"),
        (["wait", "x", "--timeout", "inf"], "a number of seconds"),
        (["wait", "x", "--timeout", "0"], "a number of seconds"),
        (["demo", "--seconds", "-5"], "a number of seconds, 0 or more, got '-5'"),
        (["demo", "--documents", "0"], "a whole number, 1 or more, got '0'"),
        (["batches", "--top", "many"], "a whole number, 0 or more, got 'many'"),
        (["start", "--source", "s", "--target", TARGET, "--to", "fr"], "expected an http(s) URL"),
        (["--credential", "cloud", "status", "x"], "invalid choice"),
        (["translate", "a.txt", "--to", ""], "expected a language code such as fr or zh-Hans, got ''"),
        (["start", "--source", SOURCE, "--target", TARGET, "--to", "f r"], "expected a language code"),
    ],
)
def test_usage_errors_say_what_is_expected(capsys: pytest.CaptureFixture[str], argv: list[str], said: str) -> None:
    """Bad arguments exit 2 with words a user understands, never an 'invalid _positive value'."""
    assert main(argv) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert said in err
    assert "invalid _" not in err
    assert "Traceback" not in err


async def test_endpoint_with_a_path_says_give_the_origin(
    clock: dt.VirtualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    """--endpoint http://host/translator/ is a usage error naming the origin to give instead."""
    environ = {"DOCTRANS_KEY": "k"}
    argv = ("--endpoint", "http://127.0.0.1:9/translator/", "status", "x")
    code, _, err = await doctrans(*argv, environ=environ, clock=clock, capsys=capsys)
    assert code == ExitCode.USAGE
    assert "give http://127.0.0.1:9 " in err
    assert "origin" in err


async def test_translate_on_a_directory_says_so(
    emulator: Emulator, env: dict[str, str], clock: dt.VirtualClock, capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    """translate DIR says DIR is a directory (not 'no such file') and sends nothing."""
    code, _, err = await doctrans("translate", str(tmp_path), "--to", "fr", environ=env, clock=clock, capsys=capsys)
    assert code == ExitCode.USAGE
    assert "is a directory" in err
    assert emulator.requests == []


async def test_translate_content_type_flag(
    emulator: Emulator, env: dict[str, str], clock: dt.VirtualClock, capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    """A file whose name tells no format translates with --content-type, the hint the error names."""
    source = tmp_path / "notes.unknownext"
    source.write_text("hello\n")
    code, out, _ = await doctrans(
        "translate", str(source), "--to", "fr", "--content-type", "text/plain", "-o", "-",
        environ=env, clock=clock, capsys=capsys,
    )  # fmt: skip
    assert (code, out) == (ExitCode.SUCCEEDED, "[fr] hello\n")
    glossary = tmp_path / "terms.unknownext"
    glossary.write_text("a\tb\n")
    code, _, err = await doctrans(
        "translate", str(source), "--to", "fr", "--content-type", "text/plain", "--glossary", str(glossary),
        environ=env, clock=clock, capsys=capsys,
    )  # fmt: skip
    assert code == ExitCode.USAGE
    assert "give it an extension" in err


async def test_demo_failures_beyond_documents_is_a_usage_error(
    clock: dt.VirtualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    """demo --failures above --documents exits 2 instead of quietly clamping."""
    code, _, err = await doctrans("demo", "--documents", "2", "--failures", "3", environ={}, clock=clock, capsys=capsys)
    assert code == ExitCode.USAGE
    assert "--failures 3 is more than --documents 2" in err


async def test_error_lines_name_the_status(
    env: dict[str, str], clock: dt.VirtualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    """A wrong key reads '401 Unauthorized: ...', not '401 401: ...'."""
    code, _, err = await doctrans("--key", "wrong", "status", "x", environ=env, clock=clock, capsys=capsys)
    assert code == ExitCode.SERVICE_ERROR
    assert "401 Unauthorized: " in err
    assert "401 401" not in err


# --- outcomes, warnings, bugs ----------------------------------------------------------------------------


async def test_wait_keeps_the_outcome_when_listing_failed_documents_breaks(
    emulator: Emulator, env: dict[str, str], clock: dt.VirtualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    """The batch ended Failed: exit 1 even though listing its failed documents fails (a warning says so)."""
    batch_id = emulator.add_batch(documents=3, seconds=0, outcome="Failed")
    emulator.faults.script("documents", [Fault.http(403)])
    code, out, err = await doctrans("wait", batch_id, environ=env, clock=clock, capsys=capsys)
    assert code == ExitCode.FAILED
    assert "Summary" in out
    assert err.startswith("doctrans: warning: the batch ended, but its failed documents could not be listed: 403")


def test_a_bug_is_one_line_exit_70_no_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unexpected exception prints one line (key redacted) and exits 70: never a traceback, never 1."""

    def broken(coroutine: Coroutine[Any, Any, int]) -> int:
        coroutine.close()
        raise RuntimeError("boom with key-abcdef1234 inside")

    monkeypatch.setattr("asyncio.run", broken)
    code = main(["--endpoint", "http://127.0.0.1:9", "--key", "key-abcdef1234", "status", "x"])
    assert code == ExitCode.INTERNAL_ERROR
    err = capsys.readouterr().err
    assert err == "doctrans: internal error (a bug; please report it): RuntimeError: boom with *** inside\n"


# --- credential azure ------------------------------------------------------------------------------------


async def test_credential_azure_without_azure_identity_is_a_clear_usage_error(
    monkeypatch: pytest.MonkeyPatch, clock: dt.VirtualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    """--credential azure, azure-identity not installed: exit 2 saying what to install."""
    monkeypatch.setitem(sys.modules, "azure.identity.aio", None)  # an import of it fails, installed or not
    environ = {"DOCTRANS_ENDPOINT": "http://127.0.0.1:9"}
    code, _, err = await doctrans("--credential", "azure", "status", "x", environ=environ, clock=clock, capsys=capsys)
    assert code == ExitCode.USAGE
    assert "pip install azure-identity" in err
    code, _, err = await doctrans(
        "--credential", "azure", "--key", "k", "status", "x", environ=environ, clock=clock, capsys=capsys
    )
    assert (code, "not both" in err) == (ExitCode.USAGE, True)


async def test_credential_azure_sends_the_default_credentials_token(
    monkeypatch: pytest.MonkeyPatch, clock: dt.VirtualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    """--credential azure authenticates with DefaultAzureCredential's token (no key), and closes it after."""
    closed: list[bool] = []

    class DefaultAzureCredential:
        async def get_token(self, *scopes: str) -> Any:
            assert scopes == ("https://cognitiveservices.azure.com/.default",)
            return types.SimpleNamespace(token="entra-token-1", expires_on=4_000_000_000)

        async def close(self) -> None:
            closed.append(True)

    fake = types.ModuleType("azure.identity.aio")
    fake.DefaultAzureCredential = DefaultAzureCredential  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "azure.identity.aio", fake)
    async with Emulator(clock=clock, tokens=["entra-token-1"]) as emulator:
        batch_id = emulator.add_batch(documents=1, seconds=0)
        environ = {"DOCTRANS_ENDPOINT": emulator.endpoint, "DOCTRANS_CREDENTIAL": "azure"}
        code, out, _ = await doctrans("status", batch_id, "--json", environ=environ, clock=clock, capsys=capsys)
    assert (code, json.loads(out)["status"], closed) == (0, "Succeeded", [True])


# --- server text cannot drive the terminal -----------------------------------------------------------------


def assert_inert(shown: str, *, drawn_by_rich: bool = False) -> None:
    """None of the hostile sequences is in ``shown`` as such; each appears as visible text. (rich draws with
    colours, carriage returns and bells of its own; those it never sends are checked on its screen.)"""
    acting = ("\x1b]0;", "\x1b[2J", "\u202e") if drawn_by_rich else ("\x1b", "\u202e", "\x07", "\r")
    for raw in acting:
        assert raw not in shown
    assert "\\x1b]0;pwned\\x07\\x1b[2J" in shown
    assert "\\u202e" in shown


@pytest.mark.parametrize("command", [["wait", "b1"], ["status", "b1"], ["documents", "b1"], ["cancel", "b1"]])
async def test_plain_output_neutralises_server_text(
    clock: dt.VirtualClock, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    """Plain output shows every escape from the service as visible text: ids, statuses, errors, paths."""
    async with hostile(hostile_service) as origin:
        environ = {"DOCTRANS_ENDPOINT": origin, "DOCTRANS_KEY": "k3y-for-hostile"}
        code, out, err = await doctrans(*command, environ=environ, clock=clock, capsys=capsys)
    assert code == ExitCode.SUCCEEDED, err
    assert_inert(out + err)


async def test_rich_output_neutralises_server_text_and_markup(
    clock: dt.VirtualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    """On a terminal, rich draws its own colours, but the service's escapes are text and its markup is not read."""
    screen = io.StringIO()
    renderer = RichRenderer(Console(file=screen, force_terminal=True, width=400))
    async with hostile(hostile_service) as origin:
        environ = {"DOCTRANS_ENDPOINT": origin, "DOCTRANS_KEY": "k3y-for-hostile"}
        code, _, err = await doctrans("wait", "b1", environ=environ, clock=clock, capsys=capsys, renderer=renderer)
    drawn = screen.getvalue()
    assert code == ExitCode.SUCCEEDED, err
    assert "\x1b[" in drawn  # rich's own styling is there...
    assert_inert(drawn, drawn_by_rich=True)  # ...the service's is not
    assert "[link=https://evil.example]click[/link]" in drawn
    assert "\x1b]8;" not in drawn  # no hyperlink made of the service's markup


async def test_progress_shows_a_hostile_status_as_text(clock: dt.VirtualClock) -> None:
    """A status the library does not know, full of escapes, is shown inert on both progress displays."""
    status = dt.BatchStatus(
        "b1",
        dt.Status(f"Odd{HOSTILE}[bold]x[/bold]"),
        clock.utcnow(),
        clock.utcnow(),
        dt.StatusSummary(1, 0, 0, 1, 0, 0),
    )
    plain_out, rich_out = io.StringIO(), io.StringIO()
    for renderer in (
        PlainRenderer(clock=clock, out=plain_out),
        RichRenderer(Console(file=rich_out, force_terminal=True, width=200)),
    ):
        with renderer.progress() as show:
            show(status)
    for drawn in (plain_out.getvalue(), rich_out.getvalue()):
        assert "\x1b]0;" not in drawn
        assert "\\x1b]0;pwned" in drawn
    assert "[bold]x[/bold]" in rich_out.getvalue()


def test_printable_keeps_text_and_escapes_only_what_acts() -> None:
    """Letters of every script stay; controls, bidi and separators become escapes."""
    assert printable("Éléphant 象 ok") == "Éléphant 象 ok"
    assert printable("a\nb\tc\x9bd\u2028e\ud800") == "a\\x0ab\\x09c\\x9bd\\u2028e\\ud800"


async def test_the_key_is_redacted_from_server_text_the_cli_shows(
    clock: dt.VirtualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    """A document error echoing the key is shown with *** in plain and JSON output alike."""
    key = "echoed-key-0123456789"

    def echo(seen: Seen) -> bytes:
        document = document_body("d1", "Failed") | {"error": {"code": "E", "message": f"key was {key}"}}
        return http(200, json.dumps({"value": [document]}), reason="OK")

    async with hostile(echo) as origin:
        environ = {"DOCTRANS_ENDPOINT": origin, "DOCTRANS_KEY": key}
        for extra in ([], ["--json"]):
            code, out, err = await doctrans("documents", "b1", *extra, environ=environ, clock=clock, capsys=capsys)
            assert code == 0
            assert key not in out + err
    assert "key was ***" in out


async def test_a_library_refusal_past_the_parser_is_a_usage_error(
    emulator: Emulator, env: dict[str, str], clock: dt.VirtualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    """A ValueError from the library (an argument it refuses before sending) exits 2 with its words, not 70."""
    args = build_parser().parse_args(["status", "placeholder"])
    args.batch_id = ".."  # as a caller of run() that skipped the parser's check might pass it
    assert await run(args, clock=clock, environ=env) == ExitCode.USAGE
    assert "an id cannot be '..'" in capsys.readouterr().err
    assert emulator.requests == []
