"""Our classical imputers against the closest scikit-learn recipe, on the same MCAR masks.

    python tests/benchmarks/bench_classical.py [--profile quick] [--rate 0.3] [--out FILE]

Pairs (scikit-learn gets the same hyper-parameters as our profile where the recipe has them):
knn vs ``KNNImputer`` on the min-max-scaled table; mice vs ``IterativeImputer(BayesianRidge)``;
missforest vs ``IterativeImputer(RandomForestRegressor)``; xgbi vs ``IterativeImputer(XGBRegressor)``;
em, pcai and softimpute vs ``IterativeImputer``'s default (Bayesian ridge, 10 rounds), the nearest
scikit-learn thing to a Gaussian / low-rank model. Tables: breast_cancer (569 x 30), digits
(1797 x 64) and, when the dataset mirror is there (``IMPUTEBENCH_MIRROR`` or ../shared/datasets),
a 5000-row subsample of MAGIC (10 numeric columns).

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
from sklearn.ensemble import RandomForestRegressor  # noqa: E402
from sklearn.experimental import enable_iterative_imputer  # noqa: E402,F401
from sklearn.impute import IterativeImputer, KNNImputer  # noqa: E402
from sklearn.linear_model import BayesianRidge  # noqa: E402
from xgboost import XGBRegressor  # noqa: E402

from imputebench.datasets import canonicalize, load_dataset, subsample  # noqa: E402
from imputebench.registry import make_imputer, resolve  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
OUT = Path(__file__).with_name("classical_vs_sklearn.md")
OURS = ("knn", "mice", "missforest", "xgbi", "em", "pcai", "softimpute")


def sklearn_recipe(name: str, params: dict[str, Any], seed: int) -> tuple[str, Callable[[np.ndarray], np.ndarray]]:
    """(description, impute function on a float matrix) of the scikit-learn recipe paired with ``name``."""
    if name == "knn":
        def impute(X: np.ndarray) -> np.ndarray:
            lo, hi = np.nanmin(X, axis=0), np.nanmax(X, axis=0)
            span = np.where(hi > lo, hi - lo, 1.0)
            return KNNImputer(n_neighbors=params["n_neighbors"]).fit_transform((X - lo) / span) * span + lo
        return f"KNNImputer(n_neighbors={params['n_neighbors']}) on min-max-scaled data", impute
    if name == "mice":
        est, rounds, label = BayesianRidge(), params["max_iter"], "BayesianRidge()"
    elif name == "missforest":
        est = RandomForestRegressor(n_estimators=params["n_estimators"], max_depth=params["max_depth"],
                                    max_features="sqrt", n_jobs=1, random_state=seed)
        rounds = params["max_iter"]
        label = f"RandomForestRegressor({params['n_estimators']} trees, depth {params['max_depth']}, sqrt)"
    elif name == "xgbi":
        est = XGBRegressor(n_estimators=params["n_estimators"], max_depth=params["max_depth"],
                           learning_rate=params["learning_rate"], max_bin=params.get("max_bin", 256), n_jobs=1,
                           random_state=seed, verbosity=0)
        rounds = params["max_iter"]
        label = f"XGBRegressor({params['n_estimators']} trees, depth {params['max_depth']})"
    else:
        est, rounds, label = BayesianRidge(), 10, "default (BayesianRidge)"
    imputer = IterativeImputer(estimator=est, max_iter=rounds, random_state=seed)
    return f"IterativeImputer({label}, max_iter={rounds})", imputer.fit_transform


def tables() -> list[tuple[str, pd.DataFrame]]:
    found = [("breast_cancer", load_dataset("breast_cancer").X), ("digits", load_dataset("digits").X)]
    mirror = Path(os.environ.get("IMPUTEBENCH_MIRROR", REPO.parent.parent / "shared" / "datasets"))
    if not (mirror / "magic.csv").exists():
        mirror = REPO.parent / "shared" / "datasets"
    if (mirror / "magic.csv").exists():
        magic = canonicalize("magic", pd.read_csv(mirror / "magic.csv"), target="class",
                             target_kind="classification", source="mirror")
        found.append(("magic (5000 rows)", subsample(magic, 5000).X))
    else:
        print(f"no dataset mirror at {mirror}: skipping the MAGIC table")
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="quick", choices=("quick", "paper"))
    parser.add_argument("--rate", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3, help="time each pair this many times, keep the fastest")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    rows = []
    for table_name, X in tables():
        truth = X.to_numpy(dtype=float)
        observed = mcar(X.shape, args.rate, args.seed)
        Xm = X.mask(~observed)
        for name in OURS:
            params = resolve(name).info.params_for(args.profile)
            ours_s, ours_out = cpu_seconds(
                lambda: make_imputer(name, params, random_state=args.seed).fit(Xm).transform(Xm), args.repeats)
            recipe, impute = sklearn_recipe(name, params, args.seed)
            theirs_s, theirs_out = cpu_seconds(lambda: impute(Xm.to_numpy(dtype=float)), args.repeats)
            row = {"table": table_name, "imputer": name, "ours_s": ours_s, "sklearn_s": theirs_s,
                   "ratio": ours_s / max(theirs_s, 1e-9),
                   "rmse_ours": scaled_rmse(truth, ours_out.to_numpy(dtype=float), observed),
                   "rmse_sklearn": scaled_rmse(truth, theirs_out, observed), "sklearn recipe": recipe}
            rows.append(row)
            print(f"{table_name:18s} {name:11s} ours {ours_s:7.2f}s sklearn {theirs_s:7.2f}s "
                  f"ratio {row['ratio']:5.2f}  rmse {row['rmse_ours']:.4f} vs {row['rmse_sklearn']:.4f}", flush=True)
    frame = pd.DataFrame(rows)
    command = (f"python tests/benchmarks/bench_classical.py --profile {args.profile} --rate {args.rate} "
               f"--seed {args.seed} --repeats {args.repeats}")
    header = (f"# Classical imputers vs scikit-learn\n\nGenerated by `{command}`; MCAR {args.rate:.0%}, one seed, "
              f"our `{args.profile}` profile. Times: CPU seconds of fit + transform on one thread, fastest of "
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
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
