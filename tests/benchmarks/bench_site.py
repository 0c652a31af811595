"""Benchmark: render the site for a store of 100,000 job rows (target: under 10 s).

    python tests/benchmarks/bench_site.py [--rows-scale 1.0] [--workers N] [--max-plots N] [--out DIR]

The store: 25 datasets x 10 imputers x 4 mechanisms x 5 rates x 10 seeds x 2 settings = 100,000
rows (3% failed or timed out, some MAR infeasible), with true-vs-imputed samples for the site's
reference jobs. Prints the phases and a markdown line for tests/benchmarks/site_render.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

from imputebench.reports.site import DEFAULT_MAX_PLOTS, build_site
from imputebench.reports.synthetic import synthetic_rows, synthetic_samples

IMPUTERS = ("mean", "median", "knn", "mice", "missforest", "xgbi", "pcai", "softimpute", "em", "gain")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=25)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--max-plots", type=int, default=DEFAULT_MAX_PLOTS)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    rows = synthetic_rows(datasets=[f"dataset_{i:02d}" for i in range(args.datasets)], imputers=IMPUTERS,
                          mechanisms=("mcar", "mar", "mnar", "mnar_logistic"), rates=(0.1, 0.2, 0.3, 0.5, 0.7),
                          seeds=tuple(range(args.seeds)), settings=("in-sample", "downstream"), seed=0)
    with tempfile.TemporaryDirectory() as tmp:
        results = Path(tmp)
        reference = rows[(rows["setting"] == "in-sample") & (rows["mechanism"] == "mcar") & (rows["rate"] == 0.3)
                         & (rows["seed"] == 0)]
        synthetic_samples(reference, results)
        out = args.out or results / "site"

        start, cpu = time.perf_counter(), time.process_time()
        index = build_site(rows, out, None, samples=results, max_plots=args.max_plots, workers=args.workers)
        total, cpu = time.perf_counter() - start, time.process_time() - cpu
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        n_pages = len(list(out.glob("*.html")))

    workers = args.workers if args.workers is not None else min(4, os.cpu_count() or 1)
    print(f"rows: {len(rows)}; pages: {n_pages}; site size: {size / 1e6:.1f} MB; index: {index.name}")
    figures = build_site.last_figures
    waited = build_site.last_timings.get("figures (waiting)", 0.0)
    print(f"total: {total:.2f} s; figures: {figures['drawn']} drawn ({figures['skipped']} over the budget) by "
          f"{workers} workers while the pages were built, {figures['cpu_seconds']:.2f} s of CPU; "
          f"{waited:.2f} s waited for them at the end")
    print("phases (wall s): " + ", ".join(f"{k} {v:.2f}" for k, v in build_site.last_timings.items()))
    print(f"CPU: main process {cpu:.2f} s, figures {figures['cpu_seconds']:.2f} s; "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"| {len(rows)} | {total:.2f} s | {figures['drawn']} figures, {figures['cpu_seconds']:.2f} s CPU, "
          f"{waited:.2f} s waited | {workers} | {os.cpu_count()} CPUs, {platform.processor() or platform.machine()} |")

if __name__ == "__main__":
    main()
