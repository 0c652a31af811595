"""Harness benchmarks (issue 8): throughput, overhead, cache hits, and scaling with rows.

    python tests/benchmarks/bench_harness.py                       # available classical imputers
    python tests/benchmarks/bench_harness.py --imputers mean,median --executors local,ray

Measures, on the embedded default run (``RunConfig()``: profile quick, the 4 built-in datasets):

- jobs per hour with 1 and 2 workers, and the speed-up;
- the harness overhead share (:attr:`RunSummary.overhead_share`: wall time minus summed imputer time,
  over wall time);
- the cache-hit re-run time (the same run again on the same results directory: every job skipped);
- the total time of one job (mask, fit, transform, output check, metrics) as the table grows to
  1k, 5k and 20k rows, per imputer, on a generated mixed table.

Writes tests/benchmarks/harness.md. Timings on a shared machine are noisy: every figure is written
beside the 1-minute load average before and after it was taken, and the machine's core count.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from imputebench.harness.executors import init_worker
from imputebench.imputer import validate_output
from imputebench.protocol.masks import apply_mask, draw_mask, job_rng, job_seed
from imputebench.protocol.metrics import imputation_metrics
from imputebench.registry import CLASSICAL, make_imputer, resolve
from imputebench.harness.runner import RunConfig, RunSummary, run

HERE = Path(__file__).resolve().parent
ROWS = (1000, 5000, 20000)


@dataclass
class Measured:
    seconds: float
    load_before: float
    load_after: float

    @property
    def load(self) -> str:
        return f"{self.load_before:.1f} → {self.load_after:.1f}"


def measure(fn: Callable[[], object]) -> tuple[object, Measured]:
    before = os.getloadavg()[0]
    t0 = time.perf_counter()
    out = fn()
    return out, Measured(time.perf_counter() - t0, before, os.getloadavg()[0])


def default_run(imputers: list[str], workers: int, results: Path, executor: str) -> RunSummary:
    """The embedded default run (issue 2) with these imputers."""
    return run(RunConfig(imputers=imputers, jobs=workers, results_dir=results, executor=executor, progress=False))


def synthetic_table(n_rows: int, seed: int = 0) -> pd.DataFrame:
    """A mixed table with structure to impute: 8 numeric columns from 3 latent factors plus noise,
    2 categorical ones cut from latent scores (so they depend on the numeric columns)."""
    rng = np.random.default_rng(seed)
    factors = rng.normal(size=(n_rows, 3))
    numeric = factors @ rng.normal(size=(3, 8)) + 0.3 * rng.normal(size=(n_rows, 8))
    X = pd.DataFrame(numeric, columns=[f"x{i}" for i in range(8)])
    for j, levels in enumerate(("abc", "pqrs")):
        score = factors @ rng.normal(size=3) + 0.5 * rng.normal(size=n_rows)
        codes = np.digitize(score, np.quantile(score, np.linspace(0, 1, len(levels) + 1)[1:-1]))
        X[f"c{j}"] = pd.Categorical.from_codes(codes, categories=list(levels))
    return X


def time_one_job(X: pd.DataFrame, imputer: str) -> dict[str, float]:
    """One in-sample job's pieces as :func:`imputebench.harness.job.run_job` runs them (PROTOCOL §2-§5)."""
    name = f"synthetic{len(X)}"
    t0 = time.perf_counter()
    mask = draw_mask(X, "mcar", 0.2, job_rng(name, "mcar", 0.2, 0))
    X_masked = apply_mask(X, mask)
    info = resolve(imputer).info
    est = make_imputer(imputer, info.params_for("quick") if info else {},
                       random_state=job_seed(name, "mcar", 0.2, 0) % (2 ** 31))
    t1 = time.perf_counter()
    est.fit(X_masked)
    out = est.transform(X_masked)
    t2 = time.perf_counter()
    validate_output(X_masked, out)
    imputation_metrics(X, out, mask)
    t3 = time.perf_counter()
    return {"total": t3 - t0, "imputer": t2 - t1}


