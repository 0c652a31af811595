"""Our ``mice`` against R's ``mice`` (predictive mean matching), on the same masks; and a divergence
sweep of ``mice`` over every mirrored catalog dataset at 50% MNAR.

    python tests/benchmarks/bench_mice_vs_r.py [--seeds 0-4] [--out FILE] [--skip-divergence]

1. **Same masks as R.** For each table and seed, the product's mask (PROTOCOL §2, drawn from the
   same (dataset, mechanism, rate, seed) as a run) is applied; the masked table goes to R as CSV
   (``Rscript``; categorical columns as factors, so R picks ``pmm`` / ``logreg`` / ``polyreg`` itself),
   where ``mice(m = 5, maxit = 5, seed = s)`` runs with its defaults and the five completed tables
   are pooled as ours are (per-cell mean, majority category). Our ``mice`` (quick profile) and
   ``mice_linear`` run on the same masked table. Scores are the product's metrics (PROTOCOL §5).
   Without ``Rscript`` on PATH this part is skipped (R is not a project dependency; on Debian
   ``apt-get install r-cran-mice r-cran-nnet``: polyreg needs nnet, which --no-install-recommends leaves out).
2. **Never diverges.** ``imputebench.harness.runner.run`` with ``mice`` and ``mice_linear`` on every catalog
   dataset the mirror (``IMPUTEBENCH_MIRROR``) holds, MNAR 50%, seed 0, in-sample, quick profile rows;
   the largest per-column RMSE on the [0, 1] scale (above 1 is ``diverged``, PROTOCOL §6).

Writes ``tests/benchmarks/mice_vs_r.md``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from imputebench.datasets import load_dataset  # noqa: E402
from imputebench.protocol.masks import apply_mask, draw_mask, job_rng  # noqa: E402
from imputebench.protocol.metrics import imputation_metrics  # noqa: E402
from imputebench.registry import make_imputer, resolve  # noqa: E402
from imputebench.imputer import restore_observed  # noqa: E402
from imputebench.registry.mice import pool_imputations  # noqa: E402

OUT = Path(__file__).with_name("mice_vs_r.md")
# (dataset, mechanism, rate): numeric tables, one with a binary factor (diabetes' sex), one with a
# multi-level factor (heart_cleveland) where the mirror has it.
CASES = [("iris", "mcar", 0.3), ("wine", "mcar", 0.3), ("diabetes", "mcar", 0.3), ("breast_cancer", "mcar", 0.3),
         ("breast_cancer", "mnar", 0.5), ("yeast", "mar", 0.3), ("heart_cleveland", "mcar", 0.3)]
MAX_ROWS = 2000  # the quick profile's row cap
# Where R's remove.lindep bites (columns with variance below 1e-4 in raw units): R is also run without it.
EPS0_DATASETS = ("breast_cancer",)

R_SCRIPT = r"""
suppressPackageStartupMessages(library(mice))
args <- commandArgs(trailingOnly = TRUE)
data <- read.csv(args[1], check.names = FALSE)
factors <- if (nchar(args[4]) > 0) strsplit(args[4], ",")[[1]] else character(0)
for (f in factors) data[[f]] <- factor(data[[f]])
eps <- if (length(args) >= 5) as.numeric(args[5]) else 1e-4  # mice's default eps
imp <- mice(data, m = 5, maxit = 5, seed = as.integer(args[3]), printFlag = FALSE, eps = eps)
for (k in 1:5) write.csv(complete(imp, k), sprintf("%s.%d.csv", args[2], k), row.names = FALSE)
"""


def parse_seeds(text: str) -> list[int]:
    if "-" in text:
        a, b = text.split("-")
        return list(range(int(a), int(b) + 1))
    return [int(s) for s in text.split(",")]


def r_mice(X: pd.DataFrame, seed: int, workdir: Path, eps: float = 1e-4) -> tuple[pd.DataFrame, float]:
    """R mice's five completions of ``X``, pooled as ours; and the wall seconds R took. ``eps`` is
    ``remove.lindep``'s threshold (R's default 1e-4; 0 keeps every predictor)."""
    categorical = [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]
    source, stem, script = workdir / "masked.csv", workdir / "completed", workdir / "mice.R"
    script.write_text(R_SCRIPT)
    # Categories as their codes, so R's factor levels map back one to one.
    coded = X.assign(**{c: X[c].cat.codes.where(X[c].notna()) for c in categorical})
    coded.to_csv(source, index=False)
    start = time.perf_counter()
    done = subprocess.run(["Rscript", str(script), str(source), str(stem), str(seed), ",".join(categorical), str(eps)],
                          check=False, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"R mice failed: {done.stderr.strip()[-500:]}")
    seconds = time.perf_counter() - start
    tables = []
    for k in range(1, 6):
        done = pd.read_csv(f"{stem}.{k}.csv")
        done.columns = X.columns
        for c in categorical:
            done[c] = pd.Categorical.from_codes(done[c].astype(int), dtype=X[c].dtype)
        tables.append(done.set_axis(X.index))
    return restore_observed(X, pool_imputations(tables)), seconds


def ours(name: str, X: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, float]:
    params = resolve(name).info.params_for("quick")
    start = time.perf_counter()
    out = make_imputer(name, params, random_state=seed).fit(X).transform(X)
    return out, time.perf_counter() - start


def compare_with_r(seeds: list[int], mirror: str | None, cache: Path, run_r: bool) -> pd.DataFrame:
    """Rows per (case, seed, who); each case and seed is kept in ``cache`` (CSV) as soon as it is done,
    so an interrupted run resumes and ``run_r=False`` reports what the cache holds."""
    done = pd.read_csv(cache) if cache.exists() else pd.DataFrame(columns=["dataset", "mask", "seed", "who"])
    rows = done.to_dict("records")
    with tempfile.TemporaryDirectory() as tmp:
        # Seeds outermost: an interrupted run still covers every case.
        for seed, (dataset, mechanism, rate) in [(s, c) for s in seeds for c in CASES] if run_r else []:
            try:
                X = load_dataset(dataset, max_rows=MAX_ROWS, mirror=mirror, allow_network=False).X
            except Exception as exc:  # a catalog table the mirror lacks
                print(f"skip {dataset}: {exc}")
                continue
            label = f"{mechanism} {rate:.0%}"
            have = set(done.loc[(done["dataset"] == dataset) & (done["mask"] == label) & (done["seed"] == seed), "who"])
            wanted = ["R mice", "mice", "mice_linear"] + (["R mice eps=0"] if dataset in EPS0_DATASETS else [])
            if not set(wanted) - have:
                continue
            mask = draw_mask(X, mechanism, rate, job_rng(dataset, mechanism, rate, seed))
            Xm = apply_mask(X, mask)
            runs = {}
            for who in (w for w in wanted if w not in have):
                if who.startswith("R mice"):
                    runs[who] = r_mice(Xm, seed, Path(tmp), eps=0.0 if who.endswith("eps=0") else 1e-4)
                else:
                    runs[who] = ours(who, Xm, seed)
            for who, (out, seconds) in runs.items():
                m = imputation_metrics(X, out, mask)
                rows.append({"dataset": dataset, "mask": label, "seed": seed, "who": who,
                             "rmse": m["rmse"], "armse": m["armse"], "seconds": seconds})
            pd.DataFrame(rows).to_csv(cache, index=False)
            done = pd.DataFrame(rows)
            print(dataset, mechanism, seed, {w: round(r["rmse"], 4) for w, r in
                                             zip(runs, rows[-len(runs):])}, flush=True)
    frame = pd.DataFrame(rows)
    return frame[frame["seed"].isin(seeds)]


def divergence_sweep(mirror: str, results: Path) -> pd.DataFrame:
    from imputebench.datasets import CATALOG
    from imputebench.harness.job import DataSource
    from imputebench.harness.runner import RunConfig, run

    names = sorted(n for n in CATALOG if (Path(mirror) / f"{n}.csv").exists())
    cfg = RunConfig(datasets=names, imputers=["mice", "mice_linear"], mechanisms=["mnar"], rates=[0.5],
                    seeds=[0], settings=["in-sample"], results_dir=results, jobs=1, progress=False,
                    source=DataSource(mirror=mirror, allow_network=False))
    return run(cfg).rows


def markdown(frame: pd.DataFrame, floats: dict[str, str]) -> str:
    shown = frame.copy()
    for column, fmt in floats.items():
        if column in shown:
            shown[column] = shown[column].map(lambda v, f=fmt: "n/a" if pd.isna(v) else f.format(v))
    lines = ["| " + " | ".join(map(str, shown.columns)) + " |", "|" + "---|" * len(shown.columns)]
    lines += ["| " + " | ".join(map(str, r)) + " |" for r in shown.itertuples(index=False)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0-4")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--skip-divergence", action="store_true")
    parser.add_argument("--skip-r", action="store_true")
    parser.add_argument("--report-only", action="store_true", help="write the report from what the stores hold")
    parser.add_argument("--results", type=Path, default=Path("results-mice-divergence"),
                        help="stores of both parts (re-running resumes)")
    args = parser.parse_args()
    mirror = os.environ.get("IMPUTEBENCH_MIRROR")
    seeds = parse_seeds(args.seeds)
    parts = [f"# MICE vs R mice\n\nGenerated by `python tests/benchmarks/bench_mice_vs_r.py --seeds {args.seeds}` "
             "on a shared 2-core machine (seconds are wall time with neighbours: indicative only).\n"]
    if shutil.which("Rscript") and not args.skip_r:
        version = subprocess.run(["Rscript", "-e", "cat(as.character(packageVersion('mice')))"],
                                 capture_output=True, text=True).stdout.strip()
        args.results.mkdir(parents=True, exist_ok=True)
        frame = compare_with_r(seeds, mirror, args.results / "r_comparison.csv", run_r=not args.report_only)
        summary = (frame.groupby(["dataset", "mask", "who"], sort=False)
                   .agg(rmse=("rmse", "mean"), rmse_sd=("rmse", "std"), seeds=("rmse", "size")).reset_index())
        wide = frame.pivot_table(index=["dataset", "mask", "seed"], columns="who", values="rmse")
        paired = []
        for reference in ("R mice", "R mice eps=0"):
            diff = (wide["mice"] - wide[reference]).dropna().groupby(level=[0, 1], sort=False)
            paired.append(pd.DataFrame({"against": reference, "ours - R (mean)": diff.mean(), "sd over seeds": diff.std(),
                                        "ours / R": (wide["mice"] / wide[reference]).dropna().groupby(level=[0, 1], sort=False)
                                        .mean()}).reset_index())
        paired = pd.concat(paired, ignore_index=True).dropna(subset=["sd over seeds"])  # one seed: no noise estimate
        paired["within noise"] = (paired["ours - R (mean)"].abs()
                                  <= 2 * paired["sd over seeds"] / np.sqrt(len(seeds))).map({True: "yes", False: "no"})
        parts.append(f"## Same masks as R mice {version} (m = 5, maxit = 5, its default methods)\n\n"
                     f"Seeds {args.seeds}; quick profile rows (at most {MAX_ROWS}); RMSE (mean and sd over seeds) on the masked "
                     "cells, [0, 1]-scaled (PROTOCOL §5); R's five completions pooled as ours (cell mean, "
                     "majority). Both sides impute by random draws, so two runs differ by Monte-Carlo noise "
                     "as well as by mask. `R mice eps=0` turns off R's `remove.lindep`, which drops predictors "
                     "whose variance in raw units is below `eps = 1e-4` (and all predictors of a target whose "
                     "own variance is), and predictors correlated above 0.99 with the target; ours keeps every "
                     "predictor (aliased ones are dropped by the least-squares fit, as `lm.fit` does).\n\n"
                     + markdown(summary, {"rmse": "{:.4f}", "rmse_sd": "{:.4f}"})
                     + "\n\nPaired by mask (our `mice` minus R's RMSE; \"within noise\": the mean difference is "
                       "within two standard errors of the per-seed differences):\n\n"
                     + markdown(paired, {"ours - R (mean)": "{:+.4f}", "sd over seeds": "{:.4f}",
                                         "ours / R": "{:.3f}"}) + "\n")
    else:
        parts.append("No `Rscript` on PATH: the comparison with R mice was skipped.\n")
    if not args.skip_divergence and mirror:
        if args.report_only:
            from imputebench.harness.store import ResultStore

            rows = ResultStore(args.results).load()
            rows = rows[(rows["mechanism"] == "mnar") & (rows["rate"] == 0.5) & (rows["seed"] == 0)]
        else:
            rows = divergence_sweep(mirror, args.results)  # resumes: finished jobs are not re-run
        shown = rows[["dataset", "imputer", "status", "rmse", "armse", "fit_seconds"]].sort_values(["dataset", "imputer"])
        # Pooled RMSE above 1 means some column's RMSE is above 1 (PROTOCOL §6's "diverged").
        shown["RMSE > 1"] = (shown["rmse"] > 1).map({True: "yes", False: "no"})
        parts.append("## Never diverges: every mirrored catalog dataset, MNAR 50%, seed 0, in-sample, quick rows\n\n"
                     "Through `imputebench.harness.runner.run`; status as the store records it (PROTOCOL §6: any "
                     "numeric error above 1 on the [0, 1] scale is `diverged`); "
                     f"{rows['dataset'].nunique()} datasets. `fit_seconds` is wall time on the shared machine.\n\n"
                     + markdown(shown, {"rmse": "{:.4f}", "armse": "{:.4f}", "fit_seconds": "{:.1f}"}) + "\n")
    args.out.write_text("\n".join(parts))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
