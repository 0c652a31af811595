"""Tree builders for MissForest's forests: what one fully grown random forest costs in each library.

    python tests/benchmarks/bench_tree_builders.py [--rows 20000] [--trees 100] [--builders sklearn,xgboost,lightgbm]

Why this exists: MissForest's ``paper`` profile grows about 7 sweeps x 16 columns x 100 fully
grown trees on Letter, and its CPU time is the tree builder's (``missforest.md``). A faster
builder that grows the same kind of tree (bootstrap sample, ``sqrt(p)`` features drawn at each
node, no depth limit, leaves down to one sample) would make the whole profile cheaper. This
script times one such forest per library on the job MissForest gives it most often: one Letter
column regressed on the other 15 (the first ``--rows`` rows, 80 % to grow, 20 % to score).

- ``sklearn``: ``RandomForestRegressor(max_features="sqrt")``, what ``missforest`` uses;
- ``xgboost``: ``XGBRFRegressor`` (one boosting round of ``--trees`` parallel trees, ``hist``,
  unlimited depth through ``grow_policy="lossguide"``, ``colsample_bynode=sqrt(p)/p``, no
  shrinkage or L2). It has no bootstrap: rows are subsampled at 0.632 without replacement;
- ``lightgbm`` (when installed; it is not a dependency): one one-round booster per tree, the
  bootstrap given as integer row weights, ``feature_fraction_bynode``, unlimited leaves. Its
  leaf-wise learner is far slower at full depth, so it grows ``min(--trees, 5)`` trees and the
  table shows its time scaled to ``--trees`` (its RMSE is that of the few trees grown).

One thread each (``OMP_NUM_THREADS=1``, ``n_jobs=1``). CPU seconds are ``process_time``; RMSE is
on the held-out rows, in the column's own units.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402

Builder = Callable[[np.ndarray, np.ndarray, np.ndarray, int], np.ndarray]


def grow_sklearn(F: np.ndarray, y: np.ndarray, G: np.ndarray, trees: int) -> np.ndarray:
    from sklearn.ensemble import RandomForestRegressor

    return RandomForestRegressor(trees, max_features="sqrt", n_jobs=1, random_state=0).fit(F, y).predict(G)


def grow_xgboost(F: np.ndarray, y: np.ndarray, G: np.ndarray, trees: int) -> np.ndarray:
    from xgboost import XGBRFRegressor

    model = XGBRFRegressor(n_estimators=trees, max_depth=0, grow_policy="lossguide", max_leaves=0,
                           subsample=0.632, colsample_bynode=np.sqrt(F.shape[1]) / F.shape[1], learning_rate=1.0,
                           reg_lambda=0.0, min_child_weight=0.0, tree_method="hist", n_jobs=1, random_state=0)
    return model.fit(F, y).predict(G)


def grow_lightgbm(F: np.ndarray, y: np.ndarray, G: np.ndarray, trees: int) -> np.ndarray:
    import lightgbm

    rng = np.random.default_rng(0)
    data = lightgbm.Dataset(F, y, params={"verbose": -1, "feature_pre_filter": False, "min_data_in_leaf": 1,
                                          "min_data_in_bin": 1}, free_raw_data=False).construct()
    params = {"objective": "regression", "learning_rate": 1.0, "max_depth": -1, "lambda_l2": 0.0,
              "num_leaves": len(y),  # unlimited: a tree on n rows has at most n leaves
              "min_data_in_leaf": 1, "min_sum_hessian_in_leaf": 0.5,  # integer weights: >= 1 bootstrap row a leaf
              "feature_fraction_bynode": np.sqrt(F.shape[1]) / F.shape[1], "num_threads": 1, "verbose": -1}
    total = np.zeros(len(G))
    for k in range(trees):
        data.set_weight(rng.multinomial(len(y), np.full(len(y), 1 / len(y))).astype(float))
        total += lightgbm.train({**params, "seed": k}, data, num_boost_round=1).predict(G)
    return total / trees


BUILDERS: dict[str, Builder] = {"sklearn": grow_sklearn, "xgboost": grow_xgboost, "lightgbm": grow_lightgbm}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--trees", type=int, default=100)
    parser.add_argument("--builders", default="sklearn,xgboost,lightgbm")
    args = parser.parse_args()

    from imputebench.datasets import load_dataset

    X = load_dataset("letter").X.iloc[: args.rows].to_numpy(dtype=float)
    grow = np.random.default_rng(0).random(len(X)) < 0.8
    y, F = X[:, 0], X[:, 1:]
    print(f"Letter, first {len(X):,} rows: column 0 on the other {F.shape[1]}, {grow.sum():,} rows to grow, "
          f"{(~grow).sum():,} to score; {args.trees} trees, one thread; load average {os.getloadavg()[0]:.1f}\n")
    print("| builder | trees grown | CPU s for the forest | CPU / sklearn | held-out RMSE |")
    print("|---|---|---|---|---|")
    reference = None
    for name in args.builders.split(","):
        if importlib.util.find_spec(name) is None:
            print(f"| {name} | not installed | | | |")
            continue
        trees = min(args.trees, 5) if name == "lightgbm" else args.trees
        cpu = time.process_time()
        guess = BUILDERS[name](F[grow], y[grow], F[~grow], trees)
        cpu = (time.process_time() - cpu) * args.trees / trees
        reference = cpu if name == "sklearn" else reference
        rmse = float(np.sqrt(np.mean((guess - y[~grow]) ** 2)))
        print(f"| {name} | {trees} | {cpu:.1f} | {f'{cpu / reference:.1f}x' if reference else ''} | {rmse:.3f} |", flush=True)


if __name__ == "__main__":
    main()
