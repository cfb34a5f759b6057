"""Where a contender's CPU goes: one workload, the emulator in its own process.

    pip install py-spy
    py-spy record --format raw --rate 1000 -o /tmp/list.txt -- python benchmarks/profile_client.py list
    python benchmarks/profile_client.py --summarize /tmp/list.txt

py-spy leaves idle samples out by default, so the shares are of CPU time; ``--summarize`` prints the functions
with the most samples, inclusive (on the stack) and self (on top of it). ``--pyinstrument`` instead wraps the
workload in pyinstrument (wall-clock, so waits on the emulator show up too) and prints its call tree.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from contenders import CONTENDERS, RUNNERS, Job, preload  # noqa: E402
from emulator_process import BatchSpec, EmulatorProcess  # noqa: E402
from run import DEFAULT_API_VERSION, PAGE_SIZE  # noqa: E402


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("workload", nargs="?", choices=("list", "poll"))
    p.add_argument("--summarize", type=Path, help="summarize a py-spy raw (collapsed stacks) file and exit")
    p.add_argument("--top", type=int, default=25, help="functions to show with --summarize")
    p.add_argument("--pyinstrument", action="store_true", help="profile with pyinstrument")
    p.add_argument("--contender", default="doctrans_async", choices=CONTENDERS)
    p.add_argument("--documents", type=int, default=100_000)
    p.add_argument("--polls", type=int, default=5_000)
    p.add_argument("--min-percent", type=float, default=1.0, help="hide frames below this share of the time")
    p.add_argument("--api-version", default=DEFAULT_API_VERSION)
    args = p.parse_args(argv)
    if args.summarize is not None:
        print(summarize(args.summarize, args.top))
        return 0
    if args.workload is None:
        p.error("name a workload (list or poll) or pass --summarize FILE")

    preload(args.contender)
    spec = BatchSpec(args.documents, 0.5) if args.workload == "list" else BatchSpec(100, 86_400.0)
    with EmulatorProcess([spec], page_size=PAGE_SIZE) as emulator:
        info = emulator.start()
        time.sleep(1.0)
        job = Job(
            contender=args.contender,
            workload=args.workload,
            endpoint=info.endpoint,
            key=info.key,
            api_version=args.api_version,
            batch_ids=info.batches,
            page_size=PAGE_SIZE,
            polls=args.polls,
        )
        work = RUNNERS[(args.contender, args.workload)]
        if not args.pyinstrument:
            started = time.process_time()
            asyncio.run(work(job))
            print(f"{args.contender} {args.workload}: {time.process_time() - started:.3f} s CPU")
            return 0
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        with profiler:
            asyncio.run(work(job))
    print(profiler.output_text(unicode=False, color=False, time="percent_of_total"))
    return 0


def summarize(path: Path, top: int) -> str:
    """The ``top`` functions by inclusive and by self samples in a py-spy raw file (``frame;frame;... count``)."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        # "function (file:line)": drop the line so one function's samples add up.
        frames = [frame.rsplit(":", 1)[0] + ")" if ":" in frame else frame for frame in stack.split(";")]
        # Only the measured work: inside the event loop (not imports or setup), and not the loop's idle wait
        # (py-spy's idle detection misses some epoll waits).
        if not any(f.startswith("BaseEventLoop.run_until_complete") for f in frames):
            continue
        if frames[-1].startswith(("EpollSelector.select", "select (")):
            continue
        total += count
        for frame in set(frames):
            inclusive[frame] += count
        own[frames[-1]] += count
    out = [f"{total} samples of the event loop at work"]
    for title, counter in (("inclusive", inclusive), ("self", own)):
        out.append(f"--- {title}")
        for frame, count in counter.most_common(top):
            out.append(f"{100 * count / total:6.1f}%  {frame}")
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
