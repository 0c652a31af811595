"""Benchmark: the report for the default grid and for a store of 100,000 job rows, every figure drawn.

    python tests/benchmarks/bench_site.py [--store default|large|both] [--repeat 3] [--old-plots FILE]

For each store (written as a real results folder with samples), times:

- ``cold``: ``render_report`` into an empty folder (every page and figure);
- ``unchanged``: ``imputebench report`` as a user runs it when nothing changed (a new process: start-up,
  content hash of the store, nothing re-rendered), and the same check inside this process;
- ``one imputer added``: rows of one more imputer appended, then ``render_report`` (a full rebuild).

``--old-plots FILE``: a previous ``reports/plots.py`` (e.g. ``git show 14ad508:reports/plots.py >
/tmp/old_plots.py``, the matplotlib version) to time the same figures with both, side by side.

``--old-package DIR``: a previous version's package laid out as ``DIR/imputebench`` (``git archive``
of bench, reports, registry and datasets, arranged as setuptools maps them); the cold build of the
same store is then timed with it (its default cap of 40 figures, and every figure) and with this
version, interleaved, each in a fresh process, wall and CPU (figure workers included). Run it from a
folder that holds no ``imputebench`` package (``python -c`` puts the current folder first on the path).

Stores: default = 4 datasets x 9 imputers x 3 mechanisms x 2 rates x 2 seeds x 2 settings (864 rows,
the README's default run); large = 25 datasets x 10 imputers x 4 mechanisms x 5 rates x 10 seeds x
2 settings (100,000 rows, 3% failed or timed out). Prints markdown lines for site_render.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from imputebench.reports import plots
from imputebench.reports.render import render_report, site_is_current
from imputebench.reports.site import build_site
from imputebench.harness.store import ResultStore

TESTS = Path(__file__).resolve().parents[1]  # the generated store (tests/synthetic.py) is test-only code
sys.path.insert(0, str(TESTS))
from synthetic import synthetic_rows, synthetic_samples  # noqa: E402

DEFAULT = dict(datasets=("wine", "iris", "breast_cancer", "diabetes"),
               imputers=("mean", "median", "knn", "mice", "missforest", "xgbi", "pcai", "softimpute", "em"),
               mechanisms=("mcar", "mar", "mnar"), rates=(0.2, 0.5), seeds=(0, 1))
LARGE = dict(datasets=tuple(f"dataset_{i:02d}" for i in range(25)),
             imputers=("mean", "median", "knn", "mice", "missforest", "xgbi", "pcai", "softimpute", "em", "gain"),
             mechanisms=("mcar", "mar", "mnar", "mnar_logistic"), rates=(0.1, 0.2, 0.3, 0.5, 0.7),
             seeds=tuple(range(10)))


def make_store(root: Path, grid: dict, imputers: tuple[str, ...] | None = None, seed: int = 0) -> None:
    rows = synthetic_rows(**{**grid, "imputers": imputers or grid["imputers"]}, seed=seed)
    ResultStore(root).append(rows.to_dict("records"))
    reference = rows[(rows["setting"] == "in-sample") & (rows["seed"] == rows["seed"].min())]
    synthetic_samples(reference, root)


CPU: list[float] = []  # CPU seconds of the last timed call, for the report


def timed(function, *args, **kwargs) -> float:
    start, cpu = time.perf_counter(), time.process_time()
    function(*args, **kwargs)
    CPU.append(time.process_time() - cpu)
    return time.perf_counter() - start


def bench_store(name: str, grid: dict, repeat: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"cold": [], "unchanged (command)": [], "unchanged (check)": [],
                                     "one imputer added": []}
    cpu: dict[str, list[float]] = {"cold": [], "one imputer added": []}
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            results = Path(tmp) / "results"
            make_store(results, grid)
            times["cold"].append(timed(render_report, results))
            cpu["cold"].append(CPU[-1])
            figures = build_site.last_figures  # type: ignore[attr-defined]
            phases = build_site.last_timings  # type: ignore[attr-defined]
            start = time.perf_counter()
            out = subprocess.run([sys.executable, "-m", "imputebench.cli", "report", "--results", str(results)],
                                 capture_output=True, text=True, check=True)
            times["unchanged (command)"].append(time.perf_counter() - start)
            assert "site unchanged" in out.stdout, out.stdout
            times["unchanged (check)"].append(timed(site_is_current, results))
            make_store(results, grid, imputers=("added_imputer",), seed=1)
            times["one imputer added"].append(timed(render_report, results))
            cpu["one imputer added"].append(CPU[-1])
            n_rows = len(ResultStore(results).load())
    print(f"\n{name}: {n_rows} rows after the addition; {figures['drawn']} figures drawn "
          f"({figures['skipped']} left out), {figures['cpu_seconds']:.2f} s of CPU for them")
    print("phases of the last cold build (wall s): " + ", ".join(f"{k} {v:.2f}" for k, v in phases.items()))
    for what, values in times.items():
        used = f"{statistics.median(cpu[what]):.2f} s" if what in cpu else ""
        print(f"| {name} | {what} | {statistics.median(values):.2f} s | {used} | "
              f"{', '.join(f'{v:.2f}' for v in values)} |")
    return times


def compare_plots(old_path: Path) -> None:
    """The same figures drawn by a previous plots.py (matplotlib) and by this one, interleaved."""
    spec = importlib.util.spec_from_file_location("old_plots", old_path)
    old = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(old)
    rows = synthetic_rows(**DEFAULT, seed=0)
    from imputebench.reports import leaderboard as lb

    agg = lb.aggregate(rows)
    part = agg[(agg["dataset"] == "wine") & (agg["setting"] == "in-sample")]
    columns = ["mechanism", "imputer", "rate", "armse_mean", "armse_std"]
    colours = plots.colour_of(DEFAULT["imputers"])
    ranks = rows.groupby("imputer")["armse"].mean().rank()
    figures = {
        "metric_vs_rate": lambda m: m.metric_vs_rate(part[columns], "armse", "ARMSE", colours),
        "cd_diagram": lambda m: m.cd_diagram(ranks, 2.1, ""),
        "rank_vs_rate": lambda m: m.rank_vs_rate(
            part[["mechanism", "rate"]].assign(mean_rank=part["armse_mean"].rank()).drop_duplicates(
                ["mechanism", "rate"]), ""),
    }
    old.rank_vs_rate(part[["mechanism", "rate"]].assign(mean_rank=1.0).head(2), "")  # matplotlib's first figure
    print("\n| figure | matplotlib (previous plots.py) | SVG written directly | ratio |\n|---|---|---|---|")
    for name, draw in figures.items():
        old_t, new_t = [], []
        for _ in range(5):
            start = time.process_time()
            draw(old)
            old_t.append(time.process_time() - start)
            start = time.process_time()
            draw(plots)
            new_t.append(time.process_time() - start)
        o, n = statistics.median(old_t), statistics.median(new_t)
        print(f"| {name} | {1000 * o:.1f} ms | {1000 * n:.2f} ms | {o / n:.0f}x |")


BUILD_ONE = """
import json, resource, sys, tempfile, time
from pathlib import Path
from imputebench.reports.site import build_site
if __name__ == "__main__":
    grid, max_plots = json.loads(sys.argv[1]), json.loads(sys.argv[2])
    sys.path.insert(0, sys.argv[3])  # tests/, for the generated store
    from synthetic import synthetic_rows, synthetic_samples
    rows = synthetic_rows(**grid, seed=0)
    with tempfile.TemporaryDirectory() as tmp:
        synthetic_samples(rows[(rows["setting"] == "in-sample") & (rows["seed"] == 0)], Path(tmp))
        kwargs = {} if max_plots is None else {"max_plots": max_plots}
        before = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        build_site(rows, Path(tmp) / "site", None, samples=Path(tmp), **kwargs)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = sum(a.ru_utime + a.ru_stime - b.ru_utime - b.ru_stime for a, b in zip(after, before))
        figures = len(list((Path(tmp) / "site" / "plots").glob("*.svg")))
    # Figure workers (forked from a forkserver, not children of this process) report their own CPU.
    print(json.dumps({"wall": wall, "cpu": cpu, "figures": figures,
                      "figure_cpu": build_site.last_figures["cpu_seconds"]}))
