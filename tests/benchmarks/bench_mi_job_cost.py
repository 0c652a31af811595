"""What PROTOCOL §9's scores add to the default run, measured through the main track's own jobs.

    python tests/benchmarks/bench_mi_job_cost.py [--mechanisms mcar,mar] [--rates 0.2] [--seeds 0]

Plans the default run (quick profile, the four default datasets, the nine classical imputers, both
settings) on the given slice of its grid and runs every job twice in this process, one thread, CPU
seconds (``process_time``: the machine is shared): once as shipped, once with the §9 pieces switched
off (the in-sample job's draws and inference, and the energy distance and correlation error of every
job). Prints the overhead in all and per setting, dataset and imputer, as markdown.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import contextlib  # noqa: E402
import time  # noqa: E402
from unittest import mock  # noqa: E402

import pandas as pd  # noqa: E402

from imputebench.harness.job import RunContext, run_job  # noqa: E402
from imputebench.harness.runner import RunConfig, plan  # noqa: E402

NAN = float("nan")


def section9_off() -> contextlib.ExitStack:
    stack = contextlib.ExitStack()
    stack.enter_context(mock.patch("imputebench.tracks.main.draws.draw_and_infer", lambda *a, **k: {}))
    stack.enter_context(mock.patch("imputebench.protocol.distribution_metrics.distribution_metrics",
                                   lambda *a, **k: {"energy_distance": NAN, "corr_error": NAN}))
    return stack


def cpu_seconds(job, switch) -> float:
    with switch():
        t0 = time.process_time()
        row = run_job(job, RunContext(run_id="cost"), None).row
        spent = time.process_time() - t0
    if row["status"] != "ok":
        raise SystemExit(f"{job.imputer} on {job.dataset}: {row['status']} {row.get('error')}")
    return spent


def overhead_table(df: pd.DataFrame, by: str) -> str:
    g = df.groupby(by, sort=False)[["with", "without"]].sum()
    lines = [f"| {by} | CPU s without §9 | with | overhead |", "|---|---|---|---|"]
    lines += [f"| {k} | {r.without:.1f} | {r['with']:.1f} | {100 * (r['with'] / r.without - 1):+.1f} % |"
              for k, r in g.iterrows()]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mechanisms", default="mcar,mar")
    parser.add_argument("--rates", default="0.2")
    parser.add_argument("--seeds", default="0")
    args = parser.parse_args()
    cfg = RunConfig(mechanisms=args.mechanisms.split(","), rates=[float(r) for r in args.rates.split(",")],
                    seeds=[int(s) for s in args.seeds.split(",")], results_dir="unused", profile="quick")
    jobs = plan(cfg).jobs
    for job in jobs[:4]:  # tables and imports loaded before anything is timed
        run_job(job, RunContext(run_id="warm"), None)
    rows = []
    for job in jobs:  # off first, then on: the same caches for both
        without = cpu_seconds(job, section9_off)
        rows.append({"setting": job.setting, "dataset": job.dataset, "imputer": job.imputer,
                     "without": without, "with": cpu_seconds(job, contextlib.nullcontext)})
    df = pd.DataFrame(rows)
    total = df[["with", "without"]].sum()
    print(f"{len(df)} jobs: {total['without']:.1f} CPU s without §9, {total['with']:.1f} with: "
          f"{100 * (total['with'] / total['without'] - 1):+.1f} %\n")
    for by in ("setting", "dataset", "imputer"):
        print(overhead_table(df, by) + "\n")


if __name__ == "__main__":
    main()
