"""The transfer track's pure logic (PROTOCOL §7): the parts of a task, which rows each strategy
fits on, the transfer gain with its interval over seeds, and the domain gap.

Nothing here reads or writes files; :mod:`imputebench.transfer_job` is the edge (datasets, stored
masks, the store).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from .imputer_info import split_adapt_params  # noqa: F401  (the track's budget split, kept light)
from .masks import job_seed

STRATEGIES = ("target-only", "source-only", "pooled", "fine-tune")  # PROTOCOL §7
N_TARGETS = (50, 200, 1000)  # PROTOCOL §7 scarcity
MAX_TEST_ROWS = 2000  # PROTOCOL §7: the target test set has at most this many rows
PARTS = ("source", "target-train", "target-test")


@dataclass(frozen=True)
class Part:
    """Complete rows of one part of a task, and their labels."""

    X: pd.DataFrame
    y: pd.Series | None


@dataclass(frozen=True)
class TaskParts:
    """PROTOCOL §7: the source, the target train set (``n_target`` rows) and the target test set."""

    source: Part
    target_train: Part
    target_test: Part

    def part(self, name: str) -> Part:
        return {"source": self.source, "target-train": self.target_train, "target-test": self.target_test}[name]


def rows_seed(task: str, seed: int) -> int:
    """The seed of a task's row draws (test set, target train sets, source subsample)."""
    key = f"{task}|rows|{int(seed)}".encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "little") >> 1


def mask_seed(task: str, part: str, mechanism: str, rate: float, seed: int) -> int:
    """PROTOCOL §7: each part's mask from a seed derived from (task, part, mechanism, rate, seed)."""
    return job_seed(f"{task}|{part}", mechanism, rate, seed)


def _draw(n: int, size: int, y: pd.Series | None, rng: np.random.Generator) -> np.ndarray:
    """``size`` of ``n`` positions, stratified by ``y`` when it is a class every value of which can
    appear twice; sorted."""
    from sklearn.model_selection import train_test_split

    if size >= n:
        return np.arange(n)
    strat = None
    if y is not None and isinstance(y.dtype, pd.CategoricalDtype):
        counts = y.value_counts()
        counts = counts[counts > 0]
        if counts.min() >= 2 and counts.size <= min(size, n - size):
            strat = y.to_numpy()
    idx, _ = train_test_split(np.arange(n), train_size=size, stratify=strat,
                              random_state=int(rng.integers(2 ** 31)))
    return np.sort(idx)


def target_test_rows(target_rows: int) -> int:
    """PROTOCOL §7: the target test part's size, the same for every ``n_target``."""
    return min(MAX_TEST_ROWS, target_rows - max(N_TARGETS))


def part_rows(source_rows: int, target_rows: int, n_target: int, max_source_rows: int | None) -> dict[str, int]:
    """Rows of each part (:data:`PARTS` order) that :func:`draw_parts` gives, known without drawing."""
    return {"source": min(source_rows, max_source_rows or source_rows), "target-train": n_target,
            "target-test": target_test_rows(target_rows)}


def draw_parts(X_source: pd.DataFrame, y_source: pd.Series | None, X_target: pd.DataFrame,
               y_target: pd.Series | None, *, task: str, n_target: int, seed: int,
               max_source_rows: int | None) -> TaskParts:
    """PROTOCOL §7 scarcity. The target test set is drawn first, ``min(2000, target rows - max(N_TARGETS))``
    rows, so it is the same for every ``n_target`` of a seed; the target train set is then
    ``n_target`` rows of the rest; the source is the whole source domain, at most ``max_source_rows``.
    Draws are stratified when the target is a class."""
    rng = np.random.default_rng(rows_seed(task, seed))
    n_t = len(X_target)
    n_test = target_test_rows(n_t)
    if n_test < 1 or n_target > n_t - n_test:
        raise ValueError(f"{task}: {n_t} target rows cannot give a test set and {n_target} train rows")
    test = _draw(n_t, n_test, y_target, rng)
    pool = np.setdiff1d(np.arange(n_t), test)
    y_pool = None if y_target is None else y_target.iloc[pool]
    train = pool[_draw(len(pool), n_target, y_pool, rng)]
    src = _draw(len(X_source), max_source_rows or len(X_source), y_source, rng)

    def part(X: pd.DataFrame, y: pd.Series | None, idx: np.ndarray) -> Part:
        return Part(X.iloc[idx], None if y is None else y.iloc[idx])

    return TaskParts(part(X_source, y_source, src), part(X_target, y_target, train),
                     part(X_target, y_target, test))


