"""``python -m doctrans_async.emulator``: run the emulator until Ctrl-C or SIGTERM.

It prints the endpoint, key and seeded batch ids to use: one human line, or with ``--json`` one JSON line on stdout
(the human line then goes to stderr) that a parent process can read.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import json
import signal
import sys
from collections.abc import Callable, Sequence

import attrs

from doctrans_async.emulator import Emulator
from doctrans_async.emulator._document_translate import MAX_DOCUMENT_BYTES
from doctrans_async.emulator._wire import RETRY_AFTER_SECONDS


@attrs.frozen
class BatchSpec:
    """``DOCS:SECONDS[:FAILURES]`` from ``--batch``."""

    documents: int
    seconds: float
    failures: int = 0

    @classmethod
    def parse(cls, text: str) -> BatchSpec:
        parts = text.split(":")
        try:
            if len(parts) not in (2, 3):
                raise ValueError(text)
            failures = int(parts[2]) if len(parts) == 3 else 0
            return cls(int(parts[0]), float(parts[1]), failures)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected DOCS:SECONDS[:FAILURES], got {text!r}") from None


def is_loopback(host: str) -> bool:
    """Whether ``host`` names only this machine (``localhost`` or a loopback address)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _at_least(low: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = int(text)
        if value < low:
            raise argparse.ArgumentTypeError(f"must be >= {low}, got {text}")
        return value

    parse.__name__ = "integer"  # what argparse names the type in its "invalid ... value" message
    return parse


def parser(prog: str = "python -m doctrans_async.emulator") -> argparse.ArgumentParser:
    """The command line, under the name it was run by (``doctrans emulator`` runs it too)."""
    p = argparse.ArgumentParser(
        prog=prog,
        description="Emulate the Azure AI Translator Document Translation API (batches and single documents) locally.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="port, 0 for any free one (default 8080)")
    p.add_argument("--key", help="subscription key to accept (default: a random one, printed)")
    p.add_argument("--page-size", type=int, default=50, help="server page size of lists (default 50)")
    p.add_argument(
        "--retry-after",
        type=_at_least(0),
        default=RETRY_AFTER_SECONDS,
        metavar="S",
        help=f"Retry-After sent on the status of a batch in progress (default {RETRY_AFTER_SECONDS}, as the real one)",
    )
    p.add_argument(
        "--no-retry-after", dest="retry_after", action="store_const", const=None, help="send no Retry-After at all"
    )
    p.add_argument("--seed", type=int, default=0, help="seed for ids and failing documents")
    p.add_argument(
        "--batch",
        type=BatchSpec.parse,
        action="append",
        default=[],
        metavar="DOCS:SECONDS[:FAILURES]",
        help="seed a batch (repeatable)",
    )
    p.add_argument(
        "--start-documents", type=_at_least(1), default=10, metavar="N", help="documents in a POSTed batch (default 10)"
    )
    p.add_argument(
        "--start-seconds", type=float, default=10.0, metavar="S", help="how long a POSTed batch runs (default 10)"
    )
    p.add_argument(
        "--start-failures", type=_at_least(0), default=0, metavar="N", help="documents of a POSTed batch that fail"
    )
    p.add_argument(
        "--max-document-bytes",
        type=_at_least(0),
        default=MAX_DOCUMENT_BYTES,
        metavar="B",
        help="largest document document:translate accepts (default 10 MiB)",
    )
    p.add_argument(
        "--encoded-links",
        action="store_true",
        help="write the space in ordered listings' next links as %%20 (the real service leaves it raw)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON line on stdout")
    p.add_argument(
        "--allow-non-loopback",
        action="store_true",
        help="allow listening on an address other machines can reach",
    )
    return p


def emulator_of(args: argparse.Namespace) -> Emulator:
    """The (not yet started) emulator the parsed command line describes."""
    return Emulator(
        host=args.host,
        port=args.port,
        key=args.key,
        page_size=args.page_size,
        retry_after=args.retry_after,
        seed=args.seed,
        start_documents=args.start_documents,
        start_seconds=args.start_seconds,
        start_failures=args.start_failures,
        max_document_bytes=args.max_document_bytes,
        raw_space_links=not args.encoded_links,
    )


async def serve(args: argparse.Namespace) -> None:
    """Start, announce, and wait for a stop signal."""
    emulator = emulator_of(args)
    async with emulator:
        batches = [
            emulator.add_batch(documents=b.documents, seconds=b.seconds, failures=b.failures) for b in args.batch
        ]
        announce(emulator, batches, as_json=args.json)
        await _until_stopped()


def announce(emulator: Emulator, batches: Sequence[str], *, as_json: bool) -> None:
    """Tell the user (and a parent process) where the emulator is."""
    human = f"doctrans emulator listening on {emulator.endpoint}  key: {emulator.key}"
    if batches:
        human += "  batches: " + ", ".join(batches)
    if as_json:
        info = {"endpoint": emulator.endpoint, "key": emulator.key, "port": emulator.port, "batches": batches}
        print(human, file=sys.stderr, flush=True)
        print(json.dumps(info), flush=True)
    else:
        print(human, flush=True)


async def _until_stopped() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        # Windows has no signal handlers on the loop; Ctrl-C still arrives as KeyboardInterrupt there.
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()


def main(argv: Sequence[str] | None = None, *, prog: str = "python -m doctrans_async.emulator") -> int:
    """Run the emulator; returns the exit status."""
    args = parser(prog).parse_args(argv)
    if not is_loopback(args.host) and not args.allow_non_loopback:
        print(
            f"refusing to listen on {args.host}: not a loopback address "
            "(the emulator accepts any client; pass --allow-non-loopback if you mean it)",
            file=sys.stderr,
        )
        return 2
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
