"""The CLI as a real process: closed pipes, ASCII-only stdout, and a pty (rich) fed hostile server text.

Each test runs ``python -m doctrans_async`` against a server in this test's event loop (the emulator on real
time, batches that finish at the first poll, or a scripted hostile server), so nothing waits on a timer.
"""

from __future__ import annotations

import asyncio
import json
import os
import pty
import shlex
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import attrs
import pytest

from doctrans_async.cli import ExitCode
from doctrans_async.emulator import Emulator
from tests.hostile_server import Seen, hostile, hostile_service, http
from tests.support import document_body

DOCTRANS = [sys.executable, "-m", "doctrans_async"]
Runner = Callable[[list[str], dict[str, str]], Awaitable["Done"]]


@attrs.frozen
class Done:
    """How a process ended: its exit status and what it wrote to stderr (and stdout, when read)."""

    code: int
    err: str
    out: bytes = b""


def environment(endpoint: str, key: str, **extra: str) -> dict[str, str]:
    """This process's environment with the service set, and nothing that changes output encoding."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONIOENCODING", "PYTHONUTF8", "LC_ALL", "LANG")}
    return env | {"DOCTRANS_ENDPOINT": endpoint, "DOCTRANS_KEY": key} | extra


@pytest.fixture
async def real_time() -> AsyncIterator[Emulator]:
    """The emulator on the system clock: a subprocess cannot share a virtual one."""
    async with Emulator(page_size=5) as emulator:
        yield emulator


async def into_closed_pipe(argv: list[str], env: dict[str, str]) -> Done:
    """Run doctrans with stdout a pipe whose reader has already gone: the first write meets EPIPE."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        process = await asyncio.create_subprocess_exec(
            *DOCTRANS, *argv, stdout=write_end, stderr=asyncio.subprocess.PIPE, env=env
        )
    finally:
        os.close(write_end)
    _, err = await process.communicate()
    assert process.returncode is not None
    return Done(process.returncode, err.decode())


