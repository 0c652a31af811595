"""Where GAIN's seed spread on Letter comes from (GAIN Table 2: 0.1198 +- 0.0005 over its runs).

    OMP_NUM_THREADS=1 nice python tests/benchmarks/bench_gain_spread.py --mirror DIR [--iterations N]

Controlled runs on the full Letter table at 20% MCAR, in-sample, pooled min-max RMSE (PROTOCOL §5),
the paper profile's GAIN (10,000 iterations, batch 128, hint 0.9, alpha 100) unless told otherwise:

- ``model``: one mask (mask seed 0), GAIN seeds 0..k-1: the spread that training alone adds;
- ``mask``: GAIN seed 0, mask seeds 0..k-1: the spread that the mask alone adds;
- ``reference-hint``: as ``model`` with the reference code's hint (``H = B*M``, losses over all cells);
- ``both``: mask seed k and GAIN seed k together (what ``imputebench reproduce gain`` does);
- ``code-2018``: the setting of the code released with the paper in 2018 (GAIN_Letter.py in
  jsyoon0823/GAIN's history: alpha 10, 5,000 iterations, hint ``H = B*M``, an 80/20 row split by a
  seeded permutation, GAIN trained on the 80 % and the RMSE taken on the masked cells of the 20 % test
  rows), seeds varying mask, split and GAIN together;
- ``last-iterate`` and ``early-stop`` (for ``--dataset letter`` or ``spambase``): mask seed k and GAIN
  seed k, the paper profile's last iterate against the iterate picked on 5 % of the observed cells held
  out from training (``holdout_fraction=0.05``, checked every 250 iterations; not the paper's method);
- every run records the RMSE every ``--every`` iterations (the generator's imputation at that point,
  drawn without touching the training's random streams), so a run's own wobble late in training can
  be compared with the spread between runs; and the RMSE after rounding the imputations to Letter's
  integer grid (the 2020 reference code rounds columns with fewer than 20 distinct values).

Prints one JSON line per run (appended to ``--log``); ``--summarize LOG --out FILE`` turns a log into
the markdown table of ``tests/benchmarks/gain_spread.md``.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

import imputebench.registry.gain as gain_module
from imputebench.datasets import load_dataset
from imputebench.protocol.masks import apply_mask, draw_mask
from imputebench.protocol.metrics import imputation_metrics
from imputebench.registry import make_imputer, resolve
from peer_runs import emit, read_runs

PAPER = resolve("gain").info.params_for("paper")


def rmse(X: pd.DataFrame, out: pd.DataFrame, mask: np.ndarray) -> float:
    return float(imputation_metrics(X, out, mask)["rmse"])


def fit_with_trajectory(X: pd.DataFrame, Xm: pd.DataFrame, mask: np.ndarray, seed: int, params: dict,
                        every: int, test_rows: np.ndarray | None = None) -> dict:
    """Fit GAIN; the RMSE of its imputation every ``every`` iterations, and at the end (plain, rounded).

    With ``test_rows``, GAIN trains on the other rows and every RMSE is taken on the test rows."""
    if test_rows is not None:
        train = np.setdiff1d(np.arange(len(X)), test_rows)
        fit_on = Xm.iloc[train]
        X, Xm, mask = X.iloc[test_rows], Xm.iloc[test_rows], mask[test_rows]
    else:
        fit_on = Xm
    imputer = make_imputer("gain", {**PAPER, **params, "device": "cpu"}, random_state=seed)
    trajectory: list[tuple[int, float]] = []
    original = gain_module.training_batches

    def watched(*args, **kwargs):
        for i, idx in enumerate(original(*args, **kwargs)):
            if i and i % every == 0:
                state = imputer.generator_.get_state()  # evaluate without moving the training's RNG
                with torch.no_grad():
                    x, obs = imputer._tensors(Xm)
                    enc = imputer._impute(x, obs).double().numpy()
                imputer.generator_net_.train()
                imputer.generator_.set_state(state)
                filled = imputer.encoder_.decode(enc, index=Xm.index)
                trajectory.append((i, rmse(X, Xm.where(mask, filled), mask)))
            yield idx

    gain_module.training_batches = watched
    try:
        t0 = time.process_time()
        imputer.fit(fit_on)
        cpu = time.process_time() - t0
    finally:
        gain_module.training_batches = original
    out = imputer.transform(Xm)
    rounded = Xm.where(mask, out.round())
    return {"rmse": rmse(X, out, mask), "rmse_rounded": rmse(X, rounded, mask), "fit_cpu_s": round(cpu, 1),
            "best_iteration": getattr(imputer, "best_iteration_", None), "trajectory": trajectory}


def summarize(log: Path) -> str:
    """Per arm: runs, mean and standard deviation (ddof 1) of the final RMSE, and of the RMSE at
    iterations 1,000 and 5,000 of the same runs; mean RMSE after rounding to Letter's integer grid."""
    runs = read_runs(log)
    by_arm: dict[str, list[dict]] = {}
    for r in runs:
        dataset = r.get("dataset", "letter")
        by_arm.setdefault(r["arm"] if dataset == "letter" else f"{dataset}: {r['arm']}", []).append(r)
    by_arm.setdefault("both", [])
    by_arm["both"] = [r for r in runs if r["arm"] == "model" and r["model_seed"] == 0] + by_arm["both"]

    def at(r: dict, it: int) -> float:
        return dict((i, v) for i, v in r["trajectory"]).get(it, float("nan"))

    def kept(rs: list[dict]) -> str:
        picked = [r["best_iteration"] for r in rs if r.get("best_iteration") is not None]
        return ", ".join(f"{i:,}" for i in picked) if picked else "last"

    def ms(values: list[float]) -> str:
        v = np.asarray(values, dtype=float)
        return f"{v.mean():.4f} ± {v.std(ddof=1):.4f}" if v.size > 1 else "-"

    lines = ["| arm | runs | RMSE at the end | at 1,000 it. | at 5,000 it. | end, rounded | fit CPU s | iterate kept |",
             "|---|---|---|---|---|---|---|---|"]
    for arm, rs in by_arm.items():
        if not rs:
            continue
        lines.append(f"| {arm} | {len(rs)} | {ms([r['rmse'] for r in rs])} | {ms([at(r, 1000) for r in rs])} | "
                     f"{ms([at(r, 5000) for r in rs])} | {ms([r['rmse_rounded'] for r in rs])} | "
                     f"{np.mean([r['fit_cpu_s'] for r in rs]):.0f} | {kept(rs)} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mirror", default=os.environ.get("IMPUTEBENCH_MIRROR"))
    ap.add_argument("--iterations", type=int, default=int(PAPER["iterations"]))
    ap.add_argument("--runs", type=int, default=4, help="seeds per arm")
    ap.add_argument("--every", type=int, default=1000)
    ap.add_argument("--arms", default="model,mask,reference-hint")
    ap.add_argument("--dataset", default="letter", choices=["letter", "spambase"])
    ap.add_argument("--rows", type=int, default=None, help="subsample the table (default: all rows)")
    ap.add_argument("--log", type=Path, default=None)
    ap.add_argument("--summarize", type=Path, default=None, help="summarise this log instead of running")
    args = ap.parse_args()
    if args.summarize:
        print(summarize(args.summarize))
        return
    torch.set_num_threads(1)
    ds = load_dataset(args.dataset, mirror=args.mirror, allow_network=False, max_rows=args.rows)
    X = ds.X
    masks = {s: draw_mask(X, "mcar", 0.2, np.random.default_rng(s)) for s in range(args.runs)}
    arm_params = {"reference-hint": {"hint": "reference"},
                  "code-2018": {"hint": "reference", "alpha": 10.0, "iterations": 5000},
                  "early-stop": {"holdout_fraction": 0.05, "check_every": 250}}
    plan = []
    for arm in args.arms.split(","):
        for k in range(args.runs):
            mask_seed, model_seed = {"model": (0, k), "mask": (k, 0), "reference-hint": (0, k)}.get(arm, (k, k))
            if arm in ("mask", "both") and k == 0:
                continue  # the same run as the model arm's seed 0
            plan.append((arm, mask_seed, model_seed, arm_params.get(arm, {})))
    for arm, mask_seed, model_seed, params in plan:
        mask = masks[mask_seed]
        test_rows = None
        if arm == "code-2018":  # GAIN_Letter.py: idx = permutation(No); the last 20 % are the test rows
            order = np.random.default_rng(1000 + mask_seed).permutation(len(X))
            test_rows = np.sort(order[int(len(X) * 0.8):])
        res = fit_with_trajectory(X, apply_mask(X, mask), mask, model_seed,
                                  {"iterations": args.iterations, **params}, args.every, test_rows)
        emit({"dataset": args.dataset, "arm": arm, "mask_seed": mask_seed, "model_seed": model_seed,
              "params": {"iterations": args.iterations, **params}, "rows": len(X), **res}, args.log)


if __name__ == "__main__":
    main()
