"""The ``doctrans`` CLI through its entry points: ``run`` on a virtual clock against the emulator, ``main`` in-process,
and one real subprocess run of the demo."""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, Protocol

import attrs
import pytest
from rich.console import Console

import doctrans_async as dt
from doctrans_async.cli import ExitCode, build_parser, main, run
from doctrans_async.cli._render import Renderer, RichRenderer
from doctrans_async.emulator import Emulator


@attrs.frozen
class Ran:
    """What one command did: its exit status and what it printed."""

    code: int
    out: str
    err: str


class Cli(Protocol):
    """Runs one ``doctrans`` command against the test's emulator."""

    async def __call__(self, *argv: str, renderer: Renderer | None = None) -> Ran: ...


@pytest.fixture
def cli(emulator: Emulator, clock: dt.VirtualClock, capsys: pytest.CaptureFixture[str]) -> Cli:
    """``doctrans`` as ``run`` executes it, with the emulator's endpoint and key in the environment, on virtual time."""
    environ = {"DOCTRANS_ENDPOINT": emulator.endpoint, "DOCTRANS_KEY": emulator.key}

    async def doctrans(*argv: str, renderer: Renderer | None = None) -> Ran:
        code = await run(build_parser().parse_args(argv), clock=clock, environ=environ, renderer=renderer)
        captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    return doctrans


# --- wait: exit status by outcome ------------------------------------------------------------------------


async def test_wait_succeeded_prints_progress_lines_and_summary(emulator: Emulator, cli: Cli) -> None:
    """Waiting on a batch that succeeds exits 0, with one plain line per change and then the summary."""
    ran = await cli("wait", emulator.add_batch(documents=8, seconds=60))
    assert ran.code == ExitCode.SUCCEEDED
    progress = [line for line in ran.out.splitlines() if line.startswith("[")]
    assert "NotStarted" in progress[0]
    assert "Succeeded" in progress[-1]
    assert "8/8 finished (8 succeeded, 0 failed, 0 cancelled)" in progress[-1]
    assert len(progress) == len(set(progress))
    assert "\x1b[" not in ran.out
    assert "Summary" in ran.out
    assert "Failed documents" not in ran.out


async def test_wait_lists_failed_documents_with_error_codes(emulator: Emulator, cli: Cli) -> None:
    """A batch with some failed documents still succeeds (exit 0) and its failed documents are listed with codes."""
    ran = await cli("wait", emulator.add_batch(documents=12, seconds=60, failures=3))
    assert ran.code == ExitCode.SUCCEEDED
    failed_table = ran.out.split("Failed documents (3)")[1].splitlines()[2:5]
    assert all(line.split()[1] == "InvalidRequest" for line in failed_table)


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [("Failed", ExitCode.FAILED), ("ValidationFailed", ExitCode.VALIDATION_FAILED)],
)
async def test_wait_exit_status_says_the_outcome(
    emulator: Emulator, cli: Cli, outcome: Any, expected: ExitCode
) -> None:
    """A Failed batch exits 1 and a ValidationFailed one exits 3."""
    assert (await cli("wait", emulator.add_batch(documents=4, seconds=30, outcome=outcome))).code == expected


async def test_wait_validation_failed_shows_the_error(emulator: Emulator, cli: Cli) -> None:
    """A batch that fails validation prints the service's error and its inner error."""
    ran = await cli("wait", emulator.add_batch(outcome="ValidationFailed"))
    assert "InvalidDocumentAccessLevel" in ran.out


async def test_wait_canceled_exits_4(emulator: Emulator, cli: Cli) -> None:
    """A batch cancelled while it runs ends Canceled, exit 4."""
    batch_id = emulator.add_batch(documents=20, seconds=600)
    emulator.cancel_batch(batch_id)
    assert (await cli("wait", batch_id)).code == ExitCode.CANCELED


