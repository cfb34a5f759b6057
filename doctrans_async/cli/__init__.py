"""``doctrans``: Document Translation batches and single documents from the command line (``python -m doctrans_async``).

``main`` parses the command line and runs the command's coroutine (:func:`run`) on its own event loop;
``doctrans --help`` lists the commands, the environment variables and the exit statuses (:class:`ExitCode`).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence

from doctrans_async.cli._commands import run
from doctrans_async.cli._parser import ExitCode, build_parser

__all__ = ["ExitCode", "build_parser", "main", "run"]


def _exit_status(stop: SystemExit) -> int:
    # argparse exits with 0 (--help) or 2 (usage); a message-only SystemExit means failure.
    if stop.code is None:
        return 0
    return stop.code if isinstance(stop.code, int) else ExitCode.USAGE


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``doctrans`` with ``argv`` (default ``sys.argv[1:]``) and return its exit status.

    The console script exits with what this returns.
    """
    try:
        return _main(argv)
    except SystemExit as stop:
        # argparse (ours, or the emulator's for `doctrans emulator`) exits on --help and usage errors.
        return _exit_status(stop)
    except KeyboardInterrupt:
        print("doctrans: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if args.command == "emulator":
        from doctrans_async.emulator.__main__ import main as emulator_main

        return emulator_main(rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    return asyncio.run(run(args))
