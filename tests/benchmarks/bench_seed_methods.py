"""Fit time of the seed-paper imputers on Letter (mirror; 20% MCAR), quick and paper profiles (issue 5).

    OMP_NUM_THREADS=1 python tests/benchmarks/bench_seed_methods.py [--methods metagain,...] [--profiles quick,paper]

- quick: the quick profile's hyper-parameters on the quick run's table (Letter capped at 2000 rows,
  PROTOCOL §1 ``max_rows``), timed in full.
- paper: the paper profile on the full table (20000 rows) would take hours on a CPU, so a fixed
  fraction of the work is timed at two sizes and the full fit is extrapolated linearly (the slope
  times the full budget, plus the intercept); the table says what was timed. DiffPuter's figure is an
  upper bound (its training stops early when the loss stalls for 500 epochs).

Wall time and process CPU time are both reported: the machine may be shared, and CPU time is the
less noisy of the two. Writes tests/benchmarks/seed_fit_times.md (merging with rows already there).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from imputebench.datasets import canonicalize, subsample
from imputebench.protocol.masks import apply_mask, draw_mask
from imputebench.protocol.metrics import imputation_metrics
from imputebench.registry import make_imputer, resolve

HERE = Path(__file__).resolve().parent
OUT = HERE / "seed_fit_times.md"
METHODS = ("metagain", "diffputer", "remasker", "hyperimpute")
QUICK_ROWS = 2000


def mirror_dir() -> Path:
    env = os.environ.get("IMPUTEBENCH_MIRROR")
    for cand in ([Path(env)] if env else []) + [HERE.parents[2] / "shared" / "datasets"]:
        if (cand / "letter.csv").exists():
            return cand
    sys.exit("the dataset mirror is absent: set IMPUTEBENCH_MIRROR to the folder that holds letter.csv")


def letter():
    """Letter as a canonical table (PROTOCOL §1) from the mirror's raw CSV."""
    try:  # the loader knows the mirror once the dataset catalog lands
        from imputebench.datasets import load_dataset
        return load_dataset("letter", mirror=str(mirror_dir()))
    except Exception:
        raw = pd.read_csv(mirror_dir() / "letter.csv")
        return canonicalize("letter", raw, target="lettr", target_kind="classification", source="mirror")


class Clock:
    def __enter__(self) -> "Clock":
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def timed_fit(name: str, params: dict, X: pd.DataFrame, y, keep: list | None = None) -> Clock:
    imp = make_imputer(name, {**params, **({"device": "cpu"} if name != "hyperimpute" else {})}, random_state=0)
    with Clock() as c:
        imp.fit(X, y)
    if keep is not None:
        keep.append(imp)
    return c


def armse(X_true: pd.DataFrame, imp, X: pd.DataFrame, mask: np.ndarray) -> float:
    """In-sample ARMSE (PROTOCOL §5) of a fitted imputer."""
    return round(imputation_metrics(X_true, imp.transform(X), mask)["armse"], 4)


def extrapolate(small: Clock, large: Clock, units_small: float, units_large: float, units_full: float):
    """Linear in the units of work: intercept + slope * full."""
    out = []
    for attr in ("wall", "cpu"):
        a, b = getattr(small, attr), getattr(large, attr)
        slope = max(b - a, 0.0) / (units_large - units_small)
        out.append(max(a - slope * units_small, 0.0) + slope * units_full)
    return tuple(out)


def paper_metagain(p: dict, X, y):
    full = p["n_iterations"]
    timed_fit("metagain", {**p, "n_iterations": 5}, X, y)  # warm-up: first-call costs out of the slope
    a, b = timed_fit("metagain", {**p, "n_iterations": 50}, X, y), timed_fit("metagain", {**p, "n_iterations": 250}, X, y)
    return extrapolate(a, b, 50, 250, full), f"50 and 250 of {full} iterations timed; linear in iterations"


def paper_remasker(p: dict, X, y):
    batches = int(np.ceil(len(X) / p["batch_size"]))
    full = p["max_epochs"] * batches
    small, large = X.iloc[: 10 * p["batch_size"]], X.iloc[: 30 * p["batch_size"]]
    timed_fit("remasker", {**p, "max_epochs": 1, "warmup_epochs": 1}, X.iloc[:64], y)  # warm-up
    a = timed_fit("remasker", {**p, "max_epochs": 1, "warmup_epochs": 1}, small, y)
    b = timed_fit("remasker", {**p, "max_epochs": 1, "warmup_epochs": 1}, large, y)
    return extrapolate(a, b, 10, 30, full), f"1 epoch of 10 and of 30 batches timed; {full} batches in full"


