"""A generated result store with realistic values, for the site's tests and benchmark (test-only: not
part of the package).

Errors grow with the missing rate, imputers differ by a skill factor, datasets by difficulty, and a
share of jobs fail, time out or are infeasible (with an error text), as in a real grid.
"""

from __future__ import annotations

import hashlib
import json
from typing import Sequence

import numpy as np
import pandas as pd
from imputebench.protocol.metrics import QUALITY_METRICS
from imputebench.protocol.samples import sample_cells
from imputebench.harness.store import COLUMNS, SCHEMA, write_samples

DEFAULT_IMPUTERS = ("mean", "median", "knn", "mice", "missforest", "xgbi", "pcai", "softimpute", "em")


def synthetic_rows(datasets: Sequence[str] = ("wine", "iris", "letter", "yeast"),
                   imputers: Sequence[str] = DEFAULT_IMPUTERS,
                   mechanisms: Sequence[str] = ("mcar", "mar", "mnar"),
                   rates: Sequence[float] = (0.1, 0.2, 0.3, 0.5),
                   seeds: Sequence[int] = (0, 1, 2),
                   settings: Sequence[str] = ("in-sample", "downstream"),
                   failure_share: float = 0.03, seed: int = 0) -> pd.DataFrame:
    """One row per job of the full grid, schema :data:`imputebench.harness.store.SCHEMA`."""
    rng = np.random.default_rng(seed)
    grid = pd.MultiIndex.from_product([list(settings), list(datasets), list(mechanisms), list(rates), list(seeds),
                                       list(imputers)],
                                      names=["setting", "dataset", "mechanism", "rate", "seed", "imputer"])
    df = grid.to_frame(index=False)
    n = len(df)
    order = rng.permutation(len(imputers))
    skill = {imp: 0.7 + 0.6 * order[i] / max(1, len(imputers) - 1) for i, imp in enumerate(imputers)}
    difficulty = {ds: 0.1 + 0.15 * rng.random() for ds in datasets}
    # Imputers suit some datasets better than others: rankings differ across datasets.
    affinity = {(ds, imp): 1.0 + 0.25 * rng.standard_normal() for ds in datasets for imp in imputers}
    mech_penalty = {m: 1.0 + 0.15 * i for i, m in enumerate(mechanisms)}
    pairs = pd.Series(list(zip(df["dataset"], df["imputer"])))
    base = (df["imputer"].map(skill).to_numpy(float) * df["dataset"].map(difficulty).to_numpy(float)
            * pairs.map(affinity).to_numpy(float)
            * df["mechanism"].map(mech_penalty).to_numpy(float) * (1.0 + 0.8 * df["rate"].to_numpy(float)))
    noise = lambda scale: 1.0 + scale * rng.standard_normal(n)  # noqa: E731
    df["rmse"] = base * noise(0.05)
    df["mae"] = 0.7 * base * noise(0.05)
    df["armse"] = 1.1 * base * noise(0.05)
    df["cat_accuracy"] = np.clip(1.0 - 1.5 * base * noise(0.05), 0, 1)
    df["jsdist"] = np.clip(0.5 * base * noise(0.1), 0, 1)
    df["rl"] = 0.4 * base * noise(0.1)
    df["w1"] = 0.3 * base * noise(0.1)
    complete = 0.95 - 0.3 * df["dataset"].map(difficulty).to_numpy(float)
    df["complete_downstream"] = complete
    df["downstream"] = np.clip(complete - 0.3 * base * noise(0.1), 0, 1)
    in_sample = (df["setting"] == "in-sample").to_numpy()
    df.loc[in_sample, ["downstream", "complete_downstream"]] = np.nan
    df["downstream_metric"] = np.where(in_sample, None, "accuracy")
    df["fit_seconds"] = 0.01 * np.exp(3.0 * (df["imputer"].map(skill).to_numpy(float) - 0.7) * 3) * noise(0.1).clip(0.5)
    df["transform_seconds"] = 0.1 * df["fit_seconds"]
    df["peak_memory_mb"] = 100.0 + 50 * rng.random(n)
    # Failures: a share of jobs at random, plus infeasible MAR at the highest rate.
    roll = rng.random(n)
    status = np.full(n, "ok", dtype=object)
    status[roll < failure_share] = "failed"
    status[roll < failure_share / 3] = "timeout"
    if "mar" in mechanisms:
        status[((df["mechanism"] == "mar") & (df["rate"] == max(rates))).to_numpy() & (roll > 0.9)] = "infeasible"
    df["status"] = status
    errors = {"failed": "ValueError: Input contains NaN after transform",
              "timeout": "job exceeded the 600 s timeout",
              "infeasible": "mar: column probability 0.97 exceeds 0.95 at d_obs = 1 (PROTOCOL §2)"}
    df["error"] = pd.Series(status).map(errors).to_numpy(dtype=object)
    df.loc[df["status"] != "ok", list(QUALITY_METRICS)] = np.nan
    df["max_column_rmse"] = 1.2 * df["rmse"]  # the worst column is above the pooled RMSE; no rng draw
    df["job_key"] = (df["setting"] + "|" + df["dataset"] + "|" + df["mechanism"] + "|" + df["rate"].astype(str)
                     + "|" + df["seed"].astype(str) + "|" + df["imputer"])
    df["dataset_checksum"] = df["dataset"].map(lambda d: hashlib.sha256(d.encode("utf-8")).hexdigest()[:12])
    df["max_rows"] = 2000
    df["n_rows"] = 500
    df["n_features"] = 8
    df["dropped_rows"] = 0
    df["realised_rate"] = df["rate"] * noise(0.01)
    df["params"] = "{}"
    df["profile"] = "quick"
    df["uses_labels"] = False
    df["device"] = "cpu"
    df["protocol_version"] = 1
    df["versions"] = json.dumps({"imputebench": "0.1.0", "numpy": np.__version__, "pandas": pd.__version__})
    df["finished_at"] = pd.Timestamp("2026-11-21T09:00:00Z") + pd.to_timedelta(np.arange(n), unit="s")
    df["warnings"] = 0
    df["track"] = "main"  # the transfer track's columns (PROTOCOL §7) stay empty on main-track rows
    df = df.reindex(columns=list(COLUMNS))  # columns not simulated (run id, limits, ...) are null
    for field in SCHEMA:
        if str(field.type) == "string":
            df[field.name] = df[field.name].astype("string")
    return df