def supports_adapt(imputer_or_class: Any) -> bool:
    """The optional transfer contract (PROTOCOL §7): an ``adapt(X, y=None, **budget)`` method."""
    return callable(getattr(imputer_or_class, "adapt", None))


def fit_strategy(make_imputer: Callable[[], Any], strategy: str, source: Part, target_train: Part,
                 budget: Mapping[str, Any] | None = None, uses_labels: bool = False) -> Any:
    """A fitted imputer for ``strategy`` (PROTOCOL §7), given the *masked* source and target train parts:
    ``target-only`` fits on the target train rows only, ``source-only`` on the source rows only,
    ``pooled`` on both, ``fine-tune`` fits on the source and then ``adapt``s on the target train rows."""
    imputer = make_imputer()

    def labels(part: Part) -> pd.Series | None:
        return part.y if uses_labels else None

    if strategy == "target-only":
        return imputer.fit(target_train.X, labels(target_train))
    if strategy == "source-only":
        return imputer.fit(source.X, labels(source))
    if strategy == "pooled":
        X = pd.concat([source.X, target_train.X])
        y = None if not uses_labels or source.y is None else pd.concat([source.y, target_train.y])
        return imputer.fit(X, y)
    if strategy == "fine-tune":
        if not supports_adapt(imputer):
            raise ValueError(f"{type(imputer).__name__} has no adapt(X, y=None): the fine-tune strategy needs "
                             "the transfer contract (PROTOCOL §7)")
        imputer.fit(source.X, labels(source))
        imputer.adapt(target_train.X, labels(target_train), **dict(budget or {}))
        return imputer
    raise ValueError(f"unknown strategy {strategy!r}; valid: {', '.join(STRATEGIES)}")


# -- transfer gain ---------------------------------------------------------------------------------
MASK_KEYS = ["task", "n_target", "mechanism", "rate", "seed", "imputer"]
CELL_KEYS = ["task", "n_target", "mechanism", "rate", "imputer", "strategy"]


def transfer_gain(rows: pd.DataFrame, metric: str = "armse") -> pd.DataFrame:
    """PROTOCOL §7: ``TG = 1 - e(strategy) / e(target-only)`` per mask (task, n_target, mechanism,
    rate, seed) and imputer. Only ``ok`` jobs count (a diverged or failed one on either side makes
    that mask's gain missing, PROTOCOL §6). Returns MASK_KEYS + strategy, metric, ``gain``."""
    cols = MASK_KEYS + ["strategy", metric]
    ok = rows.loc[(rows["track"] == "transfer") & (rows["status"] == "ok"), cols]
    base = ok[ok["strategy"] == "target-only"].drop(columns="strategy").rename(columns={metric: "baseline"})
    out = rows.loc[rows["track"] == "transfer", MASK_KEYS + ["strategy"]].merge(
        ok, on=MASK_KEYS + ["strategy"], how="left").merge(base, on=MASK_KEYS, how="left")
    with np.errstate(divide="ignore", invalid="ignore"):
        out["gain"] = 1.0 - out[metric] / out["baseline"]
    # e / e is 1 also when both are 0 (a perfect target-only fit): the gain of the baseline is exactly 0.
    out.loc[(out["strategy"] == "target-only") & out["baseline"].notna(), "gain"] = 0.0
    return out.drop(columns="baseline").reset_index(drop=True)


def summarise_gain(gains: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Mean transfer gain over seeds with a t-interval (scipy), per CELL_KEYS. ``negative``: the
    interval lies entirely below 0 (PROTOCOL §7 negative transfer). An interval from one seed is NaN."""
    from scipy import stats

    def one(g: pd.Series) -> pd.Series:
        v = g.dropna().to_numpy(dtype=float)
        n = v.size
        mean = float(v.mean()) if n else np.nan
        lo = hi = np.nan
        if n >= 2:
            sem = float(v.std(ddof=1)) / np.sqrt(n)
            half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * sem
            lo, hi = mean - half, mean + half
        return pd.Series({"gain_mean": mean, "gain_low": lo, "gain_high": hi, "n_seeds": n})

    if gains.empty:
        return pd.DataFrame(columns=CELL_KEYS + ["gain_mean", "gain_low", "gain_high", "n_seeds", "negative"])
    out = gains.groupby(CELL_KEYS, sort=True)["gain"].apply(one).unstack().reset_index()
    out["n_seeds"] = out["n_seeds"].astype(int)
    out["negative"] = out["gain_high"] < 0
    return out


# -- domain gap ------------------------------------------------------------------------------------
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
