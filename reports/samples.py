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
