"""What iterative imputers share: the fit table's own imputation, and seeds from ``random_state``.

An iterative imputer (chained equations, iterative SVD, EM) produces the imputation of its fit
table as a by-product of fitting. In the in-sample setting (PROTOCOL §3) the harness calls
``fit_transform(X)``; that imputation *is* the method's answer, so these imputers override
``_fit_transform`` to return it instead of re-running the inductive sweeps on rows they have
already imputed. ``transform`` is always the inductive path.
"""

from __future__ import annotations

import numpy as np
import pandas as pd



class EncodedMatrixImputer:
    """Mixin for imputers that fill the encoded matrix (EM, iterative SVD): ``_fit`` ends with
    :meth:`_finish_fit`; ``fit_transform`` returns the fit's own imputation, ``transform`` calls
    ``_complete_matrix`` on the encoded table; both decode (the base class restores observed cells)."""

    def _decoded(self, X: pd.DataFrame, filled: np.ndarray) -> pd.DataFrame:
        return self.encoder_.decode(filled, index=X.index)

    def _finish_fit(self, X: pd.DataFrame, filled: np.ndarray) -> None:
        self._fit_filled = filled  # handed to _fit_transform, then dropped

    def _complete_matrix(self, Z: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def _fit_transform(self, X: pd.DataFrame, y: pd.Series | None) -> pd.DataFrame:
        self._fit(X, y)
        filled = self.__dict__.pop("_fit_filled")
        return self._decoded(X, filled)

    def _transform(self, X: pd.DataFrame) -> pd.DataFrame:
        self.__dict__.pop("_fit_filled", None)
        return self._decoded(X, self._complete_matrix(self.encoder_.encode(X)))


def seed_for(random_state: int | None, *keys: int) -> int:
    """A 32-bit seed for one model (say iteration ``it``, column ``j``), derived from ``random_state``.

    Seeds depend only on ``random_state`` and the keys, so refitting one model later (a column that
    was complete at fit time) is as reproducible as the rest. ``None`` counts as 0 (PROTOCOL §4:
    randomness comes only from the harness's ``random_state``).
    """
    base = 0 if random_state is None else int(random_state)
    return int(np.random.SeedSequence([base, *keys]).generate_state(1)[0])
