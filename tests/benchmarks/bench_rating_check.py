"""Check: the rating's Bradley-Terry fit against independent implementations, on a reference set.

    python tests/benchmarks/bench_rating_check.py [--set quick-v1] [--old-package DIR]

For every pooled comparison of the set (setting x metric, all mechanisms and rates), the per-dataset
pair outcomes that ``leaderboards()`` rates are fitted

- by ``imputebench.reports.rating`` (Newton's method, ridge ``RIDGE``);
- by scikit-learn's ``LogisticRegression`` on the pair-compressed design TabArena uses (one row per
  pair and outcome, +1/-1 features, the wins as sample weights, no intercept), with the same ridge
  (``C = 1 / (2 RIDGE)``, tolerance 1e-12);
- without ridge, by ``imputebench.reports.rating`` and by ``choix.ilsr_pairwise_dense`` (Luce spectral
  ranking, a different algorithm for the same maximum), when choix is installed.

Prints, per comparison, the largest difference in rating points (anchored at mean imputation),
as markdown for ``rating.md``. With ``--old-package DIR`` (a previous version laid out as
``DIR/imputebench``, as for ``bench_site.py``) it also prints the pooled in-sample ARMSE and downstream
leaderboards of the set under that version's rules and under these, side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from imputebench.gates.reference import find_reference
from imputebench.reports import leaderboard as lb
from imputebench.reports import rating as rt

POINTS = rt.ELO_SCALE / np.log(10.0)


def sklearn_fit(wins: np.ndarray, games: np.ndarray, k: int, ridge: float) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression

    pairs = rt.pair_index(k)
    x = np.zeros((len(pairs), k))
    x[np.arange(len(pairs)), pairs[:, 0]] = 1.0
    x[np.arange(len(pairs)), pairs[:, 1]] = -1.0
    design = np.vstack([x, x])
    labels = np.r_[np.ones(len(pairs)), np.zeros(len(pairs))]
    weights = np.r_[wins, games - wins]
    model = LogisticRegression(C=1.0 / (2.0 * ridge), fit_intercept=False, tol=1e-12, max_iter=10_000)
    return model.fit(design, labels, sample_weight=weights).coef_[0]


def choix_fit(wins: np.ndarray, games: np.ndarray, k: int) -> np.ndarray | None:
    try:
        import choix
    except ImportError:
        return None
    pairs = rt.pair_index(k)
    comparisons = np.zeros((k, k))
    comparisons[pairs[:, 0], pairs[:, 1]] = wins
    comparisons[pairs[:, 1], pairs[:, 0]] = games - wins
    return choix.ilsr_pairwise_dense(comparisons, alpha=0.0, tol=1e-12, max_iter=100_000)


def anchored(theta: np.ndarray, anchor: int) -> np.ndarray:
    return POINTS * (theta - theta[anchor])


POOLED = """
import json, sys
from imputebench.gates.reference import find_reference
from imputebench.reports import leaderboard as lb
rows = find_reference(sys.argv[1]).rows()
out = {}
for setting, metric in (("in-sample", "armse"), ("downstream", "downstream")):
    board = lb.leaderboards(rows[rows["setting"] == setting], [metric])
    out[metric] = board[(board["mechanism"] == "all") & (board["rate"] == "all")].to_dict("records")
print(json.dumps(out, default=float))
"""


def pooled_boards(name: str, package: str | None) -> dict[str, pd.DataFrame]:
    env = {**os.environ, "PYTHONPATH": package} if package else dict(os.environ)
    out = subprocess.run([sys.executable, "-c", POOLED, name], env=env, capture_output=True, text=True, check=True,
                         cwd="/")
    return {m: pd.DataFrame(r).set_index("imputer") for m, r in json.loads(out.stdout.splitlines()[-1]).items()}


def before_after(name: str, old_package: Path) -> None:
    old, new = pooled_boards(name, str(old_package)), pooled_boards(name, None)
    for metric, label in (("armse", "in-sample ARMSE"), ("downstream", "downstream score")):
        o, n = old[metric], new[metric]
        print(f"\n{name}, {label}, all mechanisms and rates. Previous rules: {o['n_blocks'].iloc[0]} masks in "
              f"the mean rank, {o['n_blocks_dropped'].iloc[0]} left out. These: {n['n_blocks'].iloc[0]} in the "
              f"mean rank, {n['n_blocks_dropped'].iloc[0]} left out ({n['n_blocks_out_of_scope'].iloc[0]} out of "
              f"scope), {n['n_blocks_rated'].iloc[0]} in the rating.\n")
        print("| imputer | mean rank, previous (95 % CI) | mean rank, now (95 % CI) | rating (95 % interval) | "
              "datasets rated |\n|---|---|---|---|---|")
        for imp, r in n.iterrows():
            p = o.loc[imp]
            print(f"| {imp} | {p['mean_rank']:.2f} ({p['ci_low']:.2f}-{p['ci_high']:.2f}) | {r['mean_rank']:.2f} "
                  f"({r['ci_low']:.2f}-{r['ci_high']:.2f}) | {r['rating']:.0f} ({r['rating_low']:.0f}-"
                  f"{r['rating_high']:.0f}) | {r['n_datasets_rated']} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="quick-v1")
    parser.add_argument("--old-package", type=Path, default=None)
    args = parser.parse_args()
    rows = find_reference(args.set).rows()
    print(f"| {args.set}: setting | metric | imputers | datasets | ours vs scikit-learn, ridge {rt.RIDGE:g} | "
          "ours vs choix, no ridge | ridge effect |\n|---|---|---|---|---|---|---|")
    worst = {"sklearn": 0.0, "choix": 0.0, "ridge": 0.0}
    for setting in sorted(set(rows["setting"])):
        for metric in lb.METRICS:
            matrix = lb.block_matrix(rows[rows["setting"] == setting], metric)
            if not matrix.comparisons.any():
                continue
            wins, games, _ = lb.dataset_outcomes(matrix, *lb.block_outcomes(matrix, lb.higher_is_better(metric)))
            w, g, k = wins.sum(axis=0), games.sum(axis=0), len(matrix.imputers)
            anchor = matrix.imputers.index(rt.ANCHOR_IMPUTER)
            ours = anchored(rt.fit_bradley_terry(w, g, k), anchor)
            plain = anchored(rt.fit_bradley_terry(w, g, k, ridge=0.0), anchor)
            d_sk = np.abs(ours - anchored(sklearn_fit(w, g, k, rt.RIDGE), anchor)).max()
            theirs = choix_fit(w, g, k)
            d_ch = np.abs(plain - anchored(theirs, anchor)).max() if theirs is not None else np.nan
            d_ridge = np.abs(ours - plain).max()
            worst = {"sklearn": max(worst["sklearn"], d_sk), "choix": np.nanmax([worst["choix"], d_ch]),
                     "ridge": max(worst["ridge"], d_ridge)}
            print(f"| {setting} | {metric} | {k} | {len(wins)} | {d_sk:.1e} | {d_ch:.1e} | {d_ridge:.3f} |")
    print(f"\nLargest differences (rating points): scikit-learn {worst['sklearn']:.1e}, choix {worst['choix']:.1e}; "
          f"the ridge moves a rating by at most {worst['ridge']:.3f}.")
    if args.old_package:
        before_after(args.set, args.old_package)


if __name__ == "__main__":
    main()
