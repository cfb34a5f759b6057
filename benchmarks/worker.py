"""One contender, one workload, in a fresh process: ``python benchmarks/worker.py`` (driven by ``run.py``).

A fresh process per measurement makes peak RSS the contender's own (nothing left over from another contender or
round) and keeps import time out of the CPU figure: the worker imports everything, says ``ready`` on stdout, then
reads the job (one JSON line on stdin) and answers one JSON line with its figures. The runner seeds time-sensitive
batches only after ``ready``, so a slow import never eats into a batch's simulated run.
"""

from __future__ import annotations

import asyncio
import gc
import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from contenders import RUNNERS, Job, preload


def _peak_rss_mb() -> float:
    # VmHWM belongs to this process's own address space. ru_maxrss is no good here: Linux carries it over from
    # the parent across fork+exec, so every worker would report at least the runner's own peak.
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    # Elsewhere: KiB on Linux, bytes on macOS (over-reported there; the figures are meant for Linux).
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> int:
    contender = sys.argv[1]
    preload(contender)
    gc.collect()
    rss_before = _peak_rss_mb()
    print("ready", flush=True)
    fields = json.loads(sys.stdin.readline())
    repeats = int(fields.pop("repeats", 1))
    job = Job(**{**fields, "batch_ids": tuple(fields["batch_ids"])})
    runner = RUNNERS[(job.contender, job.workload)]
    # The job runs `repeats` times, each on a fresh client and connection; its figure is the least-disturbed
    # run (the machine's speed wanders from one second to the next), the work checked on the first.
    runs: list[tuple[float, float]] = []
    result: dict[str, int] | None = None
    for _ in range(repeats):
        cpu0, wall0 = time.process_time(), time.perf_counter()
        outcome = asyncio.run(runner(job))
        runs.append((time.process_time() - cpu0, time.perf_counter() - wall0))
        result = outcome if result is None else result
    assert result is not None, "repeats must be at least 1"
    cpu, wall = min(runs)
    print(
        json.dumps(
            {
                **result,
                "cpu_s": cpu,
                "wall_s": wall,
                "peak_rss_mb": _peak_rss_mb(),
                "rss_before_mb": rss_before,
            }
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
