"""Instructions per poll and per page, counted under valgrind: the same comparison as ``run.py``, without its noise.

    python benchmarks/instructions.py                  # every contender, polls and 100-document pages
    python benchmarks/instructions.py --contenders floor,doctrans_async --workloads poll

CPU time on a shared machine moves by tens of percent from one run to the next; the number of instructions a
contender executes does not (it moves by well under 1 %). Each contender runs each job twice in a worker under
``valgrind --tool=callgrind``, a small and a large size (50 and 250 polls; 1,000 and 3,000 documents), and the
difference between the two counts, divided by the extra polls or pages, is what one more costs: start-up, imports
and the first connection cancel out.

What it cannot see: the kernel's share. Every contender but the SDK makes nearly the same system calls per request (one
send, one receive, two waits on the selector), which cost the same CPU time to all; so the CPU-time ratios of
``run.py`` are these ratios pulled towards 1. Valgrind runs a program about 50 times slower: a full run takes a
few minutes.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import attrs

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from contenders import CONTENDERS, Job, sdk_available  # noqa: E402
from emulator_process import BatchSpec, EmulatorInfo, EmulatorProcess  # noqa: E402
from run import DEFAULT_API_VERSION, PAGE_SIZE, SERVER_PAGE_SIZE, _send, _worker, chosen  # noqa: E402

# Per workload: the small and the large job's size (polls, or documents listed).
SIZES = {"poll": (50, 250), "list": (1_000, 3_000)}
WORKLOADS = tuple(SIZES)
_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


@attrs.frozen
class Count:
    contender: str
    workload: str
    per_unit: float
    """Instructions per poll, or per page of ``PAGE_SIZE`` documents."""


def _instructions(contender: str, job: Job, items: int, log: Path) -> int:
    # A fixed hash seed: dicts and sets then probe alike in every run.
    wrapper = [
        *("env", "PYTHONHASHSEED=0"),
        *("valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", f"--log-file={log}"),
    ]
    with _worker(contender, wrapper) as process:
        result = _send(process, job)
    if result["items"] != items:
        raise RuntimeError(f"{contender}/{job.workload} handled {result['items']} items, expected {items}")
    found = _COLLECTED.findall(log.read_text())
    if not found:
        raise RuntimeError(f"valgrind reported no instruction count for {contender}/{job.workload} (see {log})")
    return int(found[-1])


def count(contender: str, workload: str, info: EmulatorInfo, api_version: str, logs: Path) -> Count:
    """Instructions for one more poll (or page) of ``contender``: the large job's count less the small one's."""
    totals: list[int] = []
    for size in SIZES[workload]:
        batch = info.batches[SIZES["list"].index(size)] if workload == "list" else info.batches[-1]
        job = Job(
            contender=contender,
            workload=workload,
            endpoint=info.endpoint,
            key=info.key,
            api_version=api_version,
            batch_ids=(batch,),
            page_size=PAGE_SIZE,
            polls=size if workload == "poll" else 0,
        )
        totals.append(_instructions(contender, job, size, logs / f"{contender}-{workload}-{size}.log"))
    small, large = SIZES[workload]
    units = (large - small) if workload == "poll" else (large - small) / PAGE_SIZE
    return Count(contender, workload, (totals[1] - totals[0]) / units)


def render(counts: Sequence[Count]) -> str:
    by = {(c.workload, c.contender): c.per_unit for c in counts}
    contenders = [c for c in CONTENDERS if any(k[1] == c for k in by)]
    unit = {"poll": "one poll", "list": f"one {PAGE_SIZE}-document page"}
    lines = [
        "| thousand instructions for | " + " | ".join(contenders) + " |",
        "| --- |" + " --- |" * len(contenders),
    ]
    for workload in WORKLOADS:
        floor = by.get((workload, "floor"))
        cells = []
        for contender in contenders:
            value = by.get((workload, contender))
            if value is None:
                cells.append("")
            elif floor:
                cells.append(f"{value / 1e3:,.0f} ({value / floor:.2f} x)")
            else:
                cells.append(f"{value / 1e3:,.0f}")
        if any(cells):
            lines.append(f"| {unit[workload]} | " + " | ".join(cells) + " |")
    sdk_lines = []
    for workload in WORKLOADS:
        sdk = by.get((workload, "official_sdk"))
        for ours in ("doctrans_async", "doctrans_stdlib_json"):
            value = by.get((workload, ours))
            if sdk and value:
                sdk_lines.append(f"official_sdk / {ours}, {unit[workload]}: {sdk / value:.2f} x")
    return "\n".join([*lines, "", *sdk_lines])


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--contenders", default=",".join(CONTENDERS), help="comma-separated subset of contenders")
    p.add_argument("--workloads", default=",".join(WORKLOADS), help="comma-separated subset of workloads")
    p.add_argument("--api-version", default=DEFAULT_API_VERSION, help="API version every contender speaks")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind): it counts the instructions")
    contenders = chosen(args.contenders, CONTENDERS, "contender")
    workloads = chosen(args.workloads, WORKLOADS, "workload")
    if "official_sdk" in contenders and not sdk_available():
        contenders.remove("official_sdk")
        print("note: official_sdk skipped: azure.ai.translation.document is not importable", file=sys.stderr)
    listed = [BatchSpec(documents, 0.5) for documents in SIZES["list"]]
    counts: list[Count] = []
    with (
        tempfile.TemporaryDirectory(prefix="doctrans-instructions-") as logs,
        EmulatorProcess([*listed, BatchSpec(100, 86_400.0)], page_size=SERVER_PAGE_SIZE) as emulator,
    ):
        info = emulator.start()
        time.sleep(1.0)  # the listed batches finish, so both jobs list what they will list every time
        for workload in workloads:
            for contender in contenders:
                counted = count(contender, workload, info, args.api_version, Path(logs))
                counts.append(counted)
                print(f"{workload:<5} {contender:<21} {counted.per_unit:14,.0f}", file=sys.stderr, flush=True)
    print(render(counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
