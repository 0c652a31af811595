"""Benchmark: ``leaderboards()`` (every setting, metric, mechanism and rate: mean rank, rating, intervals).

    python tests/benchmarks/bench_leaderboard.py [--repeat 3] [--old-package DIR]

Stores: the README's default grid (864 rows, 4 datasets: exact bootstrap), the 100,000-row grid of
``bench_site.py`` (25 datasets, 10 imputers, 3% failed or timed out) and the committed reference set
``quick-v1`` (10,032 rows, 22 datasets, 19 imputers). Each is timed in a fresh process (CPU seconds of
the call, the rows built beforehand), this version and, with ``--old-package DIR`` (a previous
version laid out as ``DIR/imputebench``, as for ``bench_site.py``), that one, interleaved.
Prints markdown lines for ``rating.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

TIME_ONE = """
import json, sys, time
sys.path.insert(0, sys.argv[2])
import pandas as pd
from bench_site import DEFAULT, LARGE
from imputebench.reports import leaderboard as lb
from imputebench.reports.synthetic import synthetic_rows
store = sys.argv[1]
if store == "quick-v1":
    rows = pd.read_parquet(sys.argv[3])
else:
    rows = synthetic_rows(**(DEFAULT if store == "default" else LARGE), seed=0)
metrics = [m for m in lb.METRICS if rows[m].notna().any()]
start = time.process_time()
board = lb.leaderboards(rows, metrics)
print(json.dumps({"cpu": time.process_time() - start, "rows": len(rows), "board": len(board)}))
"""


def time_one(store: str, package: str | None) -> dict:
    env = dict(os.environ)
    if package:
        env["PYTHONPATH"] = package
    out = subprocess.run([sys.executable, "-c", TIME_ONE, store, str(ROOT / "tests" / "benchmarks"),
                          str(ROOT / "bench" / "data" / "reference" / "quick-v1.parquet")],
                         env=env, capture_output=True, text=True, check=True, cwd="/")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--old-package", type=Path, default=None)
    parser.add_argument("--stores", nargs="+", default=["default", "quick-v1", "large"])
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} (a shared machine: the ratio "
          "matters more than the seconds)\n")
    print("| store | rows | previous version, CPU s (runs) | this version, CPU s (runs) | ratio |\n|---|---|---|---|---|")
    for store in args.stores:
        times: dict[str, list[float]] = {"old": [], "new": []}
        n_rows = 0
        for _ in range(args.repeat):
            if args.old_package:
                times["old"].append(time_one(store, str(args.old_package))["cpu"])
            result = time_one(store, None)
            times["new"].append(result["cpu"])
            n_rows = result["rows"]
        old = statistics.median(times["old"]) if times["old"] else float("nan")
        new = statistics.median(times["new"])
        print(f"| {store} | {n_rows:,} | {old:.2f} ({', '.join(f'{t:.2f}' for t in times['old'])}) | "
              f"{new:.2f} ({', '.join(f'{t:.2f}' for t in times['new'])}) | {new / old:.2f}x |")


if __name__ == "__main__":
    main()
