"""Our classical imputers against standard scikit-learn configurations, on the same MCAR masks.

    python tests/benchmarks/bench_classical.py [--profiles quick,paper] [--rate 0.3] [--out FILE]

Each of our imputers (under each profile asked for) is paired with the standard configuration a
user would reach for, at its library's defaults, not cut to our budget: knn vs ``KNNImputer()`` on
the min-max-scaled table; mice and mice_linear vs ``IterativeImputer()`` (Bayesian ridge, 10 rounds);
missforest vs ``IterativeImputer(RandomForestRegressor(100 trees, max_features="sqrt"))`` and
``IterativeImputer(ExtraTreesRegressor(100 trees))``, 10 rounds; xgbi vs
``IterativeImputer(XGBRegressor())`` (XGBoost's defaults), 10 rounds; em, pcai and softimpute vs
``IterativeImputer()``, the nearest scikit-learn thing to a Gaussian / low-rank model. R mice, the
reference of ``mice``, is compared in ``bench_mice_vs_r.py`` (it needs R). Tables: breast_cancer
(569 x 30) and, when the dataset mirror is there (``IMPUTEBENCH_MIRROR``), a 2000-row subsample of
MAGIC (10 numeric columns).

Times are CPU seconds of fit + transform on one thread, the fastest of ``--repeats`` runs
(``process_time``: the machine is shared, so wall time would measure the neighbours); RMSE is on
masked cells, columns min-max scaled by the complete column (PROTOCOL §5). Writes a markdown table
to ``tests/benchmarks/classical_vs_sklearn.md``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"  # one thread for both sides, before numpy loads a BLAS

import argparse  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Callable  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.ensemble import ExtraTreesRegressor, RandomForestRegressor  # noqa: E402
from sklearn.experimental import enable_iterative_imputer  # noqa: E402,F401
from sklearn.impute import IterativeImputer, KNNImputer  # noqa: E402
from sklearn.linear_model import BayesianRidge  # noqa: E402
from xgboost import XGBRegressor  # noqa: E402

from imputebench.datasets import load_dataset  # noqa: E402
from imputebench.registry import make_imputer, resolve  # noqa: E402

OUT = Path(__file__).with_name("classical_vs_sklearn.md")
OURS = ("knn", "mice", "mice_linear", "em", "pcai", "softimpute", "xgbi", "missforest")  # cheap first


def sklearn_recipes(name: str, seed: int) -> list[tuple[str, Callable[[np.ndarray], np.ndarray]]]:
    """(description, impute function on a float matrix) of each standard configuration paired with ``name``."""
    if name == "knn":
        def impute(X: np.ndarray) -> np.ndarray:
            lo, hi = np.nanmin(X, axis=0), np.nanmax(X, axis=0)
            span = np.where(hi > lo, hi - lo, 1.0)
            return KNNImputer().fit_transform((X - lo) / span) * span + lo
        return [("KNNImputer() (5 neighbours) on min-max-scaled data", impute)]
    if name == "missforest":
        estimators = [("RandomForestRegressor(100 trees, sqrt)",
                       RandomForestRegressor(n_estimators=100, max_features="sqrt", n_jobs=1, random_state=seed)),
                      ("ExtraTreesRegressor(100 trees)",
                       ExtraTreesRegressor(n_estimators=100, n_jobs=1, random_state=seed))]
    elif name == "xgbi":
        estimators = [("XGBRegressor() defaults", XGBRegressor(n_jobs=1, random_state=seed, verbosity=0))]
    else:
        estimators = [("BayesianRidge() default", BayesianRidge())]
    return [(f"IterativeImputer({label}, max_iter=10)",
             IterativeImputer(estimator=est, max_iter=10, random_state=seed).fit_transform)
            for label, est in estimators]


def tables() -> list[tuple[str, pd.DataFrame]]:
    found = [("breast_cancer", load_dataset("breast_cancer").X)]
    mirror = os.environ.get("IMPUTEBENCH_MIRROR")
    if mirror and (Path(mirror) / "magic.csv").exists():
        found.append(("magic (2000 rows)", load_dataset("magic", max_rows=2000, mirror=mirror).X))
    else:
        print("no dataset mirror (IMPUTEBENCH_MIRROR): skipping the MAGIC table")
    return found


def mcar(shape: tuple[int, int], rate: float, seed: int) -> np.ndarray:
    """True = observed; a column is never fully missing (PROTOCOL §2)."""
    observed = np.random.default_rng(seed).random(shape) >= rate
    observed[0, ~observed.any(axis=0)] = True
    return observed


def scaled_rmse(truth: np.ndarray, guess: np.ndarray, observed: np.ndarray) -> float:
    lo, hi = truth.min(axis=0), truth.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    return float(np.sqrt((((truth - guess) / span)[~observed] ** 2).mean()))


def cpu_seconds(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """The fastest of ``repeats`` runs (timeit's convention: slower runs measure interference)."""
    best, result = np.inf, None
    for _ in range(repeats):
        start = time.process_time()
        result = fn()
        best = min(best, time.process_time() - start)
    return best, result


def write_table(rows: list[dict], args: argparse.Namespace) -> None:
    frame = pd.DataFrame(rows)
    command = (f"python tests/benchmarks/bench_classical.py --profiles {args.profiles} --rate {args.rate} "
               f"--seed {args.seed} --repeats {args.repeats}")
    header = (f"# Classical imputers vs scikit-learn\n\nGenerated by `{command}`; MCAR {args.rate:.0%}, one seed, "
              f"our `{args.profiles}` profiles against standard configurations at their libraries' defaults. Times: CPU seconds of fit + transform on one thread, fastest of "
              f"{args.repeats} runs "
              f"({platform.processor() or platform.machine()}, shared machine); ratio = ours / scikit-learn "
              f"(below 1: we are faster). RMSE: masked cells, min-max scaled by the complete column "
              f"(PROTOCOL §5).\n\n")
    floats = {"ours_s": "{:.2f}", "sklearn_s": "{:.2f}", "ratio": "{:.2f}", "rmse_ours": "{:.4f}",
              "rmse_sklearn": "{:.4f}"}
    shown = frame.copy()
    for column, fmt in floats.items():
        shown[column] = shown[column].map(fmt.format)
    lines = ["| " + " | ".join(shown.columns) + " |", "|" + "---|" * len(shown.columns)]
    lines += ["| " + " | ".join(map(str, r)) + " |" for r in shown.itertuples(index=False)]
    args.out.write_text(header + "\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", default="quick,paper")
    parser.add_argument("--imputers", default=",".join(OURS))
    parser.add_argument("--rate", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3, help="time each pair this many times, keep the fastest")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    rows = []
    profiles = args.profiles.split(",")
    for table_name, X in tables():
        truth = X.to_numpy(dtype=float)
        observed = mcar(X.shape, args.rate, args.seed)
        Xm = X.mask(~observed)
        for name in args.imputers.split(","):
            recipes = [(recipe, *cpu_seconds(lambda: impute(Xm.to_numpy(dtype=float)), args.repeats))
                       for recipe, impute in sklearn_recipes(name, args.seed)]
            for profile in profiles:
                params = resolve(name).info.params_for(profile)
                ours_s, ours_out = cpu_seconds(
                    lambda: make_imputer(name, params, random_state=args.seed).fit_transform(Xm), args.repeats)
                for recipe, theirs_s, theirs_out in recipes:
                    row = {"table": table_name, "imputer": name, "profile": profile, "ours_s": ours_s,
                           "sklearn_s": theirs_s, "ratio": ours_s / max(theirs_s, 1e-9),
                           "rmse_ours": scaled_rmse(truth, ours_out.to_numpy(dtype=float), observed),
                           "rmse_sklearn": scaled_rmse(truth, theirs_out, observed), "sklearn configuration": recipe}
                    rows.append(row)
                    print(f"{table_name:18s} {name:11s} {profile:6s} ours {ours_s:7.2f}s sklearn {theirs_s:7.2f}s "
                          f"ratio {row['ratio']:5.2f}  rmse {row['rmse_ours']:.4f} vs {row['rmse_sklearn']:.4f}  "
                          f"{recipe}", flush=True)
                    write_table(rows, args)  # after every row: a long run keeps what it measured
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
