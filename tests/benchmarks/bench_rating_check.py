"""Check: the rating's Bradley-Terry fit against independent implementations, on a reference set.

    python tests/benchmarks/bench_rating_check.py [--set quick-v1]

For every pooled comparison of the set (setting x metric, all mechanisms and rates), the per-dataset
pair outcomes that ``leaderboards()`` rates are fitted

- by ``imputebench.reports.rating`` (Newton's method, ridge ``RIDGE``);
- by scikit-learn's ``LogisticRegression`` on the pair-compressed design TabArena uses (one row per
  pair and outcome, +1/-1 features, the wins as sample weights, no intercept), with the same ridge
  (``C = 1 / (2 RIDGE)``, tolerance 1e-12);
- without ridge, by ``imputebench.reports.rating`` and by ``choix.ilsr_pairwise_dense`` (Luce spectral
  ranking, a different algorithm for the same maximum), when choix is installed.

Prints, per comparison, the largest difference in rating points (anchored at mean imputation),
as markdown for ``rating.md``.
"""

from __future__ import annotations

import argparse

import numpy as np

from imputebench.reference import find_reference
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="quick-v1")
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


if __name__ == "__main__":
    main()
