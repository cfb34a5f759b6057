"""README's runnable example works as written."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

README = Path(__file__).parents[1] / "README.md"


def python_blocks() -> list[str]:
    """The README's python code blocks, in order."""
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


async def test_emulator_example_runs() -> None:
    """The 'Testing your code' example, defined exactly as README shows it, passes against the emulator."""
    [example] = [block for block in python_blocks() if "async def test_my_worker" in block]
    namespace: dict[str, Any] = {}
    exec(compile(example, str(README), "exec"), namespace)
    await namespace["test_my_worker"]()