def paper_diffputer(p: dict, X, y):
    from imputebench.registry.diffputer import DiffPuterImputer, impute_by_reverse_process
    from imputebench.registry.neural import seeded_generator

    em, epochs = p["n_em_iterations"], p["n_epochs"]
    one = {**p, "n_em_iterations": 1, "patience": None}
    a, b = timed_fit("diffputer", {**one, "n_epochs": 1}, X, y), timed_fit("diffputer", {**one, "n_epochs": 3}, X, y)
    m_wall, m_cpu = extrapolate(a, b, 1, 3, em * epochs)
    # E-step: network evaluations on the whole table; a chain's steps but the last are resampled, each
    # try is 2 evaluations (Euler + Heun), the last step 1: (n_steps - 1) x resample x 2 + 1.
    imp = DiffPuterImputer(**{**one, "n_epochs": 1, "device": "cpu"}, random_state=0).fit(X.iloc[:256])
    part = X.iloc[:2000]  # the chain is linear in rows: time 2000 of them
    x, observed = imp._standardised(part, torch.device("cpu"))
    gen = seeded_generator(0)
    with Clock() as c:
        impute_by_reverse_process(imp.model_, x, observed, n_steps=3, resample_steps=2, gen=gen)
    evals_timed = (3 - 1) * 2 * 2 + 1
    evals_full = (em - 1) * p["n_samples"] * ((p["n_steps"] - 1) * p["resample_steps"] * 2 + 1)
    per_row = len(X) / len(part) / evals_timed * evals_full
    e_wall, e_cpu = c.wall * per_row, c.cpu * per_row
    note = (f"M-step: 1 and 3 epochs timed, x {em} EM iterations x {epochs} epochs (upper bound, early stopping "
            f"cuts it); E-step: one 3-step chain on 2000 rows timed, x {evals_full} network evaluations "
            f"on all rows in fit's {em - 1} E-steps")
    return (m_wall + e_wall, m_cpu + e_cpu), note


def paper_hyperimpute(p: dict, X, y):
    from imputebench.protocol.encoding import MixedEncoder
    from imputebench.registry.hyperimpute import HyperImputeImputer
    from imputebench.registry.iterative import _fill, _initial_fill_row

    # One column's model selection (every learner of the pool, k-fold) plus its fit, x columns = one
    # sweep; the state ``fit`` sets up before its first sweep is set here by hand.
    imp = HyperImputeImputer(**p, random_state=0)
    imp.encoder_ = MixedEncoder(scaling="none").fit(X)
    Z = imp.encoder_.encode(X)
    design = _fill(Z, _initial_fill_row(Z, imp.encoder_.blocks_))
    imp.chosen_, imp.selection_scores_ = {}, []
    with Clock() as c:
        imp._fit_column(design, X.notna().to_numpy(), 0, seed=0)
    n_cols = X.shape[1]
    note = (f"one column's selection + fit timed, x {n_cols} columns = one sweep; shown for one sweep "
            f"(sweeps stop when imputations settle, at most {p['max_iter']})")
    return (c.wall * n_cols, c.cpu * n_cols), note


PAPER = {"metagain": paper_metagain, "diffputer": paper_diffputer, "remasker": paper_remasker,
         "hyperimpute": paper_hyperimpute}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--profiles", default="quick,paper")
    args = parser.parse_args()
    torch.set_num_threads(1)
    ds = letter()
    mask = draw_mask(ds.X, "mcar", 0.2, np.random.default_rng(0))
    X_full = apply_mask(ds.X, mask)
    quick_ds = subsample(ds, QUICK_ROWS)
    quick_mask = draw_mask(quick_ds.X, "mcar", 0.2, np.random.default_rng(0))
    X_quick = apply_mask(quick_ds.X, quick_mask)
    mean_armse = armse(quick_ds.X, make_imputer("mean").fit(X_quick), X_quick, quick_mask)
    rows = []
    for name in args.methods.split(","):
        info = resolve(name).info
        for profile in args.profiles.split(","):
            params = info.params_for(profile)
            if profile == "quick":
                fitted: list = []
                c = timed_fit(name, params, X_quick, quick_ds.y, keep=fitted)
                score = armse(quick_ds.X, fitted[0], X_quick, quick_mask)
                wall, cpu, n = c.wall, c.cpu, len(X_quick)
                how = f"timed in full; in-sample ARMSE {score} (mean imputation {mean_armse})"
            else:
                (wall, cpu), how = PAPER[name](params, X_full, ds.y)
                n = len(X_full)
                how = "extrapolated: " + how
            rows.append({"imputer": name, "profile": profile, "rows": n, "device": "cpu",
                         "fit_wall_s": round(wall, 1), "fit_cpu_s": round(cpu, 1), "how": how})
            print(rows[-1], flush=True)
    write(rows)
    return 0


HEADER = ["imputer", "profile", "rows", "device", "fit_wall_s", "fit_cpu_s", "how"]


def read_rows() -> list[dict]:
    """Rows of the table already in seed_fit_times.md (so a partial rerun keeps the others)."""
    if not OUT.exists():
        return []
    rows = []
    for line in OUT.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| ") and len(cells) == len(HEADER) and cells[0] in METHODS:
            rows.append(dict(zip(HEADER, cells)))
    return rows


def write(rows: list[dict]) -> None:
    fresh = {(r["imputer"], r["profile"]) for r in rows}
    merged = [r for r in read_rows() if (r["imputer"], r["profile"]) not in fresh] + rows
    merged.sort(key=lambda r: (METHODS.index(r["imputer"]), r["profile"] != "quick"))
    lines = [
        "# Seed methods: fit time on Letter (20% MCAR), CPU",
        "",
        f"Generated by tests/benchmarks/bench_seed_methods.py ({platform.machine()}, torch {torch.__version__}, "
        "one thread). CPU time is the steadier figure on a shared machine. quick: the quick profile on "
        "the quick run's 2000-row table, timed in full; paper: the paper profile on the full 20000-row "
        "table, extrapolated from timed fractions (column `how`). No GPU was lent for this run.",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "|".join("---" for _ in HEADER) + "|",
    ]
    lines += ["| " + " | ".join(str(r[h]) for h in HEADER) + " |" for r in merged]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
