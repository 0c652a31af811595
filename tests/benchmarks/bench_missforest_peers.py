"""missforest (quick, paper) against the Python packages a user would pick instead: RMSE and CPU
on the same masks (Letter, first N rows, 20 % MCAR), with the Pareto front of the arms.

    OMP_NUM_THREADS=1 IMPUTEBENCH_MIRROR=DIR PEERS/bin/python \
        tests/benchmarks/bench_missforest_peers.py --rows 2000 --seeds 0,1,2 --log runs.jsonl
    python tests/benchmarks/bench_missforest_peers.py --summarize runs.jsonl

The peers are not dependencies; they live in a venv of their own that also sees imputebench's:

    python3 -m venv PEERS
    echo IMPUTEBENCH_VENV/lib/python3.11/site-packages \
        > PEERS/lib/python3.11/site-packages/zz_main.pth   # numpy, pandas, sklearn, pyarrow, tqdm
    PEERS/bin/pip install --no-deps MissForest==4.2.3 miceforest==6.0.5 lightgbm==4.5.0
    # imputebench itself: the worktree's editable finder (__editable__.imputebench-0.1.0.pth,
    # __editable___imputebench_0_1_0_finder.py, the dist-info) copied from .venv's site-packages
    # (the venv's setuptools 65 cannot build the project's pyproject.toml). lightgbm 4.5.0, not 4.7.0:
    # miceforest 6.0.5 calls Booster.__inner_predict(0), whose signature changed in 4.6.

Arms (one thread each: OMP_NUM_THREADS=1 for LightGBM's OpenMP, ``n_jobs=1`` for our forests):

- ``missforest quick`` / ``missforest paper``: ``make_imputer("missforest", params_for(profile))``.
- ``MissForest package (defaults)``: ``MissForest(verbose=0).fit_transform(x)`` with its default
  estimators given ``n_jobs=1``: LightGBM ``LGBMRegressor(linear_tree=True)`` (boosting, 100 rounds, not a random forest), median
  start, ``max_iter=5``, early stopping. It takes no seed (LightGBM's fixed default seeds).
- ``miceforest (README usage)``: ``ImputationKernel(Xm, random_state=seed)``, ``kernel.mice(2)`` (the
  README's example; ``mice`` has no default count), ``complete_data()``: one dataset, LightGBM in
  random-forest mode (48 trees, depth 8), predictive mean matching from 5 candidates ("normal").
- ``miceforest, no mean matching`` (``--pmm-off``): the same with ``mean_match_candidates=0``, so the
  imputed value is the forest's prediction (mean matching draws a donor: right for multiple
  imputation, costly in RMSE).

Each run: ``draw_mask(X, "mcar", 0.2, default_rng(seed))``, CPU seconds of fit+impute
(``time.process_time`` plus children's ``getrusage``), wall seconds, RMSE on the masked cells
(``imputation_metrics``, min-max scaled by the complete column). One JSON line per run.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
import pandas as pd
from imputebench.datasets import load_dataset
from imputebench.protocol.masks import draw_mask
from imputebench.registry import make_imputer, resolve
from peer_runs import emit, front_table, read_runs, timed_imputation, add_log_options, summarized

QUICK = "missforest quick"


def impute(arm: str, Xm: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Fit and impute ``Xm`` with one arm; the peers are imported here (they are not dependencies)."""
    if arm in (QUICK, "missforest paper"):
        params = {**resolve("missforest").info.params_for(arm.split()[1]), "n_jobs": 1}
        return make_imputer("missforest", params, random_state=seed).fit_transform(Xm)
    if arm == "MissForest package (defaults)":
        from lightgbm import LGBMClassifier, LGBMRegressor
        from missforest import MissForest

        # Its default estimators with n_jobs=1: LightGBM's scikit-learn wrapper ignores
        # OMP_NUM_THREADS when n_jobs is None (2 threads measured: CPU 17 s, wall 9 s).
        one = {"verbosity": -1, "linear_tree": True, "n_jobs": 1}
        return MissForest(clf=LGBMClassifier(**one), rgr=LGBMRegressor(**one), verbose=0).fit_transform(Xm)
    import miceforest as mf

    extra = {"mean_match_candidates": 0} if "no mean matching" in arm else {}
    kernel = mf.ImputationKernel(Xm, random_state=seed, **extra)
    kernel.mice(2)
    return kernel.complete_data()


def summarize(log: Path) -> str:
    runs = read_runs(log)
    return "\n\n".join(f"Letter, first {rows:,} rows\n\n" + front_table([r for r in runs if r["rows"] == rows], "arm", QUICK)
                       for rows in sorted({r["rows"] for r in runs}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mirror", default=os.environ.get("IMPUTEBENCH_MIRROR"))
    ap.add_argument("--rows", type=int, default=2000)
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--arms", default=f"{QUICK},missforest paper,MissForest package (defaults),miceforest (README usage)",
                    help="comma-separated arm names (see the docstring)")
    ap.add_argument("--pmm-off", action="store_true", help="also miceforest without mean matching")
    add_log_options(ap)
    args = ap.parse_args()
    if summarized(args, summarize):
        return
    X = load_dataset("letter", mirror=args.mirror, allow_network=False, max_rows=args.rows).X
    arms = args.arms.split(",") + (["miceforest, no mean matching"] if args.pmm_off else [])
    for seed in (int(s) for s in args.seeds.split(",")):
        mask = draw_mask(X, "mcar", 0.2, np.random.default_rng(seed))
        for arm in arms:
            scored = timed_imputation(lambda Xm: impute(arm, Xm, seed), X, mask)  # noqa: B023 - called at once
            emit({"arm": arm, "seed": seed, "rows": len(X), **scored}, args.log)


if __name__ == "__main__":
    main()
