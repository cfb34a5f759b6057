"""``doctrans``: Document Translation batches and single documents from the command line (``python -m doctrans_async``).

``main`` parses the command line and runs the command's coroutine (:func:`run`) on its own event loop;
``doctrans --help`` lists the commands, the environment variables and the exit statuses (:class:`ExitCode`).
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Sequence

from doctrans_async._redact import Redactor
from doctrans_async.cli._commands import run
from doctrans_async.cli._parser import ExitCode, build_parser
from doctrans_async.cli._pipes import guarded_streams
from doctrans_async.cli._render import printable

__all__ = ["ExitCode", "build_parser", "main", "run"]


def _exit_status(stop: SystemExit) -> int:
    # argparse exits with 0 (--help) or 2 (usage); a message-only SystemExit means failure.
    if stop.code is None:
        return 0
    return stop.code if isinstance(stop.code, int) else ExitCode.USAGE


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``doctrans`` with ``argv`` (default ``sys.argv[1:]``) and return its exit status.

    The console script exits with what this returns. Nothing escapes as a traceback: a closed output pipe is
    silence, and an unexpected exception (a bug) is one line and :attr:`ExitCode.INTERNAL_ERROR`, never 1.
    """
    with guarded_streams():
        try:
            return _main(argv)
        except SystemExit as stop:
            # argparse (ours, or the emulator's for `doctrans emulator`) exits on --help and usage errors.
            return _exit_status(stop)
        except KeyboardInterrupt:
            print("doctrans: interrupted", file=sys.stderr)
            return ExitCode.INTERRUPTED
        except Exception as bug:
            _report_bug(bug, argv)
            return ExitCode.INTERNAL_ERROR


def _report_bug(bug: Exception, argv: Sequence[str] | None) -> None:
    words = list(sys.argv[1:] if argv is None else argv)
    keys = [words[i + 1] for i, word in enumerate(words[:-1]) if word == "--key"]
    keys += [word.partition("=")[2] for word in words if word.startswith("--key=")]
    redactor = Redactor([*keys, os.environ.get("DOCTRANS_KEY", "")])
    text = printable(redactor.text(f"{type(bug).__name__}: {bug}"))
    print(f"doctrans: internal error (a bug; please report it): {text}", file=sys.stderr, flush=True)


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if args.command == "emulator":
        from doctrans_async.emulator.__main__ import main as emulator_main

        return emulator_main(rest, prog="doctrans emulator")
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    return asyncio.run(run(args))
