"""Random forests for MissForest: trees kept only while they are needed, threads that work in workers.

MissForest fits one forest per column and sweep and uses it once during the fit: to predict that
column's missing cells. Only the last kept sweep's forests can be used again (on new rows,
PROTOCOL §3), and only if new rows come. Holding their trees in the meantime costs what they
weigh (fully grown trees on Letter's 16,000 observed rows: about 9,000 nodes each, 60 MB a forest
of 100, 1 GB for 16 columns, twice that while the next sweep is built beside the kept one) for a
use that the in-sample setting never makes.

:class:`RebuildableForest` wraps an unfitted scikit-learn forest: ``fit`` fits it and keeps the
training matrix (float32, the dtype scikit-learn's trees split on), the target and, through the
forest's ``random_state``, the seed; with ``drop_trees`` the first ``predict`` (the fit's own)
drops the trees. A later ``predict`` refits from what was kept, which gives the same trees bit for
bit (a scikit-learn forest is a deterministic function of its data and ``random_state``, whatever
``n_jobs``), and keeps them for further calls. So a fit holds one forest at a time, and new rows
cost one refit per column once.

Threads: a forest's ``n_jobs`` trees are grown by joblib's threading backend, chosen explicitly.
Under joblib's default backend scikit-learn asks how many jobs it may run and, in a daemonic
worker process (the harness's workers are), is told 1 with a warning, so ``n_jobs`` did nothing there.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from joblib import parallel_config
from sklearn.base import BaseEstimator, clone


class RebuildableForest(BaseEstimator):
    """A forest grown and applied on joblib threads; with ``drop_trees``, its trees are dropped after
    the first prediction and rebuilt, identical, when it is asked again."""

    def __init__(self, forest: Any, drop_trees: bool = True) -> None:
        self.forest = forest
        self.drop_trees = drop_trees

    def fit(self, X: np.ndarray, y: np.ndarray) -> "RebuildableForest":
        self.X_ = np.asarray(X, dtype=np.float32)
        self.y_ = np.asarray(y)
        self.fitted_: Any | None = self._grow()
        self.n_predictions_ = 0
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        if self.fitted_ is None:
            self.fitted_ = self._grow()
        with parallel_config(backend="threading"):
            prediction = self.fitted_.predict(X)
        self.n_predictions_ += 1
        if self.drop_trees and self.n_predictions_ == 1:
            self.fitted_ = None  # the fit's own use; the trees are rebuilt if new rows come
        return prediction

    def _grow(self) -> Any:
        with parallel_config(backend="threading"):
            return clone(self.forest).fit(self.X_, self.y_)