async def test_wait_timeout_exits_5_with_last_status(emulator: Emulator, cli: Cli, clock: dt.VirtualClock) -> None:
    """Past --timeout the wait exits 5 and says what it saw last, on stderr."""
    ran = await cli("wait", emulator.add_batch(documents=20, seconds=300), "--timeout", "30")
    assert ran.code == ExitCode.TIMEOUT
    assert ran.err.startswith("doctrans: error: ")
    assert "still Running after 30s" in ran.err
    assert "/20 finished" in ran.err
    assert clock.monotonic() == pytest.approx(30)


# --- errors ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["wait", "status", "documents", "cancel"])
async def test_unknown_batch_exits_6_with_a_message(cli: Cli, command: str) -> None:
    """Every command on an unknown batch exits 6 with the service's message and no traceback."""
    ran = await cli(command, "00000000-0000-0000-0000-000000000000")
    assert ran.code == ExitCode.SERVICE_ERROR
    assert "404" in ran.err
    assert "Traceback" not in ran.err


async def test_wrong_key_exits_6_and_never_shows_a_key(emulator: Emulator, cli: Cli) -> None:
    """A wrong --key (it wins over $DOCTRANS_KEY) exits 6 with a 401 message that shows neither key."""
    wrong = "wrong-key-6d1f0c6e9b"
    ran = await cli("--key", wrong, "status", "x")
    assert ran.code == ExitCode.SERVICE_ERROR
    assert "401" in ran.err
    for secret in (wrong, emulator.key):
        assert secret not in ran.out + ran.err


@pytest.mark.parametrize(
    ("environ", "missing"),
    [({}, "--endpoint or $DOCTRANS_ENDPOINT and --key or $DOCTRANS_KEY"), ({"DOCTRANS_KEY": "k"}, "--endpoint")],
)
async def test_missing_endpoint_or_key_is_a_usage_error(
    clock: dt.VirtualClock, capsys: pytest.CaptureFixture[str], environ: dict[str, str], missing: str
) -> None:
    """Without an endpoint or key the command exits 2 and names the option and variable to set."""
    assert await run(build_parser().parse_args(["status", "x"]), clock=clock, environ=environ) == ExitCode.USAGE
    assert missing in capsys.readouterr().err


async def test_bad_endpoint_is_a_usage_error(cli: Cli) -> None:
    """An endpoint that is not an http(s) URL exits 2 and says what is wrong with it."""
    ran = await cli("--endpoint", "not a url", "status", "x")
    assert ran.code == ExitCode.USAGE
    assert "endpoint must be an http(s) origin" in ran.err


