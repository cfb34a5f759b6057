"""The command line: exit codes, the argument parser, and where endpoint and key come from."""

from __future__ import annotations

import argparse
import enum
import math
import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

import attrs

from doctrans_async._models import Status
from doctrans_async._sansio import check_id
from doctrans_async._version import __version__
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
    INTERNAL_ERROR = 70
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
    "credential": "DOCTRANS_CREDENTIAL",
}
"""The environment variable behind each global option."""

_EPILOG = """\
environment:
  DOCTRANS_ENDPOINT, DOCTRANS_KEY, DOCTRANS_REGION, DOCTRANS_API_VERSION, DOCTRANS_CREDENTIAL stand in for
  the global options.

exit status:
  0    the batch Succeeded (status, documents, batches, cancel, start, translate, demo: the command worked)
  1    the batch Failed (every document failed); never anything else
  2    usage error (bad arguments, impossible ids, no endpoint or key; translate: unreadable FILE, OUT
       exists, API version without single-document translation)
  3    the batch failed validation (ValidationFailed)
  4    the batch was Canceled
  5    timed out waiting (--timeout)
  6    the service or the connection failed (not found, wrong key, unreachable, ...)
  70   a bug in doctrans (please report it); no traceback is printed
  130  interrupted (Ctrl-C)
  A closed output pipe (doctrans wait ID | head -1) ends quietly with the command's own status.

Start with `doctrans demo`: it runs everything against an in-process emulator, with no account.
"""


def _status(text: str) -> Status:
    status = Status(text)
    if not status.is_known:
        known = ", ".join(s.value for s in Status)
        raise argparse.ArgumentTypeError(f"unknown status {text!r} (one of: {known})")
    return status


