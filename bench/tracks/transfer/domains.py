"""The transfer track's data edge (PROTOCOL §7): a task's domains from its dataset, the domain gap
(cached in the data home), and what ``imputebench transfer`` lists and checks."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from ...harness.job import DataSource
from .parts import part_rows, target_test_rows


@dataclass(frozen=True)
class TaskDomains:
    """A task's complete source and target rows, as the driver loads them once and ships them."""

    task: Any  # imputebench.tracks.transfer.tasks.TransferTask
    domains: Any  # imputebench.tracks.transfer.tasks.Domains
    target_kind: str | None
    checksum: str  # the dataset's canonical table

    @property
    def source_rows(self) -> int:
        return len(self.domains.X_source)

    @property
    def target_rows(self) -> int:
        return len(self.domains.X_target)

    @property
    def features(self) -> int:
        return self.domains.X_target.shape[1]

    def max_n_target(self) -> int:
        """The largest ``n_target`` the target domain allows beside its test set (PROTOCOL §7)."""
        return self.target_rows - target_test_rows(self.target_rows)

    def mask_shape(self, n_target: int, max_source_rows: int | None) -> tuple[int, int]:
        """The stacked parts' mask shape (the driver checks stored masks by it)."""
        rows = part_rows(self.source_rows, self.target_rows, n_target, max_source_rows)
        return sum(rows.values()), self.features


@lru_cache(maxsize=4)
def load_domains(task_name: str, source: DataSource) -> TaskDomains:
    """A task's domains, from the complete canonical table of its dataset."""
    from ...datasets import data_home, load_dataset
    from .tasks import get_task, split_domains

    task = get_task(task_name, data_home(source.data_home))
    ds = load_dataset(task.dataset, mirror=source.mirror, data_home=source.data_home,
                      allow_network=source.allow_network)
    return TaskDomains(task, split_domains(task, ds.X, ds.y), ds.target_kind, ds.checksum)


def domain_gap_auc(X_source: pd.DataFrame, X_target: pd.DataFrame, *, max_rows: int = 2000, folds: int = 5,
                   seed: int = 0) -> float:
    """PROTOCOL §7: the cross-validated ROC AUC of a classifier telling complete source rows from complete
    target rows (0.5: indistinguishable, 1: disjoint). Gradient-boosted trees with native categories on
    at most ``max_rows`` rows of each domain, stratified ``folds``-fold."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    rng = np.random.default_rng(seed)

    def sample(X: pd.DataFrame) -> pd.DataFrame:
        return X.iloc[np.sort(rng.permutation(len(X))[:max_rows])]

    X = pd.concat([sample(X_source), sample(X_target)], ignore_index=True)
    y = np.r_[np.zeros(min(max_rows, len(X_source))), np.ones(min(max_rows, len(X_target)))]
    model = HistGradientBoostingClassifier(max_iter=100, categorical_features="from_dtype", random_state=seed)
    cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
    return float(cross_val_score(model, X, y, cv=cv, scoring="roc_auc").mean())


def domain_gap(domains: TaskDomains, data_home: str | None) -> float:
    """The task's domain-gap AUC (PROTOCOL §7), cached in the data home by task, rule and table checksum."""
    from ...datasets import data_home as home_of

    ident = json.dumps([domains.task.to_dict(), domains.checksum], sort_keys=True)
    path = home_of(data_home) / "transfer" / f"gap-{hashlib.sha256(ident.encode()).hexdigest()[:16]}.json"
    if path.is_file():
        return float(json.loads(path.read_text())["auc"])
    auc = domain_gap_auc(domains.domains.X_source, domains.domains.X_target)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"task": domains.task.name, "checksum": domains.checksum, "auc": auc}))
    except OSError:  # a read-only data home must not stop a run
        pass
    return auc


def task_summary(task_name: str, source: DataSource) -> dict[str, Any]:
    """What ``transfer tasks`` lists: dataset, rule, domain sizes, domain gap."""
    d = load_domains(task_name, source)
    return {"task": d.task.name, "dataset": d.task.dataset, "rule": d.task.rule, "source_rows": d.source_rows,
            "target_rows": d.target_rows, "features": d.features, "target_kind": d.target_kind,
            "domain_gap_auc": round(domain_gap(d, source.data_home), 4), "note": d.task.note,
            "dataset_checksum": d.checksum}


def user_task_check(task: Any, source: DataSource) -> dict[str, Any]:
    """Split the task's dataset by its rule (raising a one-line error when it does not give a usable
    target domain); the sizes, for ``transfer add`` to print."""
    from ...datasets import load_dataset
    from .tasks import split_domains

    ds = load_dataset(task.dataset, mirror=source.mirror, data_home=source.data_home,
                      allow_network=source.allow_network)
    dom = split_domains(task, ds.X, ds.y)
    return {"source_rows": len(dom.X_source), "target_rows": len(dom.X_target)}


__all__ = ["TaskDomains", "domain_gap", "domain_gap_auc", "load_domains", "task_summary",
           "user_task_check"]