"""


def compare_versions(old_package: Path, grid: dict, name: str, repeat: int, every_figure: bool = True) -> None:
    """Cold builds of one store by a previous version and by this one, interleaved, fresh processes.
    The previous version's figure workers count in the CPU (from its drawer's own count)."""
    # (label, PYTHONPATH, max_plots, figures drawn in workers whose CPU the process does not see)
    variants = [("previous, default cap (40)", str(old_package), None, True),
                ("previous, every figure", str(old_package), 100_000, True), ("this version", "", None, False)]
    if not every_figure:
        variants.pop(1)
    grid_json = json.dumps({k: list(v) for k, v in grid.items()})
    results: dict[str, list[dict]] = {label: [] for label, *_ in variants}
    in_workers = {label: workers for label, _, _, workers in variants}
    for _ in range(repeat):
        for label, path, max_plots, _ in variants:
            env = {**os.environ, "PYTHONPATH": path} if path else dict(os.environ)
            out = subprocess.run([sys.executable, "-c", BUILD_ONE, grid_json, json.dumps(max_plots), str(TESTS)], env=env,
                                 capture_output=True, text=True, check=True)
            results[label].append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"\n{name}, cold build side by side ({repeat} interleaved rounds)\n"
          "| version | figures | wall, median (runs) | CPU incl. figure workers, median |\n|---|---|---|---|")
    for label, runs in results.items():
        walls = [r["wall"] for r in runs]
        print(f"| {label} | {runs[0]['figures']} | {statistics.median(walls):.2f} s "
              f"({', '.join(f'{w:.2f}' for w in walls)}) | "
              f"{statistics.median(r['cpu'] + (r['figure_cpu'] if in_workers[label] else 0) for r in runs):.2f} s |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=("default", "large", "both"), default="both")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--old-plots", type=Path, default=None)
    parser.add_argument("--old-package", type=Path, default=None)
    parser.add_argument("--compare-only", action="store_true", help="only the side-by-side builds")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} (a shared machine: ratios matter more "
          "than seconds)")
    print("| store | report | wall, median | CPU, median | runs (wall) |\n|---|---|---|---|---|")
    if args.store in ("default", "both") and not args.compare_only:
        bench_store("default grid", DEFAULT, args.repeat)
    if args.store in ("large", "both") and not args.compare_only:
        bench_store("100,000 rows", LARGE, args.repeat)
    if args.old_plots:
        compare_plots(args.old_plots)
    if args.old_package:
        if args.store in ("default", "both"):
            compare_versions(args.old_package, DEFAULT, "default grid", args.repeat)
        if args.store in ("large", "both"):
            # The previous version drawing all ~600 figures of this store takes minutes: its cap only.
            compare_versions(args.old_package, LARGE, "100,000 rows", args.repeat, every_figure=False)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
