"""The ``doctrans`` CLI through its entry points: ``run`` on a virtual clock against the emulator, ``main`` in-process,
and one real subprocess run of the demo."""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys
from collections.abc import Coroutine, Sequence
from typing import Any

import pytest
from rich.console import Console

import doctrans_async as dt
from doctrans_async.cli import ExitCode, build_parser, main, run
from doctrans_async.cli._render import Renderer, RichRenderer
from doctrans_async.emulator import Emulator


async def doctrans(
    argv: Sequence[str], emulator: Emulator, clock: dt.VirtualClock, *, renderer: Renderer | None = None
) -> int:
    """Run one command as ``doctrans`` would, with the emulator's endpoint and key in the environment."""
    environ = {"DOCTRANS_ENDPOINT": emulator.endpoint, "DOCTRANS_KEY": emulator.key}
    return await run(build_parser().parse_args(argv), clock=clock, environ=environ, renderer=renderer)


# --- wait: exit status by outcome ------------------------------------------------------------------------


async def test_wait_succeeded_prints_progress_lines_and_summary(
    emulator: Emulator, clock: dt.VirtualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    """Waiting on a batch that succeeds exits 0, with one plain line per change and then the summary."""
    batch_id = emulator.add_batch(documents=8, seconds=60)
    assert await doctrans(["wait", batch_id], emulator, clock) == ExitCode.SUCCEEDED
    out = capsys.readouterr().out
    progress = [line for line in out.splitlines() if line.startswith("[")]
    assert "NotStarted" in progress[0]
    assert "Succeeded" in progress[-1]
    assert "8/8 finished (8 succeeded, 0 failed, 0 cancelled)" in progress[-1]
    assert len(progress) == len(set(progress))
    assert "\x1b[" not in out
    assert "Summary" in out
    assert "Failed documents" not in out


async def test_wait_lists_failed_documents_with_error_codes(
    emulator: Emulator, clock: dt.VirtualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    """A batch with some failed documents still succeeds (exit 0) and its failed documents are listed with codes."""
    batch_id = emulator.add_batch(documents=12, seconds=60, failures=3)
    assert await doctrans(["wait", batch_id], emulator, clock) == ExitCode.SUCCEEDED
    out = capsys.readouterr().out
    failed_table = out.split("Failed documents (3)")[1]
    assert failed_table.count("InvalidRequest") + failed_table.count("Error") >= 3


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [("Failed", ExitCode.FAILED), ("ValidationFailed", ExitCode.VALIDATION_FAILED)],
)
async def test_wait_exit_status_says_the_outcome(
    emulator: Emulator, clock: dt.VirtualClock, outcome: Any, expected: ExitCode
) -> None:
    """A Failed batch exits 1 and a ValidationFailed one exits 3."""
    batch_id = emulator.add_batch(documents=4, seconds=30, outcome=outcome)
    assert await doctrans(["wait", batch_id], emulator, clock) == expected


async def test_wait_validation_failed_shows_the_error(
    emulator: Emulator, clock: dt.VirtualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    """A batch that fails validation prints the service's error and its inner error."""
    batch_id = emulator.add_batch(outcome="ValidationFailed")
    await doctrans(["wait", batch_id], emulator, clock)
    assert "InvalidDocumentAccessLevel" in capsys.readouterr().out


async def test_wait_canceled_exits_4(emulator: Emulator, clock: dt.VirtualClock) -> None:
    """A batch cancelled while it runs ends Canceled, exit 4."""
    batch_id = emulator.add_batch(documents=20, seconds=600)
    emulator.cancel_batch(batch_id)
    assert await doctrans(["wait", batch_id], emulator, clock) == ExitCode.CANCELED


async def test_wait_timeout_exits_5_with_last_status(
    emulator: Emulator, clock: dt.VirtualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    """Past --timeout the wait exits 5 and says what it saw last, on stderr."""
    batch_id = emulator.add_batch(documents=20, seconds=300)
    assert await doctrans(["wait", batch_id, "--timeout", "30"], emulator, clock) == ExitCode.TIMEOUT
    err = capsys.readouterr().err
    assert err.startswith("doctrans: error: ")
    assert "still Running after 30s" in err
    assert "/20 finished" in err
    assert clock.monotonic() == pytest.approx(30)


# --- errors ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["wait"], ["status"], ["documents"], ["cancel"]])
async def test_unknown_batch_exits_6_with_a_message(
    emulator: Emulator, clock: dt.VirtualClock, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    """Every command on an unknown batch exits 6 with the service's message and no traceback."""
    code = await doctrans([*command, "00000000-0000-0000-0000-000000000000"], emulator, clock)
    assert code == ExitCode.SERVICE_ERROR
    err = capsys.readouterr().err
    assert "404" in err
    assert "Traceback" not in err


async def test_wrong_key_exits_6_and_never_shows_a_key(
    emulator: Emulator, clock: dt.VirtualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    """A wrong --key exits 6 with a 401 message that shows neither the wrong key nor the right one."""
    wrong = "wrong-key-6d1f0c6e9b"
    args = build_parser().parse_args(["--endpoint", emulator.endpoint, "--key", wrong, "status", "x"])
    assert await run(args, clock=clock, environ={"DOCTRANS_KEY": emulator.key}) == ExitCode.SERVICE_ERROR
    captured = capsys.readouterr()
    assert "401" in captured.err
    for secret in (wrong, emulator.key):
        assert secret not in captured.out + captured.err


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


async def test_unknown_api_version_from_environment_is_a_usage_error(
    emulator: Emulator, clock: dt.VirtualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    """A $DOCTRANS_API_VERSION the client does not know exits 2 with the known ones listed."""
    environ = {"DOCTRANS_ENDPOINT": emulator.endpoint, "DOCTRANS_KEY": emulator.key, "DOCTRANS_API_VERSION": "1999"}
    assert await run(build_parser().parse_args(["status", "x"]), clock=clock, environ=environ) == ExitCode.USAGE
    assert "2024-05-01" in capsys.readouterr().err


# --- status, documents, batches, cancel ------------------------------------------------------------------


async def test_status_json_has_wire_strings_and_iso_datetimes(
    emulator: Emulator, clock: dt.VirtualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    """status --json prints one JSON object with the status's wire spelling and ISO 8601 timestamps."""
    batch_id = emulator.add_batch(documents=3, seconds=0)
    assert await doctrans(["status", batch_id, "--json"], emulator, clock) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["id"] == batch_id
    assert body["status"] == "Succeeded"
    assert body["summary"]["total"] == 3
    assert body["created_at"].endswith("+00:00")


async def test_status_plain_is_a_table(
    emulator: Emulator, clock: dt.VirtualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    """status without --json shows the batch's fields one per line."""
    batch_id = emulator.add_batch(documents=3, seconds=0)
    assert await doctrans(["status", batch_id], emulator, clock) == 0
    out = capsys.readouterr().out
    assert f"batch               {batch_id}" in out
    assert "documents           3" in out


@pytest.mark.parametrize("version", ["v1.0-preview.1", "2026-03-01"])
async def test_documents_json_filtered_by_status(
    emulator: Emulator, clock: dt.VirtualClock, capsys: pytest.CaptureFixture[str], version: str
) -> None:
    """documents --status Failed --json lists exactly the failed documents, whether or not the API version filters."""
    batch_id = emulator.add_batch(documents=12, seconds=0, failures=4)
    argv = ["--api-version", version, "documents", batch_id, "--status", "failed", "--json"]
    assert await doctrans(argv, emulator, clock) == 0
    documents = json.loads(capsys.readouterr().out)
    assert len(documents) == 4
    assert {d["status"] for d in documents} == {"Failed"}
    assert all(d["error"]["code"] for d in documents)


async def test_documents_plain_lists_every_document_across_pages(
    emulator: Emulator, clock: dt.VirtualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    """documents shows a table of every document (the emulator pages by 5 here) with full ids."""
    batch_id = emulator.add_batch(documents=12, seconds=0)
    assert await doctrans(["documents", batch_id], emulator, clock) == 0
    out = capsys.readouterr().out
    assert "Documents of batch" in out
    assert "(12)" in out
    assert out.count("Succeeded") == 12


async def test_documents_json_empty_listing_is_an_empty_array(
    emulator: Emulator, clock: dt.VirtualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    """A filter that matches nothing still prints valid JSON: an empty array."""
    batch_id = emulator.add_batch(documents=3, seconds=0)
    assert await doctrans(["documents", batch_id, "--status", "Failed", "--json"], emulator, clock) == 0
    assert json.loads(capsys.readouterr().out) == []


async def test_batches_json_status_filter_and_top(
    emulator: Emulator, clock: dt.VirtualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    """batches --status --top --json lists at most N batches, all of that status."""
    done = {emulator.add_batch(documents=2, seconds=0) for _ in range(3)}
    emulator.add_batch(documents=2, seconds=600)
    assert await doctrans(["batches", "--status", "Succeeded", "--top", "2", "--json"], emulator, clock) == 0
    batches = json.loads(capsys.readouterr().out)
    assert len(batches) == 2
    assert {b["id"] for b in batches} <= done


async def test_batches_plain_table(
    emulator: Emulator, clock: dt.VirtualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    """batches without --json shows one row per batch."""
    ids = [emulator.add_batch(documents=2, seconds=0) for _ in range(2)]
    assert await doctrans(["batches"], emulator, clock) == 0
    out = capsys.readouterr().out
    assert "Batches (2)" in out
    assert all(batch_id in out for batch_id in ids)


async def test_cancel_then_wait_ends_canceled(
    emulator: Emulator, clock: dt.VirtualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    """cancel exits 0 saying the batch is Cancelling; a wait afterwards ends Canceled (exit 4)."""
    batch_id = emulator.add_batch(documents=10, seconds=600)
    assert await doctrans(["cancel", batch_id], emulator, clock) == 0
    assert "is Cancelling" in capsys.readouterr().out
    assert await doctrans(["wait", batch_id], emulator, clock) == ExitCode.CANCELED


async def test_key_never_printed(
    emulator: Emulator, clock: dt.VirtualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    """No command's output, normal or error, contains the key."""
    batch_id = emulator.add_batch(documents=4, seconds=60, failures=1)
    for argv in (
        ["status", batch_id, "--json"],
        ["documents", batch_id],
        ["wait", batch_id],
        ["batches", "--json"],
        ["cancel", batch_id],
        ["status", "missing"],
        ["--api-version", "v1.0", "wait", "missing"],
    ):
        await doctrans(argv, emulator, clock)
    captured = capsys.readouterr()
    assert batch_id in captured.out
    assert emulator.key not in captured.out + captured.err


# --- rich and demo ---------------------------------------------------------------------------------------


async def test_rich_renderer_draws_progress_and_tables(emulator: Emulator, clock: dt.VirtualClock) -> None:
    """On a terminal, wait draws rich's progress bar and tables and still exits by outcome."""
    screen = io.StringIO()
    renderer = RichRenderer(Console(file=screen, force_terminal=True, width=120))
    batch_id = emulator.add_batch(documents=9, seconds=60, failures=2)
    assert await doctrans(["wait", batch_id], emulator, clock, renderer=renderer) == 0
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


def test_main_emulator_hands_its_arguments_to_the_emulator(capsys: pytest.CaptureFixture[str]) -> None:
    """`doctrans emulator --help` is the emulator's own help (its main runs with the rest of the line)."""
    assert main(["emulator", "--help"]) == 0
    assert "DOCS:SECONDS[:FAILURES]" in capsys.readouterr().out


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
