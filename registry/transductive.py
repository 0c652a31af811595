"""What iterative imputers share: the fit table's own imputation, and seeds from ``random_state``.

An iterative imputer (chained equations, iterative SVD, EM) produces the imputation of its fit
table as a by-product of fitting. In the in-sample setting (PROTOCOL §3) the harness calls
``fit(X)`` then ``transform(X)`` on the same table; that imputation *is* the method's answer, so
``transform`` returns it instead of re-running the inductive sweeps on rows it has already imputed.
Any other table goes through the inductive path.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..imputer import check_frame, restore_observed


class RemembersFitTable:
    """Mixin: keep the fit table and its imputation; hand the imputation back for the same table."""

    def _remember_fit_table(self, X: pd.DataFrame, imputed: pd.DataFrame) -> None:
        self.fit_table_ = X.copy()
        self.fit_imputation_ = imputed

    def _recall_fit_imputation(self, X: pd.DataFrame) -> pd.DataFrame | None:
        """The fit table's imputation when ``X`` is that table (same index, columns, values, NaNs)."""
        known = getattr(self, "fit_table_", None)
        if known is None or X.shape != known.shape or not X.index.equals(known.index):
            return None
        if list(X.columns) != list(known.columns) or not X.equals(known):
            return None
        return self.fit_imputation_.copy()


class EncodedMatrixImputer(RemembersFitTable):
    """Mixin for imputers that fill the encoded matrix (EM, iterative SVD): ``fit`` ends with
    :meth:`_finish_fit`; ``transform`` recalls the fit table's imputation or calls
    ``_complete_matrix`` on the encoded table, then decodes and restores observed cells."""

    def _decoded(self, X: pd.DataFrame, filled: np.ndarray) -> pd.DataFrame:
        return restore_observed(X, self.encoder_.decode(filled, index=X.index))

    def _finish_fit(self, X: pd.DataFrame, filled: np.ndarray) -> None:
        self._remember_fit_table(X, self._decoded(X, filled))

    def _complete_matrix(self, Z: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        X = check_frame(X)
        remembered = self._recall_fit_imputation(X)
        if remembered is not None:
            return remembered
        return self._decoded(X, self._complete_matrix(self.encoder_.encode(X)))


def seed_for(random_state: int | None, *keys: int) -> int:
    """A 32-bit seed for one model (say iteration ``it``, column ``j``), derived from ``random_state``.

    Seeds depend only on ``random_state`` and the keys, so refitting one model later (a column that
    was complete at fit time) is as reproducible as the rest. ``None`` counts as 0 (PROTOCOL §4:
    randomness comes only from the harness's ``random_state``).
    """
    base = 0 if random_state is None else int(random_state)
    return int(np.random.SeedSequence([base, *keys]).generate_state(1)[0])
