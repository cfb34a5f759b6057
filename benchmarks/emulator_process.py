"""The emulator in its own process, so that its CPU never lands on the contender being measured.

It is the stock command line (``python -m doctrans_async.emulator --json``): what a user would run, and nothing the
benchmark could tune in its own favour.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from types import TracebackType
from typing import Self

import attrs


@attrs.frozen
class EmulatorInfo:
    """What the emulator announced: where it listens, the key it accepts and the seeded batch ids, in order."""

    endpoint: str
    key: str
    batches: tuple[str, ...]


@attrs.frozen
class BatchSpec:
    """One ``--batch DOCS:SECONDS[:FAILURES]``."""

    documents: int
    seconds: float
    failures: int = 0

    def arg(self) -> str:
        return f"{self.documents}:{self.seconds:g}:{self.failures}"


class EmulatorProcess:
    """``with EmulatorProcess(batches) as info: ...`` runs the emulator until the block ends.

    ``page_size`` is the server's own page size, for a client that asks for none (the real service's is 50).
    """

    def __init__(
        self, batches: Sequence[BatchSpec], *, page_size: int = 50, seed: int = 0, retry_after: bool = False
    ) -> None:
        self._args = [
            sys.executable,
            "-m",
            "doctrans_async.emulator",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--json",
            "--page-size",
            str(page_size),
            "--seed",
            str(seed),
        ]
        if not retry_after:
            # The emulator sends the real service's Retry-After: 1 on a running batch's status; the floor and the
            # SDK would ignore it and doctrans_async would obey it, so the watch would compare unlike schedules.
            self._args.append("--no-retry-after")
        for spec in batches:
            self._args += ["--batch", spec.arg()]
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> EmulatorInfo:
        # stderr gets the human announcement only; DEVNULL so that a pipe nobody reads can never fill and block.
        process = subprocess.Popen(self._args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self._process = process
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            self.stop()
            raise RuntimeError(f"the emulator exited before announcing itself (exit code {process.poll()})")
        info = json.loads(line)
        return EmulatorInfo(info["endpoint"], info["key"], tuple(info["batches"]))

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
