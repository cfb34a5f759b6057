"""Benchmarks: doctrans_async against plain aiohttp + json (the floor) and the official async SDK.

    python benchmarks/run.py                 # full: 100,000 and 20,000 documents, 5,000 polls, 1,000 batches, 5 rounds
    python benchmarks/run.py --quick         # smoke: 5,000 and 1,000 / 500 / 100, 1 round, about a minute
    python benchmarks/run.py --quick --contenders floor,doctrans_async --json /tmp/bench.json

Each measurement runs in a fresh worker process (``worker.py``) against an emulator in another process, so the CPU
and peak RSS figures are the contender's alone. Rounds interleave the contenders (floor, ours, SDK, floor, ours,
SDK, ...) so that background load on a shared machine hits them alike. A worker runs its job a few times (a
watch and a collect once), each on a fresh client, and reports its best run; each contender's CPU figure is its
best round. Interference only ever adds time, and on a 2-core shared machine it doubles some runs; the detailed
table prints the median of the rounds beside the best.

It prints the detailed table, then issue 16's summary (each workload as a ratio to the floor: the plain install,
``[fast]`` and the official SDK), then the targets, each marked met or MISSED.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from contenders import CONTENDERS, Job, sdk_available  # noqa: E402
from emulator_process import BatchSpec, EmulatorInfo, EmulatorProcess  # noqa: E402

DEFAULT_JSON = HERE / "results" / "latest.json"
# Both the installed SDK (2.x) and doctrans_async default to 2026-03-01; pinning it keeps them on one version
# whatever either default becomes. The emulator serves every version on one port, so nothing else changes.
DEFAULT_API_VERSION = "2026-03-01"
# The service's largest page, which the floor and the SDK ask for by name and doctrans_async by default.
PAGE_SIZE = 100
# The emulator's own page size for a client that asks for none: the real service's default.
SERVER_PAGE_SIZE = 50
# How long a worker may take before the run is declared stuck.
WORKER_TIMEOUT = 900.0
# Peak RSS of the big listing may exceed the small one's by this much and still count as flat (allocator noise).
FLAT_RSS_MB = 3.0
# Issue 16's goals, as ratios of CPU time.
PLAIN_LIST_LIMIT = 1.25
FAST_LIST_LIMIT = 1.1
POLL_LIMIT = 1.1
SDK_FACTOR = 8.0


@attrs.frozen
class Sizes:
    documents: int
    polls: int
    batches: int
    rounds: int
    repeats: dict[str, int] = attrs.field(factory=dict)
    """Runs of a workload in each worker, the best counted (a watch and a collect run once: their batches finish,
    and a collect is there for its memory)."""

    @property
    def small_documents(self) -> int:
        return self.documents // 5


FULL = Sizes(documents=100_000, polls=5_000, batches=1_000, rounds=5, repeats={"list": 3, "list_small": 5, "poll": 3})
QUICK = Sizes(documents=5_000, polls=500, batches=100, rounds=1)

# Workloads as the table shows them: "list_small" lists N/5 documents (a per-page cost weighs more there, and it
# is the memory check's baseline); "collect" lists N into one list (floor and doctrans_async only).
MEASURED = ("list", "list_small", "collect", "poll", "watch")
COLLECTORS = ("floor", "doctrans_async", "doctrans_stdlib_json")
# The watch schedule: a fixed interval, batches of 1-3 s of simulated (= real) time, all watched at once.
WATCH_INTERVAL = 0.5


def _watch_batches(count: int) -> list[BatchSpec]:
    return [BatchSpec(documents=2, seconds=1.0 + (i % 5) * 0.5) for i in range(count)]


@attrs.frozen
class Measurement:
    contender: str
    workload: str
    round: int
    cpu_s: float
    wall_s: float
    peak_rss_mb: float
    rss_before_mb: float
    items: int
    requests: int


@contextmanager
def _worker(contender: str, wrapper: Sequence[str] = ()) -> Iterator[subprocess.Popen[str]]:
    """A worker process for ``contender``, started under ``wrapper`` (a command prefix such as valgrind's)."""
    process = subprocess.Popen(
        [*wrapper, sys.executable, str(HERE / "worker.py"), contender],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if line != "ready":
            raise RuntimeError(f"worker for {contender} did not start (said {line!r}, exit {process.poll()})")
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()


def _send(process: subprocess.Popen[str], job: Job, repeats: int = 1) -> dict[str, Any]:
    assert process.stdin is not None
    assert process.stdout is not None
    process.stdin.write(json.dumps({**attrs.asdict(job), "repeats": repeats}) + "\n")
    process.stdin.flush()
    line = process.stdout.readline()
    process.wait(timeout=WORKER_TIMEOUT)
    if process.returncode != 0 or not line:
        raise RuntimeError(f"{job.contender}/{job.workload} failed (exit {process.returncode})")
    result: dict[str, Any] = json.loads(line)
    return result


def measure(
    contender: str,
    workload: str,
    round_: int,
    *,
    static: EmulatorInfo,
    sizes: Sizes,
    api_version: str,
) -> Measurement:
    base = {"contender": contender, "endpoint": static.endpoint, "key": static.key, "api_version": api_version}
    with _worker(contender) as process:
        if workload == "watch":
            # Batches progress from the moment they are seeded: seed them only now that the worker is ready.
            with EmulatorProcess(_watch_batches(sizes.batches), page_size=SERVER_PAGE_SIZE) as emulator:
                info = emulator.start()
                job = Job(
                    **{**base, "endpoint": info.endpoint, "key": info.key},
                    workload="watch",
                    batch_ids=info.batches,
                    interval=WATCH_INTERVAL,
                    concurrency=sizes.batches,
                )
                result = _send(process, job)
        else:
            batches = {"list": 0, "collect": 0, "list_small": 1, "poll": 2}
            batch = static.batches[batches[workload]]
            job = Job(
                **base,
                workload="list" if workload == "list_small" else workload,
                batch_ids=(batch,),
                page_size=PAGE_SIZE,
                polls=sizes.polls,
            )
            result = _send(process, job, sizes.repeats.get(workload, 1))
    expected = {
        "list": sizes.documents,
        "collect": sizes.documents,
        "list_small": sizes.small_documents,
        "poll": sizes.polls,
    }
    wanted = expected.get(workload, sizes.batches)
    if result["items"] != wanted:
        raise RuntimeError(f"{contender}/{workload} handled {result['items']} items, expected {wanted}")
    return Measurement(contender=contender, workload=workload, round=round_, **result)


def _median(values: Sequence[float]) -> float:
    return statistics.median(values)


def summarize(measurements: Sequence[Measurement], contenders: Sequence[str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for workload in MEASURED:
        floor_cpu = None
        for contender in contenders:
            ms = [m for m in measurements if m.contender == contender and m.workload == workload]
            if not ms:
                continue
            # The least-disturbed round: on a shared machine, interference only ever adds CPU time (the
            # standard library's timeit reasons the same way); the median is kept beside it, for the spread.
            cpu = min(m.cpu_s for m in ms)
            if contender == "floor":
                floor_cpu = cpu
            rows.append(
                {
                    "workload": workload,
                    "contender": contender,
                    "rounds": len(ms),
                    "cpu_s": cpu,
                    "cpu_median_s": _median([m.cpu_s for m in ms]),
                    "wall_s": _median([m.wall_s for m in ms]),
                    "peak_rss_mb": _median([m.peak_rss_mb for m in ms]),
                    "rss_before_mb": _median([m.rss_before_mb for m in ms]),
                    "requests": int(_median([m.requests for m in ms])),
                    "items": ms[0].items,
                    "cpu_vs_floor": cpu / floor_cpu if floor_cpu else None,
                    # Watch request counts differ between contenders: a slower client fits fewer polls into a
                    # batch's run on the same fixed schedule, and doctrans_async's streams coalesce batches.
                    "cpu_us_per_request": min(1e6 * m.cpu_s / m.requests for m in ms if m.requests),
                }
            )
    return rows


def targets(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Issue 16's goals, each with its measured value and whether it is met."""
    cpu = {(r["workload"], r["contender"]): r["cpu_s"] for r in rows}
    rss = {(r["workload"], r["contender"]): r["peak_rss_mb"] for r in rows}
    checks: list[dict[str, Any]] = []

    def ratio(workload: str, a: str, b: str) -> float | None:
        if (workload, a) in cpu and (workload, b) in cpu and cpu[(workload, b)] > 0:
            return cpu[(workload, a)] / cpu[(workload, b)]
        return None

    def at_most(workload: str, contender: str, limit: float) -> None:
        value = ratio(workload, contender, "floor")
        if value is not None:
            target = f"{workload}: {contender} CPU <= {limit}x floor"
            checks.append({"target": target, "value": value, "met": value <= limit})

    for workload in ("list", "list_small"):
        at_most(workload, "doctrans_stdlib_json", PLAIN_LIST_LIMIT)
        at_most(workload, "doctrans_async", FAST_LIST_LIMIT)
    for contender in OURS:
        at_most("poll", contender, POLL_LIMIT)
    for workload in ("list", "list_small", "poll"):
        for contender in OURS:
            value = ratio(workload, "official_sdk", contender)
            if value is not None:
                target = f"{workload}: official_sdk CPU >= {SDK_FACTOR:g}x {contender}"
                checks.append({"target": target, "value": value, "met": value >= SDK_FACTOR})
    for contender in (*OURS, "floor"):
        if ("list", contender) in rss and ("list_small", contender) in rss:
            growth = rss[("list", contender)] - rss[("list_small", contender)]
            checks.append(
                {
                    "target": f"memory: {contender} streaming, peak RSS flat from N/5 to N documents "
                    f"(<= {FLAT_RSS_MB} MB more)",
                    "value": growth,
                    "met": growth <= FLAT_RSS_MB,
                }
            )
    return checks


OURS = ("doctrans_async", "doctrans_stdlib_json")


def issue_table(rows: Sequence[dict[str, Any]], sizes: Sizes) -> str:
    """Issue 16's table: each workload's CPU as a ratio to the floor's, and memory streaming against collecting."""
    by = {(r["workload"], r["contender"]): r for r in rows}

    def vs_floor(workload: str, contender: str) -> str:
        row, floor = by.get((workload, contender)), by.get((workload, "floor"))
        if row is None or floor is None:
            return ""
        # A watch is compared whole: doctrans_async asks about up to 25 batches per request (its poll streams
        # coalesce), so its CPU per request is not the floor's kind of request (the detailed table has both).
        return f"{row['cpu_s'] / floor['cpu_s']:.2f} x"

    work = {
        "list_small": f"list {sizes.small_documents:,} document statuses",
        "list": f"list {sizes.documents:,} document statuses",
        "poll": f"{sizes.polls:,} status polls",
        "watch": f"watch {sizes.batches:,} batches at once, until all are done",
    }
    goals = {
        "list_small": f"<= {PLAIN_LIST_LIMIT} / <= {FAST_LIST_LIMIT} / >= {SDK_FACTOR:g}x ours",
        "list": f"<= {PLAIN_LIST_LIMIT} / <= {FAST_LIST_LIMIT} / >= {SDK_FACTOR:g}x ours",
        "poll": f"<= {POLL_LIMIT} / <= {POLL_LIMIT} / >= {SDK_FACTOR:g}x ours",
        "watch": "",
    }
    lines = [
        "| work | plain install | `[fast]` (orjson) | official SDK | goal (plain / fast / SDK) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for workload, label in work.items():
        cells = [vs_floor(workload, c) for c in ("doctrans_stdlib_json", "doctrans_async", "official_sdk")]
        if any(cells):
            lines.append(f"| {label} | {' | '.join(cells)} | {goals[workload]} |")

    def growth(workload: str, contender: str) -> str:
        big, small = by.get((workload, contender)), by.get(("list_small", contender))
        return "" if big is None or small is None else f"{big['peak_rss_mb'] - small['peak_rss_mb']:+.1f} MB"

    memory = [
        f"| {contender} | {growth('list', contender)} | {growth('collect', contender)} |"
        for contender in COLLECTORS
        if ("list_small", contender) in by
    ]
    if memory:
        lines += [
            "",
            f"| peak RSS, {sizes.documents:,} documents against {sizes.small_documents:,} | streamed | collected |",
            "| --- | --- | --- |",
            *memory,
        ]
    return "\n".join(lines)


def render(rows: Sequence[dict[str, Any]], checks: Sequence[dict[str, Any]], sizes: Sizes) -> str:
    labels = {
        "list": f"list {sizes.documents:,} docs",
        "list_small": f"list {sizes.small_documents:,} docs",
        "collect": f"collect {sizes.documents:,} docs",
        "poll": f"{sizes.polls:,} polls",
        "watch": f"watch {sizes.batches:,} batches",
    }
    header = ("workload", "contender", "CPU s", "median", "x floor", "wall s", "peak RSS MB", "requests", "CPU us/req")
    lines = [header]
    for r in rows:
        vs = "" if r["cpu_vs_floor"] is None else f"{r['cpu_vs_floor']:.2f}"
        lines.append(
            (
                labels[r["workload"]],
                r["contender"],
                f"{r['cpu_s']:.3f}",
                f"{r['cpu_median_s']:.3f}",
                vs,
                f"{r['wall_s']:.2f}",
                f"{r['peak_rss_mb']:.1f}",
                f"{r['requests']:,}",
                f"{r['cpu_us_per_request']:.0f}",
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for n, line in enumerate(lines):
        cells = [c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths, strict=True))]
        out.append("  ".join(cells))
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    out.append("")
    for check in checks:
        mark = "met" if check["met"] else "MISSED"
        unit = " MB" if check["target"].startswith("memory") else "x"
        out.append(f"[{mark}] {check['target']}: {check['value']:.2f}{unit}")
    return "\n".join(out)


def chosen(listed: str, known: Sequence[str], what: str) -> list[str]:
    """The names of a comma-separated option, each checked against ``known`` (a ``what``: contender, workload)."""
    names = [name for name in listed.split(",") if name]
    for name in names:
        if name not in known:
            raise SystemExit(f"unknown {what} {name!r}; known: {', '.join(known)}")
    return names


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small sizes, one round (a smoke run)")
    p.add_argument("--rounds", type=int, help="interleaved rounds (default 3, or 1 with --quick)")
    p.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"write results here (default {DEFAULT_JSON})")
    p.add_argument("--contenders", default=",".join(CONTENDERS), help="comma-separated subset of contenders")
    p.add_argument("--workloads", default=",".join(MEASURED), help="comma-separated subset of workloads")
    p.add_argument("--api-version", default=DEFAULT_API_VERSION, help="API version every contender speaks")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = QUICK if args.quick else FULL
    if args.rounds is not None:
        sizes = attrs.evolve(sizes, rounds=args.rounds)
    contenders = chosen(args.contenders, CONTENDERS, "contender")
    workloads = chosen(args.workloads, MEASURED, "workload")
    notes: list[str] = []
    if "official_sdk" in contenders and not sdk_available():
        contenders.remove("official_sdk")
        notes.append(
            "official_sdk skipped: azure.ai.translation.document is not importable "
            "(pip install azure-ai-translation-document)"
        )
    for note in notes:
        print(f"note: {note}", file=sys.stderr)

    started = time.perf_counter()
    static_batches = [
        BatchSpec(sizes.documents, 0.5),  # the listing, finished before anyone lists it
        BatchSpec(sizes.small_documents, 0.5),  # the small listing, and the memory check's baseline
        BatchSpec(100, 86_400.0),  # the polled batch: Running all day, as a batch being watched is
    ]
    measurements: list[Measurement] = []
    with EmulatorProcess(static_batches, page_size=SERVER_PAGE_SIZE) as emulator:
        static = emulator.start()
        time.sleep(1.0)  # let the listed batches finish, so every round lists the same documents
        for round_ in range(1, sizes.rounds + 1):
            for workload in workloads:
                for contender in contenders:
                    if workload == "collect" and contender not in COLLECTORS:
                        continue
                    m = measure(contender, workload, round_, static=static, sizes=sizes, api_version=args.api_version)
                    measurements.append(m)
                    print(
                        f"round {round_}/{sizes.rounds} {workload:<10} {contender:<15} "
                        f"cpu {m.cpu_s:7.3f}s  wall {m.wall_s:7.2f}s  rss {m.peak_rss_mb:6.1f}MB  "
                        f"requests {m.requests}",
                        file=sys.stderr,
                        flush=True,
                    )

    rows = summarize(measurements, contenders)
    checks = targets(rows)
    print(render(rows, checks, sizes))
    print()
    print(issue_table(rows, sizes))
    for note in notes:
        print(f"note: {note}")
    report = {
        "mode": "quick" if args.quick else "full",
        "sizes": attrs.asdict(sizes),
        "api_version": args.api_version,
        "page_size": PAGE_SIZE,
        "server_page_size": SERVER_PAGE_SIZE,
        "watch": {
            "interval_s": WATCH_INTERVAL,
            "batch_seconds": sorted({b.seconds for b in _watch_batches(5)}),
            "schedule": "poll; while not terminal: sleep interval, poll (all contenders)",
        },
        "python": sys.version,
        "platform": platform.platform(),
        "notes": notes,
        "summary": rows,
        "targets": checks,
        "measurements": [attrs.asdict(m) for m in measurements],
        "elapsed_s": time.perf_counter() - started,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