async def through_head(argv: list[str], env: dict[str, str]) -> Done:
    """``doctrans ARGV | head -1`` in bash, with doctrans's own exit status (PIPESTATUS) and stderr."""
    line = f"{shlex.join([*DOCTRANS, *argv])} | head -1; exit ${{PIPESTATUS[0]}}"
    process = await asyncio.create_subprocess_exec(
        "bash", "-c", line, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return Done(process.returncode, err.decode(), out)


@pytest.mark.parametrize("run", [into_closed_pipe, through_head], ids=["closed", "head"])
@pytest.mark.parametrize(
    ("outcome", "code"),
    [("Succeeded", ExitCode.SUCCEEDED), ("Failed", ExitCode.FAILED), ("ValidationFailed", ExitCode.VALIDATION_FAILED)],
)
async def test_wait_into_a_closed_pipe_exits_with_the_outcome(
    real_time: Emulator, run: Runner, outcome: Any, code: ExitCode
) -> None:
    """`doctrans wait ID | head -1` ends quietly with the batch's exit status: no BrokenPipeError, no traceback."""
    batch_id = real_time.add_batch(documents=12, seconds=0, failures=2, outcome=outcome)
    done = await run(["wait", batch_id], environment(real_time.endpoint, real_time.key))
    assert (done.code, done.err) == (code, "")


@pytest.mark.parametrize("run", [into_closed_pipe, through_head], ids=["closed", "head"])
async def test_listing_json_into_a_closed_pipe_is_quiet(real_time: Emulator, run: Runner) -> None:
    """`doctrans documents ID --json | head -3` exits 0 with nothing on stderr, and stops listing early."""
    batch_id = real_time.add_batch(documents=40, seconds=0)
    done = await run(["documents", batch_id, "--json"], environment(real_time.endpoint, real_time.key))
    assert (done.code, done.err) == (ExitCode.SUCCEEDED, "")
    if run is into_closed_pipe:
        pages = [r for r in real_time.requests if r.path.endswith("/documents")]
        assert len(pages) == 1  # 8 pages of 5; the first write failed, so no second page was asked for


async def test_translated_bytes_into_a_closed_pipe_are_quiet(real_time: Emulator, tmp_path: Path) -> None:
    """`doctrans translate FILE --to fr -o - | head -c 10` exits 0 with nothing on stderr."""
    source = tmp_path / "big.txt"
    source.write_text("a few words\n")
    argv = ["translate", str(source), "--to", "fr", "-o", "-"]
    done = await into_closed_pipe(argv, environment(real_time.endpoint, real_time.key))
    assert (done.code, done.err) == (ExitCode.SUCCEEDED, "")


async def test_demo_into_a_closed_pipe_is_quiet() -> None:
    """`doctrans demo | head` exits 0 with nothing on stderr."""
    done = await into_closed_pipe(["demo", "--seconds", "0", "--documents", "3"], environment("", ""))
    assert (done.code, done.err) == (ExitCode.SUCCEEDED, "")


def non_ascii_service(seen: Seen) -> bytes:
    """A listing whose document error is in French and Chinese, with a path in Greek."""
    document = document_body("d1", "Failed") | {
        "error": {"code": "Élément", "message": "Le fichier est illisible (文件无法读取)"},
        "path": "https://store/αρχείο.txt",
    }
    return http(200, json.dumps({"value": [document]}), reason="OK")


@pytest.mark.parametrize(
    "encoding", [{"PYTHONIOENCODING": "ascii"}, {"LANG": "C", "LC_ALL": "C"}, {"PYTHONIOENCODING": "latin-1"}]
)
@pytest.mark.parametrize("command", [["documents", "b1"], ["documents", "b1", "--json"], ["status", "nope"]])
async def test_plain_output_on_a_narrow_stdout(encoding: dict[str, str], command: list[str]) -> None:
    """On an ASCII-only (or Latin-1) stdout, text it cannot encode is shown as escapes: no UnicodeEncodeError."""

    def service(seen: Seen) -> bytes:
        if seen.target.startswith("/translator/document/batches/nope"):
            return http(404, json.dumps({"error": {"code": "NotFound", "message": "Aucun lot « nope » trouvé"}}))
        return non_ascii_service(seen)

    async with hostile(service) as origin:
        process = await asyncio.create_subprocess_exec(
            *DOCTRANS,
            *command,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=environment(origin, "k", **encoding),
        )
        out, err = await process.communicate()
    expected = ExitCode.SERVICE_ERROR if "nope" in command else ExitCode.SUCCEEDED
    assert process.returncode == expected, err
    assert b"Traceback" not in err
    shown = (out + err).decode("latin-1")
    if encoding.get("PYTHONIOENCODING") == "ascii":
        (out + err).decode("ascii")
        assert "\\u" in shown or "\\x" in shown


async def test_rich_on_a_pty_shows_server_escapes_as_text() -> None:
    """On a real terminal (a pty, so rich draws), the service's OSC title, clear-screen and bidi override
    arrive as visible text, never as the sequences themselves."""
    primary, secondary = pty.openpty()
    async with hostile(hostile_service) as origin:
        env = environment(origin, "k", TERM="xterm-256color", COLUMNS="300")
        process = await asyncio.create_subprocess_exec(
            *DOCTRANS, "wait", "b1", stdin=secondary, stdout=secondary, stderr=secondary, env=env
        )
        os.close(secondary)
        screen = await asyncio.get_running_loop().run_in_executor(None, read_until_closed, primary)
        code = await process.wait()
    assert code == ExitCode.SUCCEEDED, screen
    text = screen.decode("utf-8", "replace")
    assert "\x1b[" in text  # rich is drawing on the terminal
    for acting in ("\x1b]0;pwned", "\x1b[2J", "\u202e"):
        assert acting not in text
    assert "\\x1b]0;pwned\\x07" in text
    assert "Failed documents (1)" in text


def read_until_closed(fd: int) -> bytes:
    """Everything written to a pty until its last writer closes it (Linux then says EIO)."""
    chunks = []
    try:
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
    except OSError:
        pass
    finally:
        os.close(fd)
    return b"".join(chunks)
