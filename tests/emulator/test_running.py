"""The ways to run the emulator (context manager, pytest fixture, ``python -m``) and its request log."""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

import doctrans_async.emulator as emulator_module
import doctrans_async.testing as testing_module
from doctrans_async._clock import VirtualClock
from doctrans_async.emulator import Emulator, Fault

from . import AUTH, KEY, serve


async def test_the_log_records_every_request_with_credentials_redacted() -> None:
    """requests lists method, path, query, route, status and whether the right key came, never the key itself."""
    async with serve(tokens=["tok"]) as probe:
        batch_id = probe.emulator.add_batch()
        await probe.get(probe.url("v1.0", f"/batches/{batch_id}/documents", "$top=1"))
        await probe.get(probe.emulator.batch_url(batch_id), headers={"Ocp-Apim-Subscription-Key": "wrong"})
        await probe.get(probe.emulator.batch_url(batch_id), headers={"Authorization": "Bearer tok"})
        await probe.get(probe.emulator.batch_url(batch_id), headers={})
        log = probe.emulator.requests
    assert [(r.method, r.route, r.status) for r in log] == [
        ("GET", "documents", 200),
        ("GET", "status", 401),
        ("GET", "status", 200),
        ("GET", "status", 401),
    ]
    assert log[0].path == f"/translator/text/batch/v1.0/batches/{batch_id}/documents"
    assert log[0].query == {"$top": "1"}
    assert [r.authorized for r in log] == [True, False, True, False]
    assert [r.sent_credentials for r in log] == [True, True, True, False]
    assert log[0].headers["Ocp-Apim-Subscription-Key"] == "REDACTED"
    assert log[2].headers["Authorization"] == "Bearer REDACTED"
    assert all(KEY not in json.dumps(dict(r.headers)) and "tok" not in str(r.headers) for r in log)


async def test_reset_log_forgets_earlier_requests() -> None:
    """reset_log empties the log, and later requests are logged afresh."""
    async with serve() as probe:
        url = probe.emulator.batch_url(probe.emulator.add_batch())
        await probe.get(url)
        probe.emulator.reset_log()
        emptied = len(probe.emulator.requests)
        await probe.get(url)
        after = len(probe.emulator.requests)
    assert (emptied, after) == (0, 1)


async def test_the_context_manager_listens_on_a_random_loopback_port_and_stops() -> None:
    """Emulator() serves 127.0.0.1 on a free port given by endpoint/port, and refuses connections once closed."""
    emulator = Emulator()
    with pytest.raises(RuntimeError):
        _ = emulator.port
    async with emulator:
        assert emulator.endpoint == f"http://127.0.0.1:{emulator.port}"
        assert len(emulator.key) >= 16
    with pytest.raises(OSError):  # noqa: PT011 - refused is all there is to say
        await asyncio.open_connection("127.0.0.1", emulator.port)


async def test_start_and_close_are_idempotent() -> None:
    """start() twice keeps one listener; close() twice is harmless."""
    emulator = Emulator()
    await emulator.start()
    port = emulator.port
    await emulator.start()
    assert emulator.port == port
    await emulator.close()
    await emulator.close()


async def test_the_app_can_be_embedded_in_another_runner() -> None:
    """emu.app is a plain aiohttp Application that serves the same routes under a caller's own runner."""
    from aiohttp import web

    emulator = Emulator(key=KEY)
    batch_id = emulator.add_batch()
    runner = web.AppRunner(emulator.app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{port}/translator/document/batches/{batch_id}?api-version=2024-05-01"
            async with session.get(url, headers=AUTH) as response:
                status = response.status
    finally:
        await runner.cleanup()
    assert status == 200


async def test_the_pytest_fixture_yields_a_started_emulator(doctrans_emulator: Emulator) -> None:
    """The plugin's doctrans_emulator fixture is a started emulator on loopback."""
    batch_id = doctrans_emulator.add_batch()
    async with aiohttp.ClientSession() as session:
        headers = {"Ocp-Apim-Subscription-Key": doctrans_emulator.key}
        async with session.get(doctrans_emulator.batch_url(batch_id), headers=headers) as response:
            assert response.status == 200
    assert doctrans_emulator.endpoint.startswith("http://127.0.0.1:")


CLOCK = VirtualClock()


@pytest.mark.doctrans_emulator(clock=CLOCK, page_size=3, key="marked")
async def test_the_fixture_takes_emulator_options_from_its_marker(doctrans_emulator: Emulator) -> None:
    """@pytest.mark.doctrans_emulator(...) passes its keyword arguments to the fixture's Emulator."""
    assert doctrans_emulator.clock is CLOCK
    assert doctrans_emulator.key == "marked"


def test_public_names_are_exported_and_sorted() -> None:
    """The emulator and testing modules export their public names, with __all__ sorted."""
    for module in (emulator_module, testing_module):
        assert list(module.__all__) == sorted(module.__all__)
        assert all(hasattr(module, name) for name in module.__all__)
    assert testing_module.VirtualClock is VirtualClock
    assert testing_module.Emulator is Emulator


async def _run_module(*arguments: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "doctrans_async.emulator",
        *arguments,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_python_m_prints_one_json_line_and_serves_until_terminated() -> None:
    """python -m doctrans_async.emulator --port 0 --json prints endpoint, key and batches; it serves until SIGTERM."""
    process = await _run_module("--port", "0", "--json", "--key", "cli-key", "--batch", "4:0:1")
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), timeout=30)
        info: dict[str, Any] = json.loads(line)
        async with aiohttp.ClientSession() as session:
            url = f"{info['endpoint']}/translator/document/batches/{info['batches'][0]}?api-version=2024-05-01"
            async with session.get(url, headers={"Ocp-Apim-Subscription-Key": "cli-key"}) as response:
                body = await response.json()
    finally:
        process.terminate()
        await asyncio.wait_for(process.communicate(), timeout=30)
    assert info["key"] == "cli-key"
    assert info["endpoint"] == f"http://127.0.0.1:{info['port']}"
    assert body["summary"] | {"totalCharacterCharged": 0} == {
        "total": 4,
        "failed": 1,
        "success": 3,
        "inProgress": 0,
        "notYetStarted": 0,
        "cancelled": 0,
        "totalCharacterCharged": 0,
    }
    assert process.returncode == 0


