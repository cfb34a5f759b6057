"""The command line: exit codes, the argument parser, and where endpoint and key come from."""

from __future__ import annotations

import argparse
import enum
import os
from collections.abc import Mapping
from pathlib import Path

import attrs

from doctrans_async._models import Status
from doctrans_async._versions import ApiVersion

__all__ = ["ENVIRONMENT", "Connection", "ExitCode", "build_parser", "connection_of", "exit_code_for"]


class ExitCode(enum.IntEnum):
    """What ``doctrans`` exits with. A finished batch's outcome has its own code, so scripts can branch on it."""

    SUCCEEDED = 0
    FAILED = 1
    USAGE = 2
    VALIDATION_FAILED = 3
    CANCELED = 4
    TIMEOUT = 5
    SERVICE_ERROR = 6
    INTERRUPTED = 130


_BY_STATUS = {
    Status.SUCCEEDED: ExitCode.SUCCEEDED,
    Status.FAILED: ExitCode.FAILED,
    Status.VALIDATION_FAILED: ExitCode.VALIDATION_FAILED,
    Status.CANCELED: ExitCode.CANCELED,
}


def exit_code_for(status: Status) -> ExitCode:
    """The exit code of a batch that ended with ``status`` (a terminal status)."""
    return _BY_STATUS[status]


ENVIRONMENT = {
    "endpoint": "DOCTRANS_ENDPOINT",
    "key": "DOCTRANS_KEY",
    "region": "DOCTRANS_REGION",
    "api_version": "DOCTRANS_API_VERSION",
}
"""The environment variable behind each global option."""

_EPILOG = """\
environment:
  DOCTRANS_ENDPOINT, DOCTRANS_KEY, DOCTRANS_REGION, DOCTRANS_API_VERSION stand in for the global options.

exit status:
  0    the batch Succeeded (status, documents, batches, cancel, translate, demo: the command worked)
  1    the batch Failed (every document failed)
  2    usage error (bad arguments, no endpoint or key; translate: unreadable FILE, OUT exists, API version
       without single-document translation)
  3    the batch failed validation (ValidationFailed)
  4    the batch was Canceled
  5    timed out waiting (--timeout)
  6    the service or the connection failed (not found, wrong key, unreachable, ...)
  130  interrupted (Ctrl-C)

Start with `doctrans demo`: it runs everything against an in-process emulator, with no account.
"""


def _status(text: str) -> Status:
    status = Status(text)
    if not status.is_known:
        known = ", ".join(s.value for s in Status)
        raise argparse.ArgumentTypeError(f"unknown status {text!r} (one of: {known})")
    return status


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def _add_globals(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("service")
    # Defaults stay None here and are read from the environment later, so --help never shows a key's value.
    group.add_argument(
        "--endpoint", help="https://<resource>.cognitiveservices.azure.com (default: $DOCTRANS_ENDPOINT)"
    )
    group.add_argument("--key", help="the resource's subscription key (default: $DOCTRANS_KEY)")
    group.add_argument("--region", help="the resource's region, for regional keys (default: $DOCTRANS_REGION)")
    group.add_argument(
        "--api-version",
        choices=[v.value for v in ApiVersion],
        help="API version to speak (default: $DOCTRANS_API_VERSION, else the client's default)",
    )
    parser.add_argument("--plain", action="store_true", help="plain text output even on a terminal (no rich)")


def _add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable JSON output")


def _add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    status = commands.add_parser("status", help="show a batch's status")
    status.add_argument("batch_id", metavar="ID")
    _add_json(status)

    documents = commands.add_parser("documents", help="list a batch's documents")
    documents.add_argument("batch_id", metavar="ID")
    documents.add_argument(
        "--status", type=_status, action="append", dest="statuses", metavar="S", help="only this status (repeatable)"
    )
    _add_json(documents)

    wait = commands.add_parser("wait", help="wait for a batch to finish, with progress; exit status says how it ended")
    wait.add_argument("batch_id", metavar="ID")
    wait.add_argument("--timeout", type=_positive, metavar="S", help="give up after S seconds (exit 5)")

    batches = commands.add_parser("batches", help="list the resource's batches")
    batches.add_argument("--status", type=_status, action="append", dest="statuses", metavar="S")
    batches.add_argument("--top", type=_count, metavar="N", help="at most N batches")
    _add_json(batches)

    cancel = commands.add_parser("cancel", help="ask the service to cancel a batch")
    cancel.add_argument("batch_id", metavar="ID")

    translate = commands.add_parser(
        "translate",
        help="translate one document now and write the result (API 2024-05-01 and later)",
        description="Translate FILE synchronously (up to 10 MB) and write the translated document.",
    )
    translate.add_argument("file", type=Path, metavar="FILE", help="the document; its extension gives the format")
    translate.add_argument("--to", required=True, dest="target_language", metavar="LANG", help="target language")
    translate.add_argument("--from", dest="source_language", metavar="LANG", help="source language (default: detect)")
    translate.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="where to write it; '-' for stdout (default: FILE's name with .LANG before its extension, beside it)",
    )
    translate.add_argument(
        "--glossary", type=Path, action="append", default=[], metavar="FILE", help="a glossary (repeatable)"
    )
    translate.add_argument("--category", metavar="C", help="custom translator category")
    translate.add_argument("--force", action="store_true", help="overwrite OUT if it exists")

    # The emulator's own parser reads everything after the word, so its --help and options stay its own.
    commands.add_parser("emulator", add_help=False, help="run the local emulator (options: doctrans emulator --help)")

    demo = commands.add_parser("demo", help="start an in-process emulator, submit a batch and wait on it")
    demo.add_argument("--documents", type=_count, default=36, help="documents in the batch (default 36)")
    demo.add_argument("--seconds", type=float, default=10.0, help="how long the batch runs (default 10)")
    demo.add_argument("--failures", type=_count, help="documents that fail (default: about one in nine)")


def build_parser() -> argparse.ArgumentParser:
    """The ``doctrans`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="doctrans",
        description="Azure AI Translator Document Translation (batches and single documents) from the command line.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_globals(parser)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_commands(commands)
    return parser


@attrs.frozen
class Connection:
    """Where and how to reach the service. The key is kept out of the repr, so no log or traceback shows it."""

    endpoint: str
    key: str = attrs.field(repr=False)
    region: str | None
    api_version: str | None


def connection_of(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> Connection:
    """The connection the options and environment name; ``ValueError`` says what is missing."""
    env: Mapping[str, str] = os.environ if environ is None else environ
    values: dict[str, str | None] = {
        name: getattr(args, name) or env.get(variable) or None for name, variable in ENVIRONMENT.items()
    }
    endpoint, key = values["endpoint"], values["key"]
    if endpoint is None or key is None:
        missing = [f"--{name} or ${ENVIRONMENT[name]}" for name in ("endpoint", "key") if values[name] is None]
        raise ValueError(f"no service given: pass {' and '.join(missing)} (or try `doctrans demo`)")
    return Connection(endpoint, key, values["region"], values["api_version"])
