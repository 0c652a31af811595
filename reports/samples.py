"""Reading the samples of true vs imputed cells that the runner kept per job (for the site's histograms).

What a sample is and where it lives: :mod:`imputebench.protocol.samples`; the result store writes them.
"""

from __future__ import annotations

import os
from typing import Iterable

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..protocol.samples import SAMPLE_COLUMNS, empty_samples, sample_cells, sample_path  # noqa: F401 (re-exported)
from ..harness.store import write_samples  # noqa: F401 (re-exported)


def read_samples(results_dir: str | os.PathLike, job_keys: Iterable[str]) -> pd.DataFrame:
    """The samples of the given jobs (those that have one), with a ``job_key`` column; reads only
    those files, so a site over a large store stays fast."""
    tables = []
    for key in dict.fromkeys(job_keys):
        path = sample_path(results_dir, key)
        if path.exists():
            tables.append(pq.read_table(path))
    if not tables:
        return empty_samples().assign(job_key=pd.Series([], dtype="string"))
    return pa.concat_tables(tables, promote_options="default").to_pandas()  # one conversion, not one per file


def samples_with(results_dir: str | os.PathLike, rows: pd.DataFrame, extra: pd.DataFrame) -> pd.DataFrame:
    """The samples the histograms of ``rows`` show (:func:`.facts.reference_jobs`), read from the
    results folder, with ``extra`` (samples from elsewhere: a reference set's) beside them."""
    from .facts import reference_jobs

    keys = set(reference_jobs(rows)["job_key"])
    here = read_samples(results_dir, sorted(keys - set(extra["job_key"])))
    parts = [p for p in (here, extra[extra["job_key"].isin(keys)]) if len(p)]
    return pa.concat_tables([pa.Table.from_pandas(p, preserve_index=False) for p in parts],
                            promote_options="default").to_pandas() if parts else here