def table(header: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def worker_overhead_share(summary: RunSummary, workers: int) -> float:
    """Overhead as a share of the worker time paid for: 1 - summed fit+transform time / (wall x workers).

    With one worker this is :attr:`RunSummary.overhead_share`; with more, that property compares summed
    imputer time (which grows with workers) to one wall clock and reads 0.
    """
    return max(0.0, 1.0 - summary.imputer_seconds / (summary.wall_seconds * workers))


def throughput_section(imputers: list[str], executors: list[str], worker_counts: list[int], workdir: Path) -> str:
    rows = []
    for executor in executors:
        jph = {}
        for workers in worker_counts:
            results = workdir / f"{executor}-{workers}"
            summary, m = measure(lambda: default_run(imputers, workers, results, executor))
            ran = sum(summary.statuses.values())
            jph[workers] = ran / summary.wall_seconds * 3600
            speedup = f"{jph[workers] / jph[worker_counts[0]]:.2f}x" if workers != worker_counts[0] else ""
            rows.append([executor, workers, ran, f"{summary.wall_seconds:.1f}", f"{summary.imputer_seconds:.1f}",
                         f"{jph[workers]:,.0f}", speedup, f"{worker_overhead_share(summary, workers):.0%}", m.load])
            print(f"{executor} x{workers}: {summary.line()}; imputer {summary.imputer_seconds:.1f} s; "
                  f"overhead {worker_overhead_share(summary, workers):.0%}", flush=True)
        workers = worker_counts[-1]
        again, m = measure(lambda: default_run(imputers, workers, workdir / f"{executor}-{workers}", executor))
        assert again.skipped == again.planned, "the re-run should find every job in the store"
        rows.append([executor, f"{workers} (cache hit)", 0, f"{again.wall_seconds:.2f}", "", "", "", "", m.load])
        print(f"{executor} cache hit: {again.line()}", flush=True)
    head = ["executor", "workers", "jobs run", "wall s", "fit+transform s", "jobs/hour", "speed-up",
            "overhead share", "load avg"]
    return table(head, rows)


def scaling_section(imputers: list[str], rows_grid: tuple[int, ...], budget_s: float) -> str:
    """Per imputer and table size; a size is skipped once the previous one took over ``budget_s``."""
    init_worker([])  # one thread, as in every worker (numbers and times comparable to the runner's)
    warnings.simplefilter("ignore")  # convergence chatter of quick-profile solvers; timings only here
    out = []
    for imputer in imputers:
        cells, last = [], 0.0
        for n in rows_grid:
            if last > budget_s:
                cells.append(f"skipped (previous size took {last:.0f} s)")
                continue
            X = synthetic_table(n)
            t, m = measure(lambda: time_one_job(X, imputer))
            last = t["total"]
            cells.append(f"{t['total']:.2f} s (imputer {t['imputer']:.2f} s; load {m.load})")
            print(f"scaling {imputer} {n}: {t['total']:.2f} s", flush=True)
        out.append([imputer, *cells])
    return table(["imputer", *[f"{n:,} rows" for n in rows_grid]], out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--imputers", help="comma-separated (default: the available classical imputers)")
    p.add_argument("--executors", default="local", help="comma-separated: local,ray (default: local)")
    p.add_argument("--workers", default="1,2", help="worker counts for the throughput figure (default: 1,2)")
    p.add_argument("--rows", default=",".join(map(str, ROWS)), help="table sizes for the scaling figure")
    p.add_argument("--budget", type=float, default=300.0, help="skip larger tables once one took this many seconds")
    p.add_argument("--skip-throughput", action="store_true")
    p.add_argument("--skip-scaling", action="store_true")
    p.add_argument("--out", type=Path, default=HERE / "harness.md")
    args = p.parse_args(argv)
    imputers = args.imputers.split(",") if args.imputers else [n for n in CLASSICAL if resolve(n).available]
    missing = [n for n in CLASSICAL if not resolve(n).available]

    sections = [
        "# Harness benchmarks (issue 8)",
        "",
        f"Generated by `python tests/benchmarks/bench_harness.py {' '.join(argv or sys.argv[1:])}` on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {os.cpu_count()} cores, Python "
        f"{platform.python_version()}. Imputers: {', '.join(imputers)}"
        + (f" (not yet available, so not measured: {', '.join(missing)})" if missing and not args.imputers else "")
        + ".",
        "",
        "The machine is shared: `load avg` is the 1-minute load average before → after each figure;"
        " a load above the core count means other people's work was competing for the cores.",
    ]
    with tempfile.TemporaryDirectory(prefix="imputebench-bench-") as tmp:
        if not args.skip_throughput:
            sections += ["", "## Default run: throughput, overhead, cache hit", "",
                         "The embedded default (`RunConfig()`: profile quick, wine, iris, breast_cancer, diabetes;"
                         " 3 mechanisms x 2 rates x 2 seeds x 2 settings per imputer), from an empty results"
                         " directory, then again on the same directory (every job a cache hit). Overhead share:"
                         " worker time (wall x workers) not spent in fit+transform, over worker time: workers'"
                         " start-up, data loading, masks, the downstream XGBoost model, metrics, store writes,"
                         " and idle workers. With one worker it is `RunSummary.overhead_share`.", "",
                         throughput_section(imputers, args.executors.split(","),
                                            [int(w) for w in args.workers.split(",")], Path(tmp))]
    if not args.skip_scaling:
        grid = tuple(int(n) for n in args.rows.split(","))
        sections += ["", "## Scaling with rows (one in-sample job, mcar 0.2, one thread)", "",
                     "Generated mixed table: 8 numeric columns (3 latent factors + noise), 2 categorical"
                     " (3 and 4 levels). Total = mask + fit + transform + output check + metrics.", "",
                     scaling_section(imputers, grid, args.budget)]
    args.out.write_text("\n".join(sections) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
