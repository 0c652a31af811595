"""A small, bounded side-output of each job: true vs imputed values at a sample of masked cells.

Job rows hold scores only; the site's histograms (is an imputer collapsing a feature onto one mode?)
need values. A job returns, beside its row, at most ``max_cells`` masked cells of each of the first
``max_features`` features that have a masked cell (:func:`sample_cells`); the result store writes
them to ``results/samples/<digest>.parquet`` (:func:`sample_path`). A few kB per job, encoded as
parquet bytes in the worker (:func:`encode_samples`), so the driver only writes bytes.

Pure and light: imported by workers, which never import :mod:`imputebench.reports`.
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import numpy as np
import pandas as pd

SAMPLES_DIRNAME = "samples"
# One schema for numeric and categorical features: the numeric pair or the label pair is filled.
SAMPLE_COLUMNS = ("feature", "categorical", "true_value", "imputed_value", "true_label", "imputed_label")


def sample_cells(X_true: pd.DataFrame, X_imputed: pd.DataFrame, mask: np.ndarray, max_cells: int = 500,
                 rng: np.random.Generator | None = None, max_features: int = 3) -> pd.DataFrame:
    """Up to ``max_cells`` masked cells (``mask`` False = missing, PROTOCOL §2) per feature, for the
    first ``max_features`` features that have a masked cell; columns :data:`SAMPLE_COLUMNS`."""
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != X_true.shape or X_imputed.shape != X_true.shape:
        raise ValueError(f"shapes differ: X_true {X_true.shape}, X_imputed {X_imputed.shape}, mask {mask.shape}")
    rng = np.random.default_rng(0) if rng is None else rng
    parts: list[pd.DataFrame] = []
    for j, column in enumerate(X_true.columns):
        if len(parts) == max_features:
            break
        missing_rows = np.flatnonzero(~mask[:, j])
        if missing_rows.size == 0:
            continue
        if missing_rows.size > max_cells:
            missing_rows = np.sort(rng.choice(missing_rows, size=max_cells, replace=False))
        true = X_true.iloc[missing_rows, j]
        imputed = X_imputed.iloc[missing_rows, j]
        categorical = isinstance(X_true[column].dtype, pd.CategoricalDtype)
        n = missing_rows.size
        parts.append(pd.DataFrame({
            "feature": pd.Series([str(column)] * n, dtype="string"),
            "categorical": np.full(n, categorical),
            "true_value": np.full(n, np.nan) if categorical else true.to_numpy(dtype=float),
            "imputed_value": np.full(n, np.nan) if categorical else imputed.to_numpy(dtype=float),
            "true_label": pd.Series(true.astype("string").to_numpy() if categorical else [None] * n, dtype="string"),
            "imputed_label": pd.Series(imputed.astype("string").to_numpy() if categorical else [None] * n,
                                       dtype="string"),
        }))
    if not parts:
        return empty_samples()
    return pd.concat(parts, ignore_index=True)


def empty_samples() -> pd.DataFrame:
    return pd.DataFrame({
        "feature": pd.Series([], dtype="string"), "categorical": pd.Series([], dtype=bool),
        "true_value": pd.Series([], dtype=float), "imputed_value": pd.Series([], dtype=float),
        "true_label": pd.Series([], dtype="string"), "imputed_label": pd.Series([], dtype="string"),
    })


def sample_path(results_dir: str | os.PathLike, job_key: str) -> Path:
    """Where a job's sample lives: ``<results_dir>/samples/<sha256(job_key)[:24]>.parquet``
    (a digest, because a job key may hold characters a file name cannot)."""
    digest = hashlib.sha256(job_key.encode("utf-8")).hexdigest()[:24]
    return Path(results_dir) / SAMPLES_DIRNAME / f"{digest}.parquet"


def encode_samples(job_key: str, samples: pd.DataFrame) -> bytes:
    """One job's sample as the bytes of its parquet file (with a ``job_key`` column), in memory."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = samples.assign(job_key=pd.Series([job_key] * len(samples), dtype="string", index=samples.index))
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), buffer)
    return buffer.getvalue()
