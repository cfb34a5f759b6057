"""``doctrans``: Document Translation batches from the command line (also ``python -m doctrans_async``).

``main`` parses the command line and runs the command's coroutine (:func:`run`) on its own event loop;
``doctrans --help`` lists the commands, the environment variables and the exit statuses (:class:`ExitCode`).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence

from doctrans_async.cli._commands import run
from doctrans_async.cli._parser import ExitCode, build_parser

__all__ = ["ExitCode", "main", "run"]


def _exit_status(stop: SystemExit) -> int:
    # argparse exits with 0 (--help) or 2 (usage); a message-only SystemExit means failure.
    if stop.code is None:
        return 0
    return stop.code if isinstance(stop.code, int) else ExitCode.USAGE


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``doctrans`` with ``argv`` (default ``sys.argv[1:]``) and return its exit status.

    The console script exits with what this returns.
    """
    parser = build_parser()
    try:
        args, rest = parser.parse_known_args(argv)
        if rest and args.command != "emulator":
            parser.error(f"unrecognized arguments: {' '.join(rest)}")
    except SystemExit as stop:
        return _exit_status(stop)
    if args.command == "emulator":
        from doctrans_async.emulator.__main__ import main as emulator_main

        return emulator_main(rest)
    try:
        return asyncio.run(run(args))
    except KeyboardInterrupt:
        print("doctrans: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
