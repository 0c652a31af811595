"""MissForest at its reference settings against scikit-learn's IterativeImputer(ExtraTrees) recipe.

    python tests/benchmarks/bench_missforest.py [--rows 20000] [--jobs 2] [--out FILE]

Needs the dataset mirror (``IMPUTEBENCH_MIRROR``) for Letter (20,000 x 16). One MCAR mask at 20 %
(seed 0); in-sample (fit + transform on the same table). One after the other in one run, each in a
fresh child process (so its peak resident memory is its own):

- ``missforest``, ``paper`` profile (100 fully grown trees, ``max_features="sqrt"``, up to 10
  sweeps with missForest's stopping rule), one thread: now, and with the forests kept as before
  (every forest of the kept and of the current sweep held: the code before the bounded-memory
  change, reproduced by swapping :class:`RebuildableForest` for the bare forest);
- the same with ``n_jobs=--jobs`` (trees grown in parallel threads; same result);
- ``IterativeImputer(ExtraTreesRegressor(n_estimators=20), max_iter=5)``, one thread.

Reports CPU seconds (``process_time``, this process and its threads), wall seconds, peak resident
memory above the child's start, sweeps, RMSE on masked cells (PROTOCOL §5) and time ratios to the
recipe. Writes ``tests/benchmarks/missforest.md``. The machine is shared: read the wall times with
the load average beside them; CPU ratios are the steadier figure.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"  # one BLAS thread everywhere; tree threads come from n_jobs only

import argparse  # noqa: E402
import multiprocessing  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

OUT = Path(__file__).with_name("missforest.md")


def scaled_rmse(truth: np.ndarray, guess: np.ndarray, observed: np.ndarray) -> float:
    lo, hi = truth.min(axis=0), truth.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    return float(np.sqrt((((truth - guess) / span)[~observed] ** 2).mean()))


def measure(config: str, rows: int, jobs: int) -> dict[str, Any]:
    """Run one configuration (in a child process) and return its figures."""
    from imputebench.datasets import load_dataset

    X = load_dataset("letter").X.iloc[:rows]
    observed = np.random.default_rng(0).random(X.shape) >= 0.2
    observed[0, ~observed.any(axis=0)] = True
    Xm = X.mask(~observed)
    truth = X.to_numpy(dtype=float)
    if config == "recipe":
        from sklearn.ensemble import ExtraTreesRegressor
        from sklearn.experimental import enable_iterative_imputer  # noqa: F401
        from sklearn.impute import IterativeImputer

        def run() -> tuple[np.ndarray, int]:
            imputer = IterativeImputer(ExtraTreesRegressor(n_estimators=20, n_jobs=1, random_state=0), max_iter=5,
                                       random_state=0)
            return imputer.fit_transform(Xm.to_numpy(dtype=float)), imputer.n_iter_
    else:
        from imputebench.registry import make_imputer, resolve
        from imputebench.registry import missforest as mf_module

        if config == "kept":
            mf_module.RebuildableForest = lambda forest, drop_trees: forest  # the forests kept, as before
        params = {**resolve("missforest").info.params_for("paper"), "n_jobs": jobs if config == "threads" else 1}

        def run() -> tuple[np.ndarray, int]:
            imputer = make_imputer("missforest", params, random_state=0).fit(Xm)
            return imputer.transform(Xm).to_numpy(dtype=float), imputer.n_iter_
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cpu, wall = time.process_time(), time.perf_counter()
    out, sweeps = run()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    peak_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024  # KiB on Linux
    return {"cpu": cpu, "wall": wall, "peak_mb": peak_mb, "sweeps": sweeps,
            "rmse": scaled_rmse(truth, out, observed)}


LABELS = {"now": "missforest paper, 1 thread", "kept": "missforest paper, 1 thread, forests kept (before)",
          "threads": "missforest paper, {jobs} threads",
          "recipe": "IterativeImputer(ExtraTreesRegressor(20 trees), max_iter=5), 1 thread"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--jobs", type=int, default=2, help="threads for the n_jobs row (0 skips it)")
    parser.add_argument("--configs", default="recipe,now,kept,threads")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    context = multiprocessing.get_context("spawn")
    results, loads = {}, {}
    for config in args.configs.split(","):
        if config == "threads" and args.jobs < 2:
            continue
        before = os.getloadavg()[0]
        with context.Pool(1) as pool:
            results[config] = pool.apply(measure, (config, args.rows, args.jobs))
        loads[config] = (before, os.getloadavg()[0])
        r = results[config]
        print(f"{config:8s} cpu {r['cpu']:7.1f}s wall {r['wall']:7.1f}s peak {r['peak_mb']:6.0f} MB "
              f"sweeps {r['sweeps']} rmse {r['rmse']:.4f}", flush=True)
    recipe = results.get("recipe")
    lines = ["| run | CPU s | wall s | CPU / recipe | wall / recipe | peak RSS MB | sweeps | RMSE | load avg |",
             "|---|---|---|---|---|---|---|---|---|"]
    for config, r in results.items():
        ratio_cpu = f"{r['cpu'] / recipe['cpu']:.2f}x" if recipe else ""
        ratio_wall = f"{r['wall'] / recipe['wall']:.2f}x" if recipe else ""
        lines.append(f"| {LABELS[config].format(jobs=args.jobs)} | {r['cpu']:.1f} | {r['wall']:.1f} | {ratio_cpu} | "
                     f"{ratio_wall} | {r['peak_mb']:.0f} | {r['sweeps']} | {r['rmse']:.4f} | "
                     f"{loads[config][0]:.1f} -> {loads[config][1]:.1f} |")
    command = "python tests/benchmarks/bench_missforest.py " + " ".join(sys.argv[1:])
    header = (f"# MissForest at its reference settings\n\nGenerated by `{command}`: Letter, first {args.rows:,} rows "
              f"x 16, MCAR 20 % (seed 0), in-sample, on a shared 2-core machine (other sessions' jobs running; "
              f"load average before -> after each run beside it). Each run in a fresh child process; CPU "
              f"seconds count every thread of it.\n\n")
    args.out.write_text(header + "\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
