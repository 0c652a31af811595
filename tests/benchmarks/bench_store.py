"""The driver's cost per finished job, before and after batched appends, side by side in one process.

- ``one part per row``: what the runner did before (``ResultStore.append([row])`` per finished job;
  workers wrote the samples, so the driver paid rows only).
- ``batched, rows + samples``: what it does now (``RowWriter``: 64 rows or 5 s per part; the driver
  also writes each job's sample of true vs imputed cells, which workers no longer may).
- ``batched, rows only``: the same without samples, to show what the samples cost.

CPU is the driver's own (``time.process_time``), per finished row, median of ``--repeats`` rounds,
each round on a fresh results folder; the final compaction is timed apart. Rows and samples are
copies of a real in-sample job's (mean on iris, 20 % MCAR). Also times planning the default grid:
loading datasets, then drawing its 48 masks in the driver (first run) or reading them (resume).

    python tests/benchmarks/bench_store.py [--rows 500] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")


def real_result():
    from imputebench.harness.job import RunContext, run_job
    from imputebench.harness.runner import RunConfig, plan

    planned = plan(RunConfig(datasets=["iris"], imputers=["mean"], mechanisms=["mcar"], rates=[0.2], seeds=[0],
                             settings=["in-sample"]))
    return run_job(planned.jobs[0], RunContext())


def one_round(mode: str, n: int, result) -> tuple[float, float]:
    from imputebench.harness.store import ResultStore

    with tempfile.TemporaryDirectory() as d:
        store = ResultStore(Path(d))
        t0 = time.process_time()
        if mode == "one part per row":
            for i in range(n):
                store.append([{**result.row, "job_key": f"k{i}"}])
        else:
            with store.writer() as writer:
                for i in range(n):
                    writer.add({**result.row, "job_key": f"k{i}"},
                               result.samples if mode == "batched, rows + samples" else None)
        t1 = time.process_time()
        store.compact()
        t2 = time.process_time()
        assert len(store.load()) == n
    return (t1 - t0) / n * 1000, (t2 - t1) * 1000


def planning() -> list[tuple[str, float]]:
    from imputebench.harness.runner import RunConfig, keep_mask, plan, stored_masks
    from imputebench.tracks.main.job import draw_table_mask
    from imputebench.harness.store import ResultStore

    with tempfile.TemporaryDirectory() as d:
        store = ResultStore(d)
        t0 = time.perf_counter()
        planned = plan(RunConfig())
        t1 = time.perf_counter()
        stored_masks(store, planned.jobs, planned.data)  # first run: none stored, the jobs draw them
        t2 = time.perf_counter()
        first = {j.mask_key: j for j in planned.jobs}
        for key, j in first.items():  # what the workers do, one draw per mask key, timed for scale
            keep_mask(store, key, draw_table_mask(planned.data[j.data_key].X, j))
        t3 = time.perf_counter()
        stored_masks(store, planned.jobs, planned.data)
        t4 = time.perf_counter()
    return [("plan the default grid (864 jobs; datasets loaded, cached)", t1 - t0),
            ("look up its 48 masks in an empty store (first run)", t2 - t1),
            ("draw and store the 48 masks (done by the jobs, in the workers; here in one process)", t3 - t2),
            ("read its 48 stored masks (resume)", t4 - t3)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=500)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    result = real_result()
    modes = ("one part per row", "batched, rows + samples", "batched, rows only")
    per_row = {m: [] for m in modes}
    compaction = {m: [] for m in modes}
    for _ in range(args.repeats):
        for m in modes:  # interleaved, so load changes hit every mode alike
            a, b = one_round(m, args.rows, result)
            per_row[m].append(a)
            compaction[m].append(b)
    base = statistics.median(per_row[modes[0]])
    print(f"load average {os.getloadavg()[0]:.1f}; {args.rows} rows x {args.repeats} rounds\n")
    print("| store path | driver CPU ms per finished row | ratio to before | compaction ms |")
    print("|---|---|---|---|")
    for m in modes:
        med = statistics.median(per_row[m])
        print(f"| {m} | {med:.2f} | {med / base:.2f}x | {statistics.median(compaction[m]):.0f} |")
    print("\n| planning step | seconds |\n|---|---|")
    for what, s in planning():
        print(f"| {what} | {s:.2f} |")


if __name__ == "__main__":
    main()
