"""README's migration section: our half of "the same job in both" runs as written against the emulator."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from doctrans_async.emulator import Emulator

README = Path(__file__).parents[1] / "README.md"


def block(first_line: str) -> str:
    """The README python block that starts with ``first_line``."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    [found] = [text for text in blocks if text.startswith(first_line)]
    return str(found)


async def test_our_half_of_the_same_job_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """The doctrans_async version starts a batch, waits, prints the summary and returns the failed sources."""
    namespace: dict[str, Any] = {}
    exec(compile(block("# the same job with doctrans_async"), str(README), "exec"), namespace)
    async with Emulator(start_documents=6, start_failures=2, start_seconds=0) as emulator:
        failed = await namespace["failed_documents"](
            emulator.endpoint,
            emulator.key,
            "https://store.example/source?sv=1&sig=s",
            "https://store.example/target?sv=1&sig=t",
        )
    assert len(failed) == 2
    assert all(isinstance(path, str) and path for path in failed)
    assert capsys.readouterr().out.strip() == "Succeeded 4 of 6"