def _number(text: str, low: float, *, inclusive: bool, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < low or (value == low and not inclusive):
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
    return value


def _seconds(text: str) -> float:
    """A positive, finite number of seconds (a timeout)."""
    return _number(text, 0, inclusive=False, what="a number of seconds greater than 0")


def _duration(text: str) -> float:
    """A finite number of seconds, 0 or more (how long the demo's batch runs)."""
    return _number(text, 0, inclusive=True, what="a number of seconds, 0 or more")


def _whole(text: str, low: int) -> int:
    try:
        value = int(text)
    except ValueError:
        value = low - 1
    if value < low:
        raise argparse.ArgumentTypeError(f"expected a whole number, {low} or more, got {text!r}")
    return value


def _count(text: str) -> int:
    return _whole(text, 0)


def _positive_count(text: str) -> int:
    return _whole(text, 1)


def _batch_id(text: str) -> str:
    try:
        return check_id(text)
    except ValueError as impossible:
        raise argparse.ArgumentTypeError(f"not a batch id: {impossible}") from None


def _language(text: str) -> str:
    if not text or any(character.isspace() or not character.isprintable() for character in text):
        raise argparse.ArgumentTypeError(f"expected a language code such as fr or zh-Hans, got {text!r}")
    return text


def _url(text: str) -> str:
    if not text.startswith(("https://", "http://")):
        raise argparse.ArgumentTypeError(f"expected an http(s) URL (a container SAS URL), got {text!r}")
    return text


def _add_globals(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("service")
    # Defaults stay None here and are read from the environment later, so --help never shows a key's value.
    group.add_argument(
        "--endpoint", help="https://<resource>.cognitiveservices.azure.com (default: $DOCTRANS_ENDPOINT)"
    )
    group.add_argument("--key", help="the resource's subscription key (default: $DOCTRANS_KEY)")
    group.add_argument("--region", help="the resource's region, for regional keys (default: $DOCTRANS_REGION)")
    group.add_argument(
        "--credential",
        choices=["key", "azure"],
        help="key: the subscription key (the default); azure: an Entra ID token from azure-identity's "
        "DefaultAzureCredential, no key needed (default: $DOCTRANS_CREDENTIAL)",
    )
    group.add_argument(
        "--api-version",
        choices=[v.value for v in ApiVersion],
        help="API version to speak (default: $DOCTRANS_API_VERSION, else the client's default)",
    )
    parser.add_argument("--plain", action="store_true", help="plain text output even on a terminal (no rich)")
    parser.add_argument("--version", action="version", version=f"doctrans {__version__}")


def _add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable JSON output")


def _add_languages(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--to", required=True, type=_language, dest="target_language", metavar="LANG", help="target language"
    )
    parser.add_argument(
        "--from", type=_language, dest="source_language", metavar="LANG", help="source language (default: detect)"
    )


def _add_id(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("batch_id", metavar="ID", type=_batch_id, help="the batch's id")


def _add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    status = commands.add_parser("status", help="show a batch's status")
    _add_id(status)
    _add_json(status)

    documents = commands.add_parser("documents", help="list a batch's documents")
    _add_id(documents)
    documents.add_argument(
        "--status", type=_status, action="append", dest="statuses", metavar="S", help="only this status (repeatable)"
    )
    _add_json(documents)

    wait = commands.add_parser("wait", help="wait for a batch to finish, with progress; exit status says how it ended")
    _add_id(wait)
    wait.add_argument("--timeout", type=_seconds, metavar="S", help="give up after S seconds (exit 5)")
    wait.add_argument("--json", action="store_true", help="no progress: print the final status as JSON")

    start = commands.add_parser(
        "start", help="start a batch: translate every document of a source container into a target container"
    )
    start.add_argument("--source", required=True, type=_url, metavar="URL", help="the source container's SAS URL")
    start.add_argument("--target", required=True, type=_url, metavar="URL", help="the target container's SAS URL")
    _add_languages(start)
    start.add_argument("--category", metavar="C", help="custom translator category")
    start.add_argument("--wait", action="store_true", help="then wait for it as `doctrans wait` does")
    start.add_argument("--timeout", type=_seconds, metavar="S", help="with --wait: give up after S seconds (exit 5)")
    start.add_argument("--json", action="store_true", help='print {"id": ...} (with --wait: the final status)')

    batches = commands.add_parser("batches", help="list the resource's batches")
    batches.add_argument("--status", type=_status, action="append", dest="statuses", metavar="S")
    batches.add_argument("--top", type=_count, metavar="N", help="at most N batches")
    _add_json(batches)

    cancel = commands.add_parser("cancel", help="ask the service to cancel a batch")
    _add_id(cancel)
    _add_json(cancel)

    translate = commands.add_parser(
        "translate",
        help="translate one document now and write the result (API 2024-05-01 and later)",
        description="Translate FILE synchronously (up to 10 MB) and write the translated document.",
    )
    translate.add_argument("file", type=Path, metavar="FILE", help="the document; its extension gives the format")
    _add_languages(translate)
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
    translate.add_argument(
        "--content-type", metavar="TYPE", help="FILE's media type when its name does not tell (e.g. text/plain)"
    )
    translate.add_argument("--force", action="store_true", help="overwrite OUT if it exists")

    # The emulator's own parser reads everything after the word, so its --help and options stay its own.
    commands.add_parser("emulator", add_help=False, help="run the local emulator (options: doctrans emulator --help)")

    demo = commands.add_parser("demo", help="start an in-process emulator, submit a batch and wait on it")
    demo.add_argument("--documents", type=_positive_count, default=36, help="documents in the batch (default 36)")
    demo.add_argument("--seconds", type=_duration, default=10.0, help="how long the batch runs (default 10)")
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
    """Where and how to reach the service. The key is kept out of the repr, so no log or traceback shows it.

    ``key`` is ``None`` with ``credential="azure"`` (a token from azure-identity instead).
    """

    endpoint: str
    key: str | None = attrs.field(repr=False)
    region: str | None
    api_version: str | None
    credential: str = "key"


def connection_of(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> Connection:
    """The connection the options and environment name; ``ValueError`` says what is missing or wrong."""
    env: Mapping[str, str] = os.environ if environ is None else environ
    values: dict[str, str | None] = {
        name: getattr(args, name, None) or env.get(variable) or None for name, variable in ENVIRONMENT.items()
    }
    credential = values["credential"] or "key"
    if credential not in ("key", "azure"):
        raise ValueError(f"${ENVIRONMENT['credential']} must be 'key' or 'azure', got {credential!r}")
    if credential == "azure" and getattr(args, "key", None):
        raise ValueError("pass either --key or --credential azure, not both")
    needed = ("endpoint", "key") if credential == "key" else ("endpoint",)
    missing = [f"--{name} or ${ENVIRONMENT[name]}" for name in needed if values[name] is None]
    if missing:
        raise ValueError(f"no service given: pass {' and '.join(missing)} (or try `doctrans demo`)")
    endpoint = values["endpoint"]
    assert endpoint is not None
    _check_origin(endpoint)
    key = values["key"] if credential == "key" else None
    return Connection(endpoint, key, values["region"], values["api_version"], credential)


def _check_origin(endpoint: str) -> None:
    # The library takes a path prefix (a proxy); on the command line a path is a pasted operation URL.
    try:
        parts = urlsplit(endpoint)
    except ValueError:
        return  # the client says what is wrong with it
    if parts.path.strip("/") and parts.scheme in ("http", "https") and parts.netloc:
        raise ValueError(
            f"--endpoint must be the resource's origin, without a path: give {parts.scheme}://{parts.netloc} "
            f"(not {endpoint})"
        )