def synthetic_samples(rows: pd.DataFrame, results_dir, n_rows: int = 200, seed: int = 0,
                      collapsed: Sequence[str] = ("mean", "median")) -> int:
    """Write a sample (:mod:`imputebench.protocol.samples`) for every successful in-sample job of
    ``rows``: two numeric features and one categorical, imputed with noise around the truth, or
    collapsed onto one value for the imputers in ``collapsed`` (mode collapse, as mean imputation
    does). Returns the number of files written."""
    rng = np.random.default_rng(seed)
    ok = rows[(rows["status"] == "ok") & (rows["setting"] == "in-sample")]
    written = 0
    for job_key, imputer in zip(ok["job_key"], ok["imputer"]):
        true = pd.DataFrame({
            "alcohol": rng.gamma(4.0, 1.0, n_rows),
            "ash <b>": rng.normal(2.0, 0.3, n_rows),
            "colour": pd.Categorical(rng.choice(["red", "white", "rosé"], n_rows, p=[0.5, 0.3, 0.2])),
        })
        mask = rng.random(true.shape) > 0.3  # True = observed (PROTOCOL §2)
        imputed = true.copy()
        for col in ("alcohol", "ash <b>"):
            miss = ~mask[:, true.columns.get_loc(col)]
            if imputer in collapsed:
                imputed.loc[miss, col] = float(true.loc[~miss, col].mean())
            else:
                imputed.loc[miss, col] = true.loc[miss, col] + rng.normal(0, 0.3, int(miss.sum()))
        if imputer in collapsed:
            imputed.loc[~mask[:, 2], "colour"] = "red"
        write_samples(results_dir, str(job_key), sample_cells(true, imputed, mask, max_cells=500, rng=rng))
        written += 1
    return written
