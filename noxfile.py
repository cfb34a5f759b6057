"""Developer tasks. Each session installs what it needs into its own virtualenv.

nox -s demo        the whole product against the embedded emulator
nox -s tests       the test suite (what CI runs)
nox -s suite       the test suite on every supported Python found here (3.11, 3.12, 3.13; absent ones skipped)
nox -s minimums    the suite on the oldest dependencies pyproject allows, without the optional orjson
nox -s lint        ruff
nox -s typecheck   mypy --strict
nox -s typecheck_plain   mypy --strict on the package as a plain install has it (no extras)
nox -s build       sdist and wheel, the wheel installed into a fresh venv and smoke-tested
nox -s soak        the soak test at full size (1,000 concurrent waits), with its figures
nox -s bench       benchmarks against plain aiohttp and the official SDK
nox -s bench_instructions   instructions per poll and per page under valgrind: the bench's ratios without its noise
nox -s bench_scale polling at scale: request counts of shared polls beside the per-call way
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True
# A supported Python this machine lacks is skipped with nox's message, not an error (nox errs by default on CI).
nox.options.error_on_missing_interpreters = False

SUPPORTED_PYTHONS = ["3.11", "3.12", "3.13"]


@nox.session
def demo(session: nox.Session) -> None:
    """Run `doctrans demo`: an emulated batch, waited on with a live progress bar, then listed."""
    session.install("-e", ".[cli]")
    session.run("doctrans", "demo", *session.posargs)


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite (warnings are errors)."""
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session(python=SUPPORTED_PYTHONS)
def suite(session: nox.Session) -> None:
    """The test suite on each supported Python that is installed (warnings are errors)."""
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session
def minimums(session: nox.Session) -> None:
    """The suite on the oldest versions pyproject allows, and without orjson (the plain install's JSON path)."""
    session.install("aiohttp==3.10.*", "cattrs==24.1.*", "attrs==23.1.*", "backoff==2.2.*")
    session.install("pytest", "pytest-asyncio", "aioresponses", "hypothesis", "rich")
    session.install("--no-deps", "-e", ".")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Check style with ruff."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """Type-check the package, tests and examples with mypy --strict."""
    session.install("-e", ".[test]", "mypy")
    session.run("mypy")


@nox.session
def typecheck_plain(session: nox.Session) -> None:
    """mypy --strict on the package with no extras installed: what a user's type checker reads after `pip install`."""
    session.install("-e", ".", "mypy")
    # The package alone: the tests and examples need the [test] extra.
    session.run("mypy", "doctrans_async")


@nox.session
def build(session: nox.Session) -> None:
    """Build the sdist and the wheel (from the sdist, so it proves complete), install the wheel into a fresh venv
    with no extras, and smoke-test it there, outside the source tree: import, version, and a short demo batch."""
    session.install("build")
    work = Path(session.create_tmp()).resolve()
    dist, venv = work / "dist", work / "smoke-venv"
    shutil.rmtree(dist, ignore_errors=True)
    session.run("python", "-m", "build", "--outdir", str(dist))
    [wheel] = dist.glob("*.whl")
    [_sdist] = dist.glob("*.tar.gz")
    session.run("python", "-m", "venv", "--clear", str(venv))
    python, doctrans = str(venv / "bin" / "python"), str(venv / "bin" / "doctrans")
    session.chdir(work)  # so that nothing imports from the source tree
    session.run(python, "-m", "pip", "install", "-q", str(wheel), external=True)
    session.run(python, "-c", "import doctrans_async as dt; print('doctrans_async', dt.__version__)", external=True)
    usage = session.run(doctrans, "--help", external=True, silent=True)
    if isinstance(usage, str) and "--version" in usage:
        session.run(doctrans, "--version", external=True)
    else:
        session.log("this doctrans has no --version: the import above printed the version")
    session.run(doctrans, "--plain", "demo", "--documents", "4", "--seconds", "1", external=True)


@nox.session
def soak(session: nox.Session) -> None:
    """The soak at full size: 1,000 concurrent waits with random faults; prints requests, faults, memory."""
    session.install("-e", ".[test]")
    session.run("pytest", "tests/test_soak.py", "-s", "-q", env={"DOCTRANS_SOAK_BATCHES": "1000"})


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks against plain aiohttp and the official SDK (figures, not pass/fail)."""
    # The official SDK is installed here only, to be measured; the library never depends on it.
    session.install("-e", ".[fast]", "azure-ai-translation-document")
    session.run("python", "benchmarks/run.py", *session.posargs)


@nox.session
def bench_instructions(session: nox.Session) -> None:
    """Instructions per poll and per page, counted under valgrind (needs valgrind; counts repeat within 0.5 %)."""
    session.install("-e", ".[fast]", "azure-ai-translation-document")
    session.run("python", "benchmarks/instructions.py", *session.posargs)


@nox.session
def bench_scale(session: nox.Session) -> None:
    """Polling at scale: requests of the shared poll streams beside the per-call way (counts, on virtual time)."""
    session.install("-e", ".")
    session.run("python", "benchmarks/scale.py", *session.posargs)
