"""Does the energy-I-Score (imputebench.protocol.iscore) rank imputers as the truth does? And what does it cost?

    python tests/benchmarks/bench_iscore.py [--draws 10] [--tables iris,wine,...] [--skip-cost] [--out FILE]

1. **Agreement with the truth.** Complete tables (iris, wine, diabetes, breast_cancer from
   scikit-learn; yeast and heart_cleveland from the dataset mirror, ``IMPUTEBENCH_MIRROR``, when it is
   there; a simulated correlated Gaussian table, 500 x 8) are masked by the product's mechanisms
   (``mcar``, ``mar``, ``mnar`` at 20 %, the mask of seed 0 that a run would draw, PROTOCOL §2). Each
   imputer (registry, quick profile; ``mice_draw`` is ``mice`` with ``m=1``, one proper draw instead of
   the pooled mean of five chains) fills the table once. The truth scores that filled table on the
   masked cells: ARMSE (PROTOCOL §5) and the energy distance between the imputed and the true rows
   that had a masked cell (PROTOCOL §9's joint-distribution measure, [0, 1] scale, categories
   one-hot, at most 2,000 rows). The I-Score sees only the masked table and the imputer (same filled
   table, ``--draws`` draws per column, ``random_state=0``). Per table and mechanism: Spearman's rho
   between the I-Score and each truth over the imputers (rho = 1: the same order).
2. **Cost**: CPU seconds of one ``energy_iscore`` call on a 2,000 x 20 Gaussian table at 20 % MAR,
   per imputer (the imputation itself included).
3. **Draws**: on the Gaussian table at MAR, the I-Scores with 10 and with 50 draws (the package's
   default) and the rank correlation between them.
4. **Against the authors' code** (``--iscores-r FILE``: ``R/energy-I-Score.R`` of the R package
   ``Iscores`` 1.2.0, which is not committed here; needs ``Rscript``): its ``energy_Iscore_num`` and
   ``energy_iscore`` score the same masked tables (numeric columns scaled to [0, 1] by their observed
   range beforehand, so both scales agree) with the same deterministic imputer, least squares on the
   complete columns, written once in R and once in Python. Only two names are swapped in the R file
   as it is read, because their packages are not installed here: ``scoringRules::crps_sample`` by the
   formula of its documentation (the mean absolute error of the draws minus half their mean pairwise
   distance) and ``pbmcapply::pbmclapply`` by ``lapply``.

CPU seconds are ``process_time`` on one thread (the machine is shared). Writes
``tests/benchmarks/iscore_validation.md`` and the agreement runs at full precision to
``tests/benchmarks/iscore_validation_runs.csv``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import platform  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy.spatial.distance import cdist  # noqa: E402
from scipy.stats import spearmanr  # noqa: E402

from imputebench.datasets import load_dataset  # noqa: E402
from imputebench.datasets.sources import mirror_dir  # noqa: E402
from imputebench.protocol.iscore import DEFAULT_DRAWS, PAPER_DRAWS, ImputeFn, energy_iscore, imputation_fn  # noqa: E402
from imputebench.protocol.masks import apply_mask, draw_mask, job_rng  # noqa: E402
from imputebench.protocol.metrics import imputation_metrics  # noqa: E402
from imputebench.registry import make_imputer, resolve  # noqa: E402

OUT = Path(__file__).with_name("iscore_validation.md")
MECHANISMS = ("mcar", "mar", "mnar")
RATE = 0.2
BUILTIN_TABLES = ("iris", "wine", "diabetes", "breast_cancer")
MIRROR_TABLES = ("yeast", "heart_cleveland")
SIMULATED = "gaussian"
# name -> (registry name, parameters over the quick profile)
IMPUTERS: dict[str, tuple[str, dict[str, Any]]] = {
    "mean": ("mean", {}), "median": ("median", {}), "knn": ("knn", {}), "em": ("em", {}),
    "softimpute": ("softimpute", {}), "pcai": ("pcai", {}), "mice": ("mice", {}),
    "mice_draw": ("mice", {"m": 1}), "missforest": ("missforest", {}),
}
COST_IMPUTERS = ("mean", "knn", "em", "mice_draw", "mice", "missforest")


def imputer_fn(label: str) -> ImputeFn:
    name, extra = IMPUTERS[label]
    params = {**resolve(name).info.params_for("quick"), **extra}
    return imputation_fn(lambda seed: make_imputer(name, params, random_state=seed))


def gaussian_table(n: int, d: int, seed: int) -> pd.DataFrame:
    """Rows of N(0, S), S a random correlation matrix (Wishart-like, so columns are clearly dependent)."""
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(d, d))
    S = A @ A.T + np.eye(d)
    sd = np.sqrt(np.diag(S))
    return pd.DataFrame(rng.multivariate_normal(np.zeros(d), S / np.outer(sd, sd), size=n),
                        columns=[f"x{i}" for i in range(d)])


def encoded(X: pd.DataFrame, reference: pd.DataFrame) -> np.ndarray:
    """Numeric columns min-max scaled by the complete column, categories one-hot (PROTOCOL §5, §9)."""
    parts = []
    for c in X.columns:
        if isinstance(reference[c].dtype, pd.CategoricalDtype):
            cats = list(reference[c].cat.categories)
            parts.append((X[c].astype(str).to_numpy()[:, None] == np.array(cats, dtype=str)[None, :]).astype(float))
        else:
            lo, hi = float(reference[c].min()), float(reference[c].max())
            parts.append(((X[c].to_numpy(dtype=float) - lo) / (hi - lo if hi > lo else 1.0))[:, None])
    return np.hstack(parts)


def energy_distance(X_true: pd.DataFrame, X_imputed: pd.DataFrame, mask: np.ndarray, seed: int = 0,
                    max_rows: int = 2000) -> float:
    """Energy distance between the imputed and the true rows that had a masked cell."""
    rows = np.flatnonzero(~mask.all(axis=1))
    if rows.size > max_rows:
        rows = np.sort(np.random.default_rng(seed).choice(rows, size=max_rows, replace=False))
    A = encoded(X_imputed.iloc[rows], X_true)
    B = encoded(X_true.iloc[rows], X_true)
    return float(2 * cdist(A, B).mean() - cdist(A, A).mean() - cdist(B, B).mean())


def tables(names: list[str]) -> dict[str, pd.DataFrame]:
    out = {}
    for name in names:
        if name == SIMULATED:
            out[name] = gaussian_table(500, 8, seed=0)
        elif name in MIRROR_TABLES and mirror_dir() is None:
            print(f"skip {name}: no dataset mirror (set IMPUTEBENCH_MIRROR)")
        else:
            out[name] = load_dataset(name, allow_network=False).X
    return out


def agreement(X: pd.DataFrame, dataset: str, mechanism: str, draws: int, skipped_rows: str) -> pd.DataFrame:
    mask = draw_mask(X, mechanism, RATE, job_rng(dataset, mechanism, RATE, 0))
    X_mis = apply_mask(X, mask)
    rows = []
    for label in IMPUTERS:
        impute = imputer_fn(label)
        t0 = time.process_time()
        X_imp = impute(X_mis.copy(), 0)
        t1 = time.process_time()
        result = energy_iscore(X_mis, impute, X_imputed=X_imp, n_draws=draws, skipped_rows=skipped_rows,
                               random_state=0)
        t2 = time.process_time()
        unscored = sum(1 for c in result.columns if not np.isfinite(c.score))
        rows.append({"dataset": dataset, "mechanism": mechanism, "imputer": label,
                     "armse": imputation_metrics(X, X_imp, mask)["armse"],
                     "energy": energy_distance(X, X_imp, mask), "iscore": result.score,
                     "unscored_columns": unscored, "impute_cpu_s": t1 - t0, "iscore_cpu_s": t2 - t1})
    return pd.DataFrame(rows)


def rho(frame: pd.DataFrame, truth: str) -> float:
    ok = frame[np.isfinite(frame["iscore"])]
    return float(spearmanr(ok["iscore"], ok[truth]).statistic) if len(ok) > 2 else float("nan")


def cost_rows() -> list[dict[str, Any]]:
    X = gaussian_table(2000, 20, seed=1)
    X_mis = apply_mask(X, draw_mask(X, "mar", RATE, job_rng("gaussian_2000x20", "mar", RATE, 0)))
    rows = []
    for label in COST_IMPUTERS:
        t0 = time.process_time()
        result = energy_iscore(X_mis, imputer_fn(label), n_draws=DEFAULT_DRAWS, random_state=0)
        rows.append({"imputer": label, "cpu_s": time.process_time() - t0, "iscore": result.score,
                     "draws": max(c.draws for c in result.columns)})
    return rows


def draws_rows(X: pd.DataFrame) -> pd.DataFrame:
    mask = draw_mask(X, "mar", RATE, job_rng(SIMULATED, "mar", RATE, 0))
    X_mis = apply_mask(X, mask)
    rows = []
    for label in IMPUTERS:
        impute = imputer_fn(label)
        X_imp = impute(X_mis.copy(), 0)
        rows.append({"imputer": label, **{f"N={n}": energy_iscore(X_mis, impute, X_imputed=X_imp, n_draws=n,
                                                                 random_state=0).score
                                          for n in (DEFAULT_DRAWS, PAPER_DRAWS)}})
    return pd.DataFrame(rows)


R_DRIVER = r"""
args <- commandArgs(trailingOnly = TRUE)
crps_sample_local <- function(y, dat) {
  dat <- as.matrix(dat)
  sapply(seq_along(y), function(i) mean(abs(dat[i, ] - y[i])) - mean(abs(outer(dat[i, ], dat[i, ], "-"))) / 2)
}
code <- paste(readLines(args[1], warn = FALSE), collapse = "
")
code <- gsub("scoringRules::crps_sample", "crps_sample_local", code, fixed = TRUE)
code <- gsub("pbmcapply::pbmclapply", "lapply", code, fixed = TRUE)
code <- gsub(", mc.cores = n_cores)", ")", code, fixed = TRUE)
eval(parse(text = code))
ols_impute <- function(X) {
  X <- as.data.frame(X)
  V <- as.matrix(X)
  nas <- is.na(V)
  complete <- colSums(nas) == 0
  A <- cbind(1, V[, complete, drop = FALSE])
  for (j in which(!complete)) {
    obs <- !nas[, j]
    coef <- lm.fit(A[obs, , drop = FALSE], V[obs, j])$coefficients
    coef[is.na(coef)] <- 0
    V[!obs, j] <- A[!obs, , drop = FALSE] %*% coef
  }
  X[] <- V
  X
}
X <- read.csv(args[2])
score <- energy_Iscore_num(X, ols_impute, multiple = FALSE)
write.csv(attr(score, "dat"), args[3], row.names = FALSE)
"""


def ols_impute(X: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Each incomplete column by least squares on the complete columns (the mean when there are none);
    deterministic, and the same as the R driver's ``ols_impute``."""
    V = X.to_numpy(dtype=float).copy()
    nan = np.isnan(V)
    complete = ~nan.any(axis=0)
    A = np.column_stack([np.ones(len(V)), V[:, complete]])
    for j in np.flatnonzero(~complete):
        obs = ~nan[:, j]
        V[~obs, j] = A[~obs] @ np.linalg.lstsq(A[obs], V[obs, j], rcond=None)[0]
    return pd.DataFrame(V, index=X.index, columns=X.columns)


def r_rows(r_file: Path, data: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per table, mechanism and column: the R package's column score and ours (same imputer, same mask)."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        driver = Path(tmp) / "driver.R"
        driver.write_text(R_DRIVER)
        for name, X in data.items():
            if any(isinstance(t, pd.CategoricalDtype) for t in X.dtypes):
                continue
            for mechanism in ("mar", "mcar"):
                X_mis = apply_mask(X, draw_mask(X, mechanism, RATE, job_rng(name, mechanism, RATE, 0)))
                X_mis = (X_mis - X_mis.min()) / (X_mis.max() - X_mis.min())
                X_mis.columns = [f"c{k}" for k in range(X.shape[1])]  # names R reads back unchanged
                X_mis.to_csv(Path(tmp) / "X.csv", index=False)
                subprocess.run(["Rscript", str(driver), str(r_file), str(Path(tmp) / "X.csv"),
                                str(Path(tmp) / "out.csv")], check=True, capture_output=True)
                theirs = pd.read_csv(Path(tmp) / "out.csv")
                ours = {p.column: p for p in energy_iscore(X_mis, ols_impute, random_state=0).columns}
                as_package = {p.column: p.score for p in energy_iscore(X_mis, ols_impute, skipped_rows="train",
                                                                       random_state=0).columns}
                for r in theirs.itertuples(index=False):
                    part = ours[X_mis.columns[int(r.column_id) - 1]]
                    # k* fallback: fewer test rows than observed cells (the departure in the module doc)
                    fallback = part.n_test < int(X_mis[part.column].notna().sum())
                    rows.append({"dataset": name, "mechanism": mechanism, "column": part.column,
                                 "fallback": "yes" if fallback else "no", "Iscores": float(r.score),
                                 "ours, as the package": as_package[part.column],
                                 "diff as the package": abs(float(r.score) - as_package[part.column]),
                                 "ours": part.score, "diff": abs(float(r.score) - part.score)})
    return pd.DataFrame(rows)


def markdown(frame: pd.DataFrame, floatfmt: str = ".4f") -> str:
    def cell(v: Any) -> str:
        if isinstance(v, (float, np.floating)):
            return "n/a" if np.isnan(v) else format(v, floatfmt)
        return str(v)

    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + "---|" * len(frame.columns)]
    return "\n".join(lines + ["| " + " | ".join(map(cell, r)) + " |" for r in frame.itertuples(index=False)])


WEAK_RHO = 0.5  # a mean Spearman below this is called weak in the note
READING = "## Reading"  # the note's hand-written section, kept when the figures are regenerated


def agreement_section(results: pd.DataFrame, draws: int) -> list[str]:
    cells = results.groupby(["dataset", "mechanism"], sort=False)
    rhos = pd.DataFrame([{"dataset": d, "mechanism": m, "rho_armse": rho(g, "armse"), "rho_energy": rho(g, "energy")}
                         for (d, m), g in cells])
    per_mech = rhos.groupby("mechanism", sort=False)[["rho_energy", "rho_armse"]].mean().reset_index()
    wide = rhos.pivot(index="dataset", columns="mechanism", values=["rho_armse", "rho_energy"])
    wide = wide[[(t, m) for t in ("rho_energy", "rho_armse") for m in MECHANISMS]]
    wide.columns = [f"{m} vs {t.removeprefix('rho_')}" for t, m in wide.columns]
    ranks = results.assign(
        iscore_rank=cells["iscore"].rank(), armse_rank=cells["armse"].rank(), energy_rank=cells["energy"].rank()
    ).groupby(["mechanism", "imputer"], sort=False)[["iscore_rank", "energy_rank", "armse_rank"]].mean().reset_index()
    weak = {t: ", ".join(f"{r.mechanism} ({getattr(r, t):.2f})" for r in per_mech.itertuples()
                         if getattr(r, t) < WEAK_RHO) or "none" for t in ("rho_energy", "rho_armse")}
    top = results.loc[cells["iscore"].idxmin()].set_index(["dataset", "mechanism"])["imputer"]
    best = {t: results.loc[cells[t].idxmin()].set_index(["dataset", "mechanism"])["imputer"] for t in ("armse", "energy")}
    failed = results[results["unscored_columns"] > 0]
    unscored = ", ".join(f"{r.imputer} on {r.dataset} {r.mechanism}: {r.unscored_columns}" for r in failed.itertuples())
    return [
        (f"{results['dataset'].nunique()} tables x {len(MECHANISMS)} mechanisms at {RATE:.0%} missing (seed 0 masks), "
         f"{results['imputer'].nunique()} imputers, {draws} draws per column. rho is Spearman's rank correlation "
         "over the imputers between the I-Score (lower is better) and the truth (lower is better), so 1 means "
         "the I-Score orders the imputers exactly as the truth does."),
        "",
        "## Spearman's rho between the I-Score and the truth, mean per mechanism",
        "",
        markdown(per_mech, ".2f"),
        "",
        (f"Weak agreement (mean rho below {WEAK_RHO}) with the energy distance: {weak['rho_energy']}; "
         f"with ARMSE: {weak['rho_armse']}."),
        "",
        (f"The I-Score's best imputer is the energy distance's best in {int((top == best['energy']).sum())} of "
         f"{len(top)} table x mechanism cells and ARMSE's best in {int((top == best['armse']).sum())}. "
         f"Columns the I-Score could not score (their imputation failed): {unscored or 'none'}."),
        "",
        "## Per table and mechanism",
        "",
        markdown(wide.reset_index(), ".2f"),
        "",
        "## Mean rank per imputer (1 = best) by each score",
        "",
        markdown(ranks, ".1f"),
        "",
        "## Every run",
        "",
        "CPU seconds: `impute_cpu_s` the imputation being scored, `iscore_cpu_s` the score's own re-imputations.",
        "",
        markdown(results),
        "",
    ]


def cost_section(cost: list[dict[str, Any]]) -> list[str]:
    return [f"## Cost of one call on a 2,000 x 20 Gaussian table at 20 % MAR ({DEFAULT_DRAWS} draws)", "",
            ("CPU seconds of `energy_iscore`, the imputation being scored included; `draws` 1 means the imputer "
            "was found deterministic and each column was fitted twice."), "", markdown(pd.DataFrame(cost), ".3f"), ""]


def draws_section(draws: pd.DataFrame) -> list[str]:
    r = spearmanr(draws[f"N={DEFAULT_DRAWS}"], draws[f"N={PAPER_DRAWS}"]).statistic
    return [f"## {DEFAULT_DRAWS} against {PAPER_DRAWS} draws (gaussian, mar)", "",
            f"Spearman between the two orders: {r:.2f}.", "", markdown(draws), ""]


def r_section(rows: pd.DataFrame) -> list[str]:
    fallback = rows["fallback"] == "yes"
    return ["## Against the authors' R code (Iscores 1.2.0, `energy_Iscore_num`)", "",
            ("Same masks and the same deterministic least-squares imputer on both sides; numeric columns "
            "pre-scaled to [0, 1]. On `fallback` columns no other column is complete on the column's observed "
            "rows (step 1 of the module doc): the package's code adds the rows it then skips to the training "
            "rows, our default leaves them out, and `skipped_rows=\"train\"` does as the package."), "",
            (f"Largest difference with `skipped_rows=\"train\"`: {rows['diff as the package'].max():.1e} over "
            f"{len(rows)} columns. With the default: {rows.loc[~fallback, 'diff'].max():.1e} over the "
            f"{int((~fallback).sum())} columns without the fallback, {rows.loc[fallback, 'diff'].max():.1e} "
            f"over the {int(fallback.sum())} with it."), "", markdown(rows, ".6f"), ""]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=DEFAULT_DRAWS)
    ap.add_argument("--tables", default=",".join((*BUILTIN_TABLES, *MIRROR_TABLES, SIMULATED)))
    ap.add_argument("--skipped-rows", choices=("drop", "train"), default="drop")
    ap.add_argument("--skip-agreement", action="store_true")
    ap.add_argument("--skip-cost", action="store_true")
    ap.add_argument("--skip-draws", action="store_true")
    ap.add_argument("--iscores-r", type=Path, help="R/energy-I-Score.R of the Iscores package, to compare with")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    w0, c0 = time.perf_counter(), time.process_time()
    data = tables(args.tables.split(","))
    lines: list[str] = []
    if not args.skip_agreement:
        parts = []
        for name, X in data.items():
            for mechanism in MECHANISMS:
                t = time.perf_counter()
                parts.append(agreement(X, name, mechanism, args.draws, args.skipped_rows))
                print(f"{name} {mechanism}: {time.perf_counter() - t:.0f} s", flush=True)
        results = pd.concat(parts, ignore_index=True)
        results.to_csv(args.out.with_name(args.out.stem + "_runs.csv"), index=False)  # full precision
        lines += agreement_section(results, args.draws)
    if not args.skip_cost:
        lines += cost_section(cost_rows())
    if not args.skip_draws and SIMULATED in data:
        lines += draws_section(draws_rows(data[SIMULATED]))
    if args.iscores_r is not None:
        if shutil.which("Rscript") is None:
            print("skip the R comparison: no Rscript on PATH")
        else:
            lines += r_section(r_rows(args.iscores_r, data))
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    # The R file lives outside the repository: the note names the file, not where it was.
    shown = [Path(a).name if prev == "--iscores-r" else a for prev, a in zip(["", *sys.argv[1:]], sys.argv[1:])]
    command = " ".join(["python tests/benchmarks/bench_iscore.py", *shown])
    header = ["# Energy-I-Score validation: does its ranking of imputers agree with the truth?", "",
              (f"Generated by `{command}` on {platform.machine()} ({os.cpu_count()} cores, shared with other work), "
              f"Python {platform.python_version()}, one thread: wall {wall / 60:.1f} min, CPU of this process "
              f"{cpu / 60:.1f} min (R, when compared, runs in a child process not counted here)."), ""]
    text = "\n".join(header + lines)
    # The hand-written reading of the figures survives a re-run (re-read it against the new figures).
    previous = args.out.read_text() if args.out.exists() else ""
    if READING in previous:
        text += "\n" + previous[previous.index(READING):]
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
