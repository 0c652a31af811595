"""The transfer tasks (PROTOCOL §7). The built-in ones against the real mirror: each splits its dataset
into a source and a target domain of at least 1,500 rows on one feature space (skipped without the
mirror). A task you bring, on a synthetic table: the target minimum as an option with its floor, kept
with the task, and the named tasks selected alone."""

from __future__ import annotations

import pandas as pd
import pytest

from imputebench.tracks.transfer.tasks import BUILTIN_TASKS, MIN_TARGET_ROWS, split_domains


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


# --- what a task you bring needs (no mirror: a synthetic table) -------------------------------------

def _table(n_target: int, n_source: int = 300):
    import numpy as np

    rng = np.random.default_rng(0)
    n = n_target + n_source
    X = pd.DataFrame({"region": pd.Categorical(["north"] * n_target + ["south"] * n_source),
                      "a": rng.normal(size=n), "b": rng.normal(size=n)})
    return X, pd.Series(rng.normal(size=n), name="y")


def test_the_target_minimum_is_a_task_option_with_a_floor() -> None:
    from imputebench.tracks.transfer.tasks import MIN_TEST_ROWS, TransferTask, check_min_target_rows
    from imputebench.errors import DatasetError, UsageError
    from imputebench.tracks.transfer.parts import N_TARGETS

    X, y = _table(1200)
    default = TransferTask("mine", "mydata", "region", values=("north",))
    assert default.min_target_rows == MIN_TARGET_ROWS == 1500
    with pytest.raises(DatasetError, match=r"gives 1200 target and 300 source rows; the target domain needs at least "
                                           r"1500 rows .*--min-target-rows lowers the minimum to as few as 1100"):
        split_domains(default, X, y)
    lowered = TransferTask("mine", "mydata", "region", values=("north",), min_target_rows=1200)
    dom = split_domains(lowered, X, y)
    assert len(dom.X_target) == 1200 and "region" not in dom.X_target.columns
    floor = max(N_TARGETS) + MIN_TEST_ROWS
    assert check_min_target_rows(floor) == floor
    with pytest.raises(UsageError, match=rf"at least {floor}, got 600: the target test part is the target rows minus "
                                         r"the largest n_target \(1000\)"):
        check_min_target_rows(600)


def test_a_lowered_minimum_is_stored_with_the_task_and_the_default_leaves_identities_alone(tmp_path) -> None:
    import json

    from imputebench.tracks.transfer.tasks import TransferTask, add_user_task, get_task
    from imputebench.errors import UsageError

    add_user_task(tmp_path, TransferTask("small", "mydata", "region", values=("north",), min_target_rows=1200))
    add_user_task(tmp_path, TransferTask("plain", "mydata", "region", values=("north",)))
    stored = json.loads((tmp_path / "transfer_tasks.json").read_text())
    assert stored["small"]["min_target_rows"] == 1200 and "min_target_rows" not in stored["plain"]
    assert get_task("small", tmp_path).min_target_rows == 1200 and get_task("plain", tmp_path).min_target_rows == 1500
    assert BUILTIN_TASKS["adult-sex"].to_dict() == {"name": "adult-sex", "dataset": "adult", "column": "sex",
                                                    "values": ("Female",), "threshold": None,
                                                    "note": "source: men, target: women"}  # the gap cache's key
    with pytest.raises(UsageError, match="--min-target-rows"):
        add_user_task(tmp_path, TransferTask("tiny", "mydata", "region", values=("north",), min_target_rows=50))


def test_only_the_named_tasks_are_selected(tmp_path) -> None:
    from imputebench.tracks.transfer.tasks import select_tasks
    from imputebench.errors import UsageError

    assert [t.name for t in select_tasks(["magic-hadron"], tmp_path)] == ["magic-hadron"]
    assert [t.name for t in select_tasks([], tmp_path)] == sorted(BUILTIN_TASKS)
    with pytest.raises(UsageError, match=r"unknown transfer tasks 'nope', 'nada'; valid: adult-sex"):
        select_tasks(["nope", "magic-hadron", "nada"], tmp_path)
