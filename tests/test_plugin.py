"""The pytest plugin as a user meets it: README's test files, each run by pytest in a subprocess, in every mode.

Each run is a fresh ``python -m pytest`` in a temporary directory holding only the user's files, with warnings as
errors, so what passes here passes in a user's project.
"""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

import pytest

from doctrans_async import testing

README = Path(__file__).parents[1] / "README.md"
# pytest-asyncio's own warning about its unset loop-scope option is about the user's configuration, not the
# fixture (README says so); every other warning fails the run.
IGNORED = 'ignore:The configuration option "asyncio_default_fixture_loop_scope" is unset:DeprecationWarning'
STRICT_INI = f"[pytest]\nfilterwarnings =\n    error\n    {IGNORED}\n"


def readme_file(name: str) -> str:
    """The README code block that starts ``# <name>``: the file as README tells users to write it."""
    blocks = re.findall(r"```(?:python|toml)\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    [block] = [block for block in blocks if block.startswith(f"# {name}")]
    return str(block)


async def run_pytest(directory: Path, files: dict[str, str], *options: str) -> tuple[int, str]:
    """Write ``files`` into ``directory`` and run pytest there; its exit status and output."""
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *options,
        cwd=directory, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, output.decode(errors="replace")


async def test_strict_mode_with_the_marker(tmp_path: Path) -> None:
    """pytest-asyncio's default strict mode runs README's file, which has the asyncio marker only."""
    status, output = await run_pytest(
        tmp_path, {"pytest.ini": STRICT_INI, "test_strict.py": readme_file("test_strict")}
    )
    assert status == 0, output
    assert "1 passed" in output


async def test_auto_mode(tmp_path: Path) -> None:
    """With README's pyproject.toml as it stands (asyncio_mode = "auto"), README's unmarked file runs."""
    config = readme_file("pyproject.toml") + f"filterwarnings = ['error', '{IGNORED}']\n"
    status, output = await run_pytest(tmp_path, {"pyproject.toml": config, "test_auto.py": readme_file("test_auto")})
    assert status == 0, output
    assert "1 passed" in output


@pytest.mark.parametrize("options", [(), ("-p", "no:asyncio")], ids=["beside-pytest-asyncio", "anyio-alone"])
async def test_anyio(tmp_path: Path, options: tuple[str, ...]) -> None:
    """anyio's plugin runs README's anyio file, with pytest-asyncio (strict) loaded beside it or not at all."""
    pytest.importorskip("anyio")
    files = {"pytest.ini": STRICT_INI, "test_anyio.py": readme_file("test_anyio")}
    status, output = await run_pytest(tmp_path, files, *options)
    assert status == 0, output
    assert "1 passed" in output


async def test_strict_mode_without_the_marker_says_what_is_missing(tmp_path: Path) -> None:
    """README's strict file with its marker removed errors, and the error names the marker and the setting."""
    unmarked = readme_file("test_strict").replace("pytestmark = pytest.mark.asyncio\n", "")
    status, output = await run_pytest(tmp_path, {"pytest.ini": STRICT_INI, "test_unmarked.py": unmarked})
    assert status == 1, output
    assert "1 error" in output
    assert "@pytest.mark.asyncio" in output
    assert 'asyncio_mode = "auto"' in output
    assert "@pytest.mark.anyio" in output


async def test_anyio_on_another_backend_says_to_choose_asyncio() -> None:
    """An anyio test on a backend other than asyncio is told to override anyio_backend (the emulator is aiohttp).

    Called directly: running it under pytest would need trio installed.
    """
    setup = testing._on_anyio(request=None, anyio_backend_name="trio")
    with pytest.raises(pytest.fail.Exception, match=r"'trio'.*anyio_backend fixture to return \"asyncio\""):
        await anext(setup)


async def test_the_plugin_loads_without_importing_the_emulator(tmp_path: Path) -> None:
    """In a suite that never asks for the fixture, the plugin is loaded yet neither the emulator nor aiohttp.web is."""
    probe = (
        "import sys\n\n\n"
        "def test_nothing_heavy_was_imported(pytestconfig):\n"
        "    assert pytestconfig.pluginmanager.has_plugin('doctrans_async')\n"
        "    heavy = [name for name in sys.modules if name.startswith(('aiohttp.web', 'doctrans_async.emulator'))]\n"
        "    assert heavy == []\n"
    )
    status, output = await run_pytest(tmp_path, {"pytest.ini": STRICT_INI, "test_probe.py": probe})
    assert status == 0, output
    assert "1 passed" in output
