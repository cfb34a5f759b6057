"""Developer tasks. Each session installs what it needs into its own virtualenv.

nox -s demo        the whole product against the embedded emulator
nox -s tests       the test suite (what CI runs)
nox -s suite       the test suite on every supported Python found here (3.11, 3.12, 3.13; absent ones skipped)
nox -s minimums    the suite on the oldest dependencies pyproject allows, without the optional orjson
nox -s lint        ruff
nox -s typecheck   mypy --strict
nox -s soak        the soak test at full size (1,000 concurrent waits), with its figures
nox -s bench       benchmarks against plain aiohttp and the official SDK
"""

from __future__ import annotations

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