@pytest.mark.parametrize(
    "arguments",
    [("--host", "0.0.0.0"), ("--batch", "many:5")],
    ids=["non-loopback", "bad-batch"],
)
async def test_python_m_refuses_a_non_loopback_host_and_bad_arguments(arguments: tuple[str, ...]) -> None:
    """Without --allow-non-loopback a reachable host is refused, as is a malformed --batch; exit status 2."""
    process = await _run_module("--port", "0", *arguments)
    _, errors = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 2
    assert errors


def _fresh_testing_module(monkeypatch: pytest.MonkeyPatch, *missing: str) -> Any:
    for name in missing:
        monkeypatch.setitem(sys.modules, name, None)  # None in sys.modules makes the import fail
    monkeypatch.delitem(sys.modules, "doctrans_async.testing")
    return importlib.import_module("doctrans_async.testing")


def test_testing_imports_without_pytest_and_says_what_is_missing_when_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without pytest, doctrans_async.testing still gives Emulator; asking for the fixture is a clear ImportError."""
    module = _fresh_testing_module(monkeypatch, "pytest", "pytest_asyncio")
    assert module.Emulator is Emulator
    with pytest.raises(ImportError, match="pytest-asyncio"):
        _ = module.doctrans_emulator


async def test_without_pytest_asyncio_the_fixture_explains_itself(tmp_path: Path) -> None:
    """With pytest but no pytest-asyncio, the plugin still loads and a test using the fixture errors naming it."""
    # A package earlier on the path that fails to import hides the installed pytest-asyncio.
    (tmp_path / "hidden" / "pytest_asyncio").mkdir(parents=True)
    (tmp_path / "hidden" / "pytest_asyncio" / "__init__.py").write_text("raise ImportError('hidden')\n")
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_user.py").write_text("def test_uses_it(doctrans_emulator):\n    pass\n")
    path = os.pathsep.join(filter(None, [str(tmp_path / "hidden"), os.environ.get("PYTHONPATH")]))
    environment = os.environ | {"PYTHONPATH": path}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "pytest", "-p", "no:asyncio", "-p", "no:cacheprovider", str(tmp_path),
        cwd=tmp_path, env=environment, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 1
    assert b"1 error" in output
    assert b"pytest-asyncio" in output


async def test_the_log_keeps_only_the_last_log_limit_requests() -> None:
    """With log_limit=N only the N most recent requests are kept, so a long run does not grow without bound."""
    async with serve(log_limit=2) as probe:
        batch_id = probe.emulator.add_batch()
        for path in ("", "/documents", "/documents"):
            await probe.get(probe.url("v1.0", f"/batches/{batch_id}{path}"))
        routes = [r.route for r in probe.emulator.requests]
    assert routes == ["documents", "documents"]


async def test_a_slow_request_is_logged_on_arrival_and_close_does_not_wait_for_it() -> None:
    """A slow request is in the log (status None) while in flight, and close() ends it in well under a second."""
    async with serve() as probe:
        probe.emulator.faults.script("status", [Fault.slow(30)])
        url = probe.emulator.batch_url(probe.emulator.add_batch())
        pending = asyncio.create_task(probe.get(url))
        while not probe.emulator.requests:  # noqa: ASYNC110
            await asyncio.sleep(0)
        in_flight = probe.emulator.requests[0]
        loop = asyncio.get_running_loop()
        began = loop.time()
        await probe.emulator.close()
        took = loop.time() - began
        with pytest.raises(aiohttp.ClientError):
            await pending
    assert (in_flight.route, in_flight.status) == ("status", None)
    assert took < 1