async def test_unknown_api_version_from_environment_is_a_usage_error(
    emulator: Emulator, clock: dt.VirtualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    """A $DOCTRANS_API_VERSION the client does not know exits 2 with the known ones listed."""
    environ = {"DOCTRANS_ENDPOINT": emulator.endpoint, "DOCTRANS_KEY": emulator.key, "DOCTRANS_API_VERSION": "1999"}
    assert await run(build_parser().parse_args(["status", "x"]), clock=clock, environ=environ) == ExitCode.USAGE
    assert "2024-05-01" in capsys.readouterr().err


# --- status, documents, batches, cancel ------------------------------------------------------------------


async def test_status_json_has_wire_strings_and_iso_datetimes(emulator: Emulator, cli: Cli) -> None:
    """status --json prints one JSON object with the status's wire spelling and ISO 8601 timestamps."""
    batch_id = emulator.add_batch(documents=3, seconds=0)
    ran = await cli("status", batch_id, "--json")
    assert ran.code == 0
    body = json.loads(ran.out)
    assert (body["id"], body["status"], body["summary"]["total"]) == (batch_id, "Succeeded", 3)
    assert body["created_at"].endswith("+00:00")


async def test_status_plain_is_a_table(emulator: Emulator, cli: Cli) -> None:
    """status without --json shows the batch's fields one per line."""
    batch_id = emulator.add_batch(documents=3, seconds=0)
    ran = await cli("status", batch_id)
    assert ran.code == 0
    assert f"batch               {batch_id}" in ran.out
    assert "documents           3" in ran.out


@pytest.mark.parametrize("version", ["v1.0-preview.1", "2026-03-01"])
async def test_documents_json_filtered_by_status(emulator: Emulator, cli: Cli, version: str) -> None:
    """documents --status Failed --json lists exactly the failed documents, whether or not the API version filters."""
    batch_id = emulator.add_batch(documents=12, seconds=0, failures=4)
    ran = await cli("--api-version", version, "documents", batch_id, "--status", "failed", "--json")
    assert ran.code == 0
    documents = json.loads(ran.out)
    assert len(documents) == 4
    assert {d["status"] for d in documents} == {"Failed"}
    assert all(d["error"]["code"] for d in documents)


async def test_documents_plain_lists_every_document_across_pages(emulator: Emulator, cli: Cli) -> None:
    """documents shows a table of every document (the emulator pages by 5 here) with full ids."""
    ran = await cli("documents", emulator.add_batch(documents=12, seconds=0))
    assert ran.code == 0
    assert "Documents of batch" in ran.out
    assert "(12)" in ran.out
    assert ran.out.count("Succeeded") == 12


async def test_documents_json_empty_listing_is_an_empty_array(emulator: Emulator, cli: Cli) -> None:
    """A filter that matches nothing still prints valid JSON: an empty array."""
    ran = await cli("documents", emulator.add_batch(documents=3, seconds=0), "--status", "Failed", "--json")
    assert ran.code == 0
    assert json.loads(ran.out) == []


async def test_batches_json_status_filter_and_top(emulator: Emulator, cli: Cli) -> None:
    """batches --status --top --json lists at most N batches, all of that status."""
    done = {emulator.add_batch(documents=2, seconds=0) for _ in range(3)}
    emulator.add_batch(documents=2, seconds=600)
    ran = await cli("batches", "--status", "Succeeded", "--top", "2", "--json")
    assert ran.code == 0
    batches = json.loads(ran.out)
    assert len(batches) == 2
    assert {b["id"] for b in batches} <= done


async def test_batches_plain_table(emulator: Emulator, cli: Cli) -> None:
    """batches without --json shows one row per batch."""
    ids = [emulator.add_batch(documents=2, seconds=0) for _ in range(2)]
    ran = await cli("batches")
    assert ran.code == 0
    assert "Batches (2)" in ran.out
    assert all(batch_id in ran.out for batch_id in ids)


async def test_cancel_then_wait_ends_canceled(emulator: Emulator, cli: Cli) -> None:
    """cancel exits 0 saying the batch is Cancelling; a wait afterwards ends Canceled (exit 4)."""
    batch_id = emulator.add_batch(documents=10, seconds=600)
    ran = await cli("cancel", batch_id)
    assert ran.code == 0
    assert "is Cancelling" in ran.out
    assert (await cli("wait", batch_id)).code == ExitCode.CANCELED


async def test_key_never_printed(emulator: Emulator, cli: Cli) -> None:
    """No command's output, normal or error, contains the key."""
    batch_id = emulator.add_batch(documents=4, seconds=60, failures=1)
    runs = [
        await cli(*argv)
        for argv in (
            ("status", batch_id, "--json"),
            ("documents", batch_id),
            ("wait", batch_id),
            ("batches", "--json"),
            ("cancel", batch_id),
            ("status", "missing"),
            ("--api-version", "v1.0", "wait", "missing"),
        )
    ]
    printed = "".join(ran.out + ran.err for ran in runs)
    assert batch_id in printed
    assert emulator.key not in printed


# --- translate ------------------------------------------------------------------------------------------


async def test_translate_writes_file_dot_lang_beside_the_source(emulator: Emulator, cli: Cli, tmp_path: Path) -> None:
    """translate FILE --to fr writes FILE's stem + .fr + its suffix beside it and says where, exit 0."""
    source = tmp_path / "report.txt"
    source.write_text("Quarterly report\n")
    ran = await cli("translate", str(source), "--to", "fr")
    assert ran.code == ExitCode.SUCCEEDED
    assert (tmp_path / "report.fr.txt").read_text() == "[fr] Quarterly report\n"
    assert "report.fr.txt" in ran.out
    assert [r.query["targetLanguage"] for r in emulator.requests] == ["fr"]


async def test_translate_to_stdout_with_glossary_source_and_category(
    emulator: Emulator, cli: Cli, tmp_path: Path
) -> None:
    """-o - writes only the translated bytes to stdout; --glossary, --from and --category reach the service."""
    source, terms = tmp_path / "note.md", tmp_path / "terms.tsv"
    source.write_text("a cat\n")
    terms.write_text("cat\tKatze\n")
    ran = await cli(
        "translate", str(source), "--to", "de", "--from", "en", "--category", "c1", "--glossary", str(terms), "-o", "-"
    )
    assert (ran.code, ran.out, ran.err) == (ExitCode.SUCCEEDED, "[de] a Katze\n", "")
    assert not (tmp_path / "note.de.md").exists()
    query = emulator.requests[0].query
    assert (query["sourceLanguage"], query["category"]) == ("en", "c1")


async def test_translate_refuses_to_overwrite_without_force(emulator: Emulator, cli: Cli, tmp_path: Path) -> None:
    """An existing OUT is a usage error (exit 2) before anything is sent; --force overwrites it."""
    source, out = tmp_path / "a.txt", tmp_path / "out.txt"
    source.write_text("new\n")
    out.write_text("keep me")
    refused = await cli("translate", str(source), "--to", "fr", "-o", str(out))
    assert refused.code == ExitCode.USAGE
    assert "--force" in refused.err
    assert (out.read_text(), emulator.requests) == ("keep me", [])
    forced = await cli("translate", str(source), "--to", "fr", "-o", str(out), "--force")
    assert (forced.code, out.read_text()) == (ExitCode.SUCCEEDED, "[fr] new\n")


@pytest.mark.parametrize(
    ("name", "message"),
    [("missing.txt", "cannot read"), ("data.unknownext", "format from its name: pass --content-type")],
)
async def test_translate_unreadable_or_formatless_file_is_a_usage_error(
    emulator: Emulator, cli: Cli, tmp_path: Path, name: str, message: str
) -> None:
    """A FILE that does not exist, or whose extension names no format, exits 2 without a request."""
    if name != "missing.txt":
        (tmp_path / name).write_bytes(b"x")
    ran = await cli("translate", str(tmp_path / name), "--to", "fr")
    assert ran.code == ExitCode.USAGE
    assert message in ran.err
    assert emulator.requests == []


async def test_translate_on_v1_says_which_versions_have_it(emulator: Emulator, cli: Cli, tmp_path: Path) -> None:
    """--api-version v1.0 exits 2 naming 2024-05-01, and sends nothing."""
    (tmp_path / "a.txt").write_text("x")
    ran = await cli("--api-version", "v1.0", "translate", str(tmp_path / "a.txt"), "--to", "fr")
    assert ran.code == ExitCode.USAGE
    assert "2024-05-01" in ran.err
    assert emulator.requests == []


async def test_translate_service_refusal_exits_6_and_writes_nothing(
    emulator: Emulator, cli: Cli, tmp_path: Path
) -> None:
    """A format the service refuses (PDF is batch-only) exits 6 with its code; no output file appears."""
    (tmp_path / "a.pdf").write_bytes(b"%PDF-1.7")
    ran = await cli("translate", str(tmp_path / "a.pdf"), "--to", "fr")
    assert ran.code == ExitCode.SERVICE_ERROR
    assert "InvalidFormat" in ran.err
    assert not (tmp_path / "a.fr.pdf").exists()


# --- rich and demo ---------------------------------------------------------------------------------------


async def test_rich_renderer_draws_progress_and_tables(emulator: Emulator, cli: Cli) -> None:
    """On a terminal, wait draws rich's progress bar and tables and still exits by outcome."""
    screen = io.StringIO()
    renderer = RichRenderer(Console(file=screen, force_terminal=True, width=120))
    ran = await cli("wait", emulator.add_batch(documents=9, seconds=60, failures=2), renderer=renderer)
    assert ran.code == 0
    drawn = screen.getvalue()
    assert "9/9" in drawn
    assert "Failed documents (2)" in drawn
    assert "\x1b[" in drawn


async def test_demo_on_virtual_time(clock: dt.VirtualClock, capsys: pytest.CaptureFixture[str]) -> None:
    """The demo starts its own emulator, waits on a 36-document batch with failures, lists it and exits 0."""
    assert await run(build_parser().parse_args(["demo"]), clock=clock, environ={}) == 0
    out = capsys.readouterr().out
    assert "nothing leaves this machine" in out
    assert "36/36 finished (32 succeeded, 4 failed, 0 cancelled)" in out
    assert "Failed documents (4)" in out
    assert "Documents (36)" in out
    assert "doctrans emulator" in out
    assert clock.monotonic() == pytest.approx(10, abs=2.5)


def test_exit_codes_are_the_documented_numbers() -> None:
    """The exit codes are the numbers --help documents; scripts depend on them."""
    assert {code.name: int(code) for code in ExitCode} == {
        "SUCCEEDED": 0,
        "FAILED": 1,
        "USAGE": 2,
        "VALIDATION_FAILED": 3,
        "CANCELED": 4,
        "TIMEOUT": 5,
        "SERVICE_ERROR": 6,
        "INTERNAL_ERROR": 70,
        "INTERRUPTED": 130,
    }


# --- main: the sync entry ---------------------------------------------------------------------------------


def test_main_help_documents_exit_codes_and_hides_the_key(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--help exits 0, lists every exit code and names $DOCTRANS_KEY without showing its value."""
    monkeypatch.setenv("DOCTRANS_KEY", "help-must-not-show-this")
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "$DOCTRANS_KEY" in out
    assert "help-must-not-show-this" not in out
    for code in ExitCode:
        assert f"\n  {int(code):<4} " in out


def test_main_usage_errors_exit_2(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Unknown options, bad values and a missing endpoint all exit 2."""
    monkeypatch.delenv("DOCTRANS_ENDPOINT", raising=False)
    monkeypatch.delenv("DOCTRANS_KEY", raising=False)
    assert main(["wait", "x", "--bogus"]) == ExitCode.USAGE
    assert main(["wait", "x", "--timeout", "-1"]) == ExitCode.USAGE
    assert main(["documents", "x", "--status", "Sleeping"]) == ExitCode.USAGE
    assert main(["status", "x"]) == ExitCode.USAGE
    assert "no service given" in capsys.readouterr().err
    assert main(["translate", "a.txt"]) == ExitCode.USAGE
    assert "--to" in capsys.readouterr().err


def test_main_emulator_hands_its_arguments_to_the_emulator(capsys: pytest.CaptureFixture[str]) -> None:
    """`doctrans emulator --help` is the emulator's own help (its main runs with the rest of the line)."""
    assert main(["emulator", "--help"]) == 0
    out = capsys.readouterr().out
    assert "DOCS:SECONDS[:FAILURES]" in out
    assert out.startswith("usage: doctrans emulator ")  # it said python -m doctrans_async.emulator


def test_main_interrupted_exits_130(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Ctrl-C during a command exits 130 with a short message, not a traceback."""

    def interrupted(coroutine: Coroutine[Any, Any, int]) -> int:
        coroutine.close()
        raise KeyboardInterrupt

    monkeypatch.setattr(asyncio, "run", interrupted)
    assert main(["--endpoint", "http://127.0.0.1:9", "--key", "k", "status", "x"]) == ExitCode.INTERRUPTED
    assert capsys.readouterr().err == "doctrans: interrupted\n"


def test_main_runs_an_instant_demo_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    """main runs a command on its own event loop: a zero-second demo batch finishes at the first poll, exit 0."""
    assert main(["demo", "--seconds", "0", "--documents", "3", "--failures", "1"]) == 0
    assert "3/3 finished (2 succeeded, 1 failed, 0 cancelled)" in capsys.readouterr().out


def test_console_entry_runs_the_demo_end_to_end() -> None:
    """`python -m doctrans_async demo` in a real process, on real time, exits 0 and shows the whole story."""
    done = subprocess.run(
        [sys.executable, "-m", "doctrans_async", "demo", "--seconds", "1", "--documents", "6"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    for expected in ("Submitted batch", "6/6 finished (5 succeeded, 1 failed", "Summary", "Documents (6)", "What next"):
        assert expected in done.stdout
