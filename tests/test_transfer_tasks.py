"""The built-in transfer tasks against the real mirror (PROTOCOL §7): each splits its dataset into a
source and a target domain of at least 1,500 rows on one feature space. Skipped without the mirror."""

from __future__ import annotations

import pandas as pd
import pytest

from imputebench.datasets.transfer_tasks import BUILTIN_TASKS, MIN_TARGET_ROWS, split_domains


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(BUILTIN_TASKS))
def test_builtin_task_has_a_large_enough_target_domain(name: str, mirror, tmp_path) -> None:
    from imputebench.datasets import load_dataset

    task = BUILTIN_TASKS[name]
    ds = load_dataset(task.dataset, mirror=mirror, data_home=tmp_path, allow_network=False)
    dom = split_domains(task, ds.X, ds.y)
    assert len(dom.X_target) >= MIN_TARGET_ROWS
    assert len(dom.X_source) + len(dom.X_target) == len(ds.X)
    assert task.column not in dom.X_source.columns and list(dom.X_source.columns) == list(dom.X_target.columns)
    for c in dom.X_source.columns:  # one feature space: the same categories in both domains
        if isinstance(dom.X_source[c].dtype, pd.CategoricalDtype):
            assert dom.X_source[c].cat.categories.equals(dom.X_target[c].cat.categories)
