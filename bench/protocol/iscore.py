"""The energy-I-Score: how good an imputation method is on a table, measured without its missing values.

Näf, Grzesiak & Scornet (2025), "How to rank imputation methods?", arXiv:2507.11297, as the authors'
R package ``Iscores`` (``energy_IScore``, version 1.2) computes it. It succeeds the density-ratio
I-Score of Näf, Spohn, Michel & Meinshausen (2023), "Imputation scores", Ann. Appl. Stat. 17(3),
which needs random projections and a random-forest classifier per projection; the energy version
needs only the imputer itself and a closed-form score, and the paper shows it proper under its
missingness assumption (see below). PROTOCOL §10 (c) asks for one of the two.

For every column j with missing cells (most missing first):

1. ``O_j``: the other columns that are observed on every row where j is observed. When there is none
   (typical under MCAR or self-masking, where every column has holes), the column ``k*`` observed
   most often on those rows is taken, and only rows where both j and ``k*`` are observed are tested.
2. A table of column j and ``O_j``: on the test rows (j observed) column j is blanked; on the rows
   where j was missing it holds the imputation being scored. The same method imputes this table
   ``N`` times; so a method can only predict the held-out values well if its own imputations carry
   the conditional distribution of ``X_j`` given ``X_{O_j}``.
3. Each test row scores its N draws against the held-out value with the energy score, the CRPS for a
   numeric column (``mean|D - x| - mean|D - D'| / 2``) and, as the package does for a factor, the
   multivariate energy score of the one-hot vectors for a categorical one. Numeric columns are on
   the [0, 1] min-max scale of their observed values (the scale of PROTOCOL §5, taken from the
   observed cells, as there is no complete column here).
4. The score is the mean over test rows, and the table's score the average of the column scores
   weighted by ``w_j = (m_j / n)(1 - m_j / n)`` (``m_j`` the column's missing count).

**Lower is better** (a CRPS); only differences between methods on the same table mean anything.

**Propriety.** The paper proves the score proper under a missingness condition of its own; in our
words (a summary, not its statement): for each scored j, ``X_j`` is independent of its own
missingness given ``X_{O_j}``. That holds under MCAR, and under MAR when the missingness of j depends
only on columns that are always observed, as PROTOCOL §2's ``mar`` draws it (those columns are in
every ``O_j``). Then the held-out values are a sample of the same conditional distribution as the
missing ones, and a method that draws from the true conditional distribution has the lowest expected
score. Under self-masking MNAR the held-out values are not such a sample and nothing is promised;
tests/benchmarks/iscore_validation.md measures how the ranking holds up per mechanism.

**Draws.** Properness is about draws from the imputation distribution. Three cases:

- an imputer with PROTOCOL §9's ``sample(X, m, random_state)``: pass it as ``sample``; its ``N``
  draws come from one fit;
- a stochastic imputer without it: the table is imputed ``N`` times with different seeds (the
  package calls its imputation function ``N`` times the same way);
- a deterministic imputer (conditional means, k-NN averages): its draws are all equal, the energy
  score degenerates to the absolute error of a point prediction and the method pays for claiming
  certainty. The first two draws of a column are compared; if they are equal the column uses that
  one draw (no further fits, the same score as ``N`` equal draws).

**Departures from the package** (each said where it is done): rows dropped in step 1 because ``k*``
is missing are left out, as its documentation says ("skipped"); its code puts them into the training
rows, which ``skipped_rows="train"`` reproduces. Numeric columns are min-max scaled (the package's
default is unscaled, so a column in large units dominates). The table's rows keep their order (the
package stacks the test rows above the others). The table's score is the weighted mean over the
columns that were scored; the package divides by the weights of all columns with missing cells, so a
column it could not score counts as a perfect 0 there.

**Budget** (the knobs of :func:`energy_iscore`): ``n_draws`` (the package's default is
:data:`PAPER_DRAWS` = 50; :data:`DEFAULT_DRAWS` = 10 here, a cut for cost: the sample CRPS of N draws
is biased upwards by about ``E|D - D'| / 2N``, so fewer draws favour point predictions a little;
tests/benchmarks/iscore_validation.md compares 10 with 50); ``max_rows`` (rows subsampled with the
seed, :data:`MAX_ROWS`); ``max_columns`` (the package's ``max_length``: only the columns with the
most missing cells); a column with fewer than :data:`MIN_MISSING` missing cells is not scored, as in
the package.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

ImputeFn = Callable[[pd.DataFrame, int], pd.DataFrame]  # (incomplete table, seed) -> completed table
SampleFn = Callable[[pd.DataFrame, int, int], Sequence[pd.DataFrame]]  # (table, m, seed) -> m tables
SkippedRows = Literal["drop", "train"]

PAPER_DRAWS = 50  # Iscores::energy_IScore(N = 50)
DEFAULT_DRAWS = 10
MAX_ROWS = 2000
MIN_MISSING = 10  # Iscores: "sample size of missing and nonmissing too small", score NA
_SEED_BOUND = 2**31 - 1
_SQRT2 = float(np.sqrt(2.0))


@dataclass(frozen=True)
class ColumnScore:
    """One column's part of the score; ``score`` is NaN, with ``reason``, when it was not scored."""

    column: str
    weight: float
    score: float
    n_test: int
    n_train: int
    predictors: tuple[str, ...]
    draws: int
    reason: str = ""


