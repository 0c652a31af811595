"""How close can a deep imputer's quick profile come to its paper setting, and at what cost?

    python tests/benchmarks/bench_quick_sweep.py --imputer midae --arm quick \\
        --arm 'epochs=100' --arm 'epochs=100,n_imputations=5' [--datasets ...] [--seeds 0,1,2] \\
        [--results DIR] [--log FILE] [--summarize FILE]

Every arm is the imputer's ``quick`` profile with the named parameters overridden (``quick`` alone:
the profile as shipped); the reference arm is its ``paper`` setting. Each arm runs through the
product's runner on the same tables, rows (quick's row cap), masks and seeds (PROTOCOL §2 masks are a
function of dataset, mechanism, rate and seed), one worker, in-sample, so only the budget differs.
Per arm one JSON line: ARMSE per mask, their geometric-mean ratio to paper's and the worst, and the
CPU seconds of the run (driver and worker, from ``getrusage``; fit seconds in the rows are wall).
``--summarize LOG`` prints the markdown table of a log. The 4 built-in tables are the faithfulness
note's (``profile_faithfulness_all.md``); ``letter`` (2,000 rows under quick's cap) adds the size of
most reference-set tables, where the cost of a profile shows.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import resource  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from imputebench.commands.options import csv_list, param_value  # noqa: E402
from imputebench.harness.config import DEFAULT_DATASETS  # noqa: E402
from imputebench.harness.runner import RunConfig, run  # noqa: E402
from imputebench.protocol.profiles import get_profile  # noqa: E402
from imputebench.registry import resolve  # noqa: E402

from peer_runs import emit, read_runs, add_log_options, summarized  # noqa: E402

QUICK = get_profile("quick")
MASK = ["dataset", "mechanism", "rate", "seed"]


def cpu_now() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def arm_params(imputer: str, arm: str) -> dict[str, object]:
    """``quick``, ``paper`` or ``quick`` with ``k=v,...`` overrides."""
    info = resolve(imputer).info
    if arm == "paper":
        return dict(info.params_for("paper"))
    params = dict(info.params_for("quick"))
    if arm != "quick":
        for item in arm.split(","):
            key, value = item.split("=", 1)
            params[key.strip()] = param_value(value.strip())
    return params


def run_arm(args: argparse.Namespace, arm: str) -> pd.DataFrame:
    """The arm's rows (re-using what its store holds) and the CPU seconds of the run."""
    params = arm_params(args.imputer, arm)
    folder = args.results / args.imputer / arm.replace("=", "-").replace(",", "_")
    cfg = RunConfig(profile="quick", imputers=[args.imputer], datasets=list(args.datasets), seeds=args.seeds,
                    mechanisms=list(args.mechanisms), rates=[0.2], settings=["in-sample"],
                    max_rows=QUICK.max_rows, results_dir=folder, jobs=1, timeout=args.timeout, progress=False,
                    params={args.imputer: params})
    c0, w0 = cpu_now(), time.perf_counter()
    summary = run(cfg)
    rows = summary.rows
    rows = rows[rows["status"] == "ok"].drop_duplicates(MASK, keep="last")
    return rows.assign(cpu=cpu_now() - c0, wall=time.perf_counter() - w0, ran=sum(summary.statuses.values()))


def record(args: argparse.Namespace, arm: str, rows: pd.DataFrame, paper: pd.DataFrame) -> dict:
    both = rows.set_index(MASK)["armse"].to_frame("arm").join(paper.set_index(MASK)["armse"].rename("paper"),
                                                              how="inner")
    ratio = np.log(both["arm"] / both["paper"])
    return {"imputer": args.imputer, "arm": arm, "masks": int(len(both)),
            "ratio_to_paper": round(float(np.exp(ratio.mean())), 4), "worst": round(float(np.exp(ratio.max())), 4),
            "armse": round(float(both["arm"].mean()), 5),
            "cpu_s": round(float(rows["cpu"].iloc[0]), 1) if int(rows["ran"].iloc[0]) == len(rows) else None,
            "fit_wall_s": round(float(rows["fit_seconds"].sum()), 1),
            "per_dataset": {d: round(float(np.exp(ratio.xs(d, level="dataset").mean())), 3)
                            for d in both.index.get_level_values("dataset").unique()},
            "load": round(os.getloadavg()[0], 1), "at": time.strftime("%Y-%m-%dT%H:%M")}


def summarize(log: Path) -> str:
    runs: dict[tuple[str, str], dict] = {}
    for r in read_runs(log):  # an arm run again re-uses its store: keep its first line, which ran the jobs
        runs.setdefault((r["imputer"], r["arm"]), r)
    lines = ["| imputer | arm | masks | ARMSE quick/paper (geo. mean) | worst mask | mean ARMSE | run CPU s | "
             "sum of fit wall s | per dataset |", "|---|---|---|---|---|---|---|---|---|"]
    for r in runs.values():
        per = ", ".join(f"{d} {v:.2f}" for d, v in r["per_dataset"].items())
        lines.append(f"| {r['imputer']} | `{r['arm']}` | {r['masks']} | {r['ratio_to_paper']:.3f} | {r['worst']:.3f} | "
                     f"{r['armse']:.4f} | {r['cpu_s'] if r['cpu_s'] is not None else 'stored'} | {r['fit_wall_s']} | {per} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--imputer")
    ap.add_argument("--arm", action="append", default=[])
    ap.add_argument("--datasets", type=csv_list, default=list(DEFAULT_DATASETS))
    ap.add_argument("--mechanisms", type=csv_list, default=["mcar"])
    ap.add_argument("--seeds", type=lambda s: [int(x) for x in s.split(",")], default=[0, 1, 2])
    ap.add_argument("--timeout", type=float, default=1800.0)
    ap.add_argument("--results", type=Path, default=Path("results-quick-sweep"))
    add_log_options(ap)
    args = ap.parse_args()
    if summarized(args, summarize):
        return
    paper = run_arm(args, "paper")
    emit(record(args, "paper", paper, paper), args.log)
    for arm in args.arm:
        emit(record(args, arm, run_arm(args, arm), paper), args.log)


if __name__ == "__main__":
    main()