@dataclass(frozen=True)
class IScore:
    """The energy-I-Score of one method on one table (lower is better) and its columns' parts."""

    score: float
    columns: tuple[ColumnScore, ...]
    n_rows: int
    deterministic: bool  # every scored column's first two draws were equal

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([c.__dict__ for c in self.columns])


def imputation_fn(make_imputer: Callable[[int], Any]) -> ImputeFn:
    """An :data:`ImputeFn` from a factory of unfitted imputers (seed -> imputer with ``fit_transform``)."""

    def impute(X: pd.DataFrame, seed: int) -> pd.DataFrame:
        return make_imputer(seed).fit_transform(X)

    return impute


def crps_sample(observed: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """Per row, the sample CRPS of ``draws`` (rows x N) at ``observed``:
    ``mean_k |d_k - x| - (1 / 2N^2) sum_kl |d_k - d_l|`` (Gneiting & Raftery 2007; scoringRules'
    ``crps_sample``, the package's choice)."""
    n_draws = draws.shape[1]
    spread = np.abs(draws - observed[:, None]).mean(axis=1)
    ordered = np.sort(draws, axis=1)
    # sum_kl |d_k - d_l| over sorted draws = 2 sum_k (2k - N + 1) d_(k), k = 0..N-1
    pairs = 2.0 * (ordered * (2.0 * np.arange(n_draws) - n_draws + 1.0)).sum(axis=1)
    return spread - pairs / (2.0 * n_draws**2)


def categorical_energy_score(observed: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """Per row, the energy score of one-hot ``draws`` (rows x N labels) at the one-hot ``observed``
    label: one-hot vectors are sqrt(2) apart when the labels differ and 0 apart otherwise."""
    n_draws = draws.shape[1]
    miss = (draws != observed[:, None]).mean(axis=1)
    disagree = np.array([n_draws**2 - (np.unique(row, return_counts=True)[1] ** 2).sum() for row in draws])
    return _SQRT2 * (miss - disagree / (2.0 * n_draws**2))


def predictor_rows(observed: np.ndarray, j: int) -> tuple[np.ndarray, list[int]]:
    """Step 1: the test rows (``observed``: rows x columns, True = observed) and ``O_j`` for column j."""
    test = observed[:, j].copy()
    others = [k for k in range(observed.shape[1]) if k != j]
    predictors = [k for k in others if observed[test, k].all()]
    if not predictors and others:
        # The package's skip_if_needed: the column seen most often where j is seen, and only the rows
        # where both are seen are tested.
        best = others[int(np.argmax(observed[test][:, others].sum(axis=0)))]
        test &= observed[:, best]
        predictors = [k for k in others if observed[test, k].all()]
    return test, predictors


@dataclass(frozen=True)
class _Setup:
    """What every column's score needs: the (subsampled) tables and how to draw."""

    X: pd.DataFrame
    X_imputed: pd.DataFrame
    observed: np.ndarray
    impute: ImputeFn | None
    sample: SampleFn | None
    skipped_rows: SkippedRows


class _Column:
    """Steps 2-3 for one column: the held-out table, its draws and their score."""

    def __init__(self, setup: _Setup, j: int) -> None:
        X, observed = setup.X, setup.observed
        self.name = str(X.columns[j])
        self.categorical = isinstance(X.dtypes.iloc[j], pd.CategoricalDtype)
        self.test, predictors = predictor_rows(observed, j)
        # The package's code trains on every row it does not test; its documentation skips them.
        self.train = ~self.test if setup.skipped_rows == "train" else ~observed[:, j]
        self.predictors = tuple(str(X.columns[k]) for k in predictors)
        keep = np.flatnonzero(self.test | self.train)
        columns = sorted([j, *predictors])
        table = setup.X_imputed.iloc[keep, columns].reset_index(drop=True)
        self.position = columns.index(j)
        self.test_rows = np.flatnonzero(self.test[keep])
        # Held out: the observed values, blanked in the table the method imputes again.
        self.held_out = X.iloc[keep[self.test_rows], j].to_numpy()
        table.iloc[self.test_rows, self.position] = np.nan
        self.table = table

    def draw(self, impute: ImputeFn | None, sample: SampleFn | None, seeds: np.ndarray) -> list[np.ndarray]:
        if sample is not None:
            tables = list(sample(self.table.copy(), len(seeds), int(seeds[0])))
            return [self._test_values(t) for t in tables]
        draws = [self._test_values(impute(self.table.copy(), int(seeds[0])))]
        for seed in seeds[1:]:
            draws.append(self._test_values(impute(self.table.copy(), int(seed))))
            if len(draws) == 2 and _equal(draws[0], draws[1]):
                return draws[:1]  # deterministic: N equal draws score as this one
        return draws

    def _test_values(self, completed: pd.DataFrame) -> np.ndarray:
        values = completed.iloc[self.test_rows, self.position]
        if values.isna().any():
            raise ValueError("the imputation left held-out cells missing")
        return values.to_numpy()

    def score(self, draws: list[np.ndarray], lo: float, hi: float) -> float:
        if self.categorical:
            labels = np.column_stack([np.asarray(d, dtype=object).astype(str) for d in draws])
            return float(categorical_energy_score(np.asarray(self.held_out, dtype=object).astype(str), labels).mean())
        span = hi - lo if hi > lo else 1.0
        D = (np.column_stack(draws).astype(float) - lo) / span
        return float(crps_sample((self.held_out.astype(float) - lo) / span, D).mean())


def _equal(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.array_equal(np.asarray(a, dtype=object), np.asarray(b, dtype=object)))


def _check_inputs(X: pd.DataFrame, X_imputed: pd.DataFrame | None, n_draws: int, max_rows: int) -> None:
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"energy_iscore takes the incomplete table as a pandas DataFrame, got {type(X).__name__}")
    if X_imputed is not None and (X_imputed.shape != X.shape or list(X_imputed.columns) != list(X.columns)):
        raise ValueError(f"X_imputed {X_imputed.shape} must have the rows and columns of X {X.shape}")
    if n_draws < 1 or max_rows < 2:
        raise ValueError(f"n_draws ({n_draws}) must be >= 1 and max_rows ({max_rows}) >= 2")


def energy_iscore(
    X: pd.DataFrame,
    impute: ImputeFn | None,
    *,
    X_imputed: pd.DataFrame | None = None,
    sample: SampleFn | None = None,
    n_draws: int = DEFAULT_DRAWS,
    max_rows: int = MAX_ROWS,
    max_columns: int | None = None,
    skipped_rows: SkippedRows = "drop",
    random_state: int = 0,
) -> IScore:
    """The energy-I-Score of a method on the incomplete table ``X`` (lower is better; module doc).

    ``impute(X, seed)`` fills a table; ``X_imputed`` is the imputation to score (by default
    ``impute(X, seed)``, on all rows, before any subsample); ``sample(X, m, seed)``, when given,
    supplies the draws instead of ``N`` seeded calls of ``impute``. ``skipped_rows="train"`` puts the
    rows that step 1's fallback leaves untested into the training rows, as the package's code does.
    The same ``random_state`` gives the same score for a method whose output is a function of its seed.
    """
    if impute is None and (sample is None or X_imputed is None):
        raise ValueError("energy_iscore needs impute, or both sample and X_imputed")
    _check_inputs(X, X_imputed, n_draws, max_rows)
    rng = np.random.default_rng(random_state)
    impute_seed = int(rng.integers(_SEED_BOUND))
    draw_seeds = rng.integers(_SEED_BOUND, size=(X.shape[1], n_draws))
    if X_imputed is None:
        X_imputed = impute(X.copy(), impute_seed)
    rows = np.arange(len(X))
    if len(X) > max_rows:
        rows = np.sort(rng.choice(len(X), size=max_rows, replace=False))
    scales = _observed_ranges(X)
    X = X.iloc[rows]
    setup = _Setup(X, X_imputed.iloc[rows], X.notna().to_numpy(), impute, sample, skipped_rows)
    n = len(X)
    missing = n - setup.observed.sum(axis=0)
    order = [j for j in np.argsort(-missing, kind="stable") if missing[j] > 0][:max_columns]
    parts = [_score_column(setup, j, draw_seeds[j], scales[j]) for j in order]
    scored = [p for p in parts if np.isfinite(p.score)]
    total = sum(p.weight for p in scored)
    score = sum(p.weight * p.score for p in scored) / total if scored and total > 0 else float("nan")
    return IScore(score=float(score), columns=tuple(parts), n_rows=n,
                  deterministic=bool(scored) and all(p.draws == 1 for p in scored))


def _observed_ranges(X: pd.DataFrame) -> list[tuple[float, float]]:
    """Per column, (min, max) of its observed values: the [0, 1] scale; (0, 1) for a categorical one."""
    return [(0.0, 1.0) if isinstance(X[c].dtype, pd.CategoricalDtype) or X[c].notna().sum() == 0
            else (float(X[c].min()), float(X[c].max())) for c in X.columns]


def _score_column(setup: _Setup, j: int, seeds: np.ndarray, scale: tuple[float, float]) -> ColumnScore:
    n, m = len(setup.X), int((~setup.observed[:, j]).sum())
    weight = (m / n) * (1.0 - m / n)
    name = str(setup.X.columns[j])
    if m < MIN_MISSING:
        return ColumnScore(name, weight, float("nan"), 0, m, (), 0, f"fewer than {MIN_MISSING} missing cells")
    column = _Column(setup, j)
    n_test = int(column.test_rows.size)
    n_train = len(column.table) - n_test
    if n_test == 0 or not column.predictors:
        return ColumnScore(name, weight, float("nan"), n_test, n_train, column.predictors, 0,
                           "no row where the column and a predictor are both observed")
    try:
        draws = column.draw(setup.impute, setup.sample, seeds)
    except Exception as exc:  # noqa: BLE001  (the package scores a column whose imputation fails as NA)
        reason = f"imputation failed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        return ColumnScore(name, weight, float("nan"), n_test, n_train, column.predictors, 0, reason)
    return ColumnScore(name, weight, column.score(draws, *scale), n_test, n_train, column.predictors, len(draws))
