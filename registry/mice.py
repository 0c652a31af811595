"""MICE as R's ``mice`` package runs it by default (van Buuren & Groothuis-Oudshoorn 2011).

``mice``: ``m`` chains of chained equations, each started from random draws of the observed values
(R's ``initialize.imp``), visiting the columns in table order (``visitSequence = "roman"``) for a
fixed ``max_iter`` sweeps (``maxit = 5``, no stopping rule), every column on every other one:

- numeric columns by **predictive mean matching** (``mice.impute.pmm``): least squares on the
  observed rows (aliased predictors dropped, as ``lm.fit`` does), a Bayesian draw of the
  coefficients (``.norm.draw``: ``sigma* = sqrt(RSS / chi2(df))``, ``beta* = beta + chol(V)' z sigma*``),
  type-1 matching (observed rows predicted with ``beta``, missing ones with ``beta*``), and each
  missing cell takes the observed value of one of its ``donors = 5`` nearest rows at random;
- categorical columns by **logistic regression** (two categories; coefficients drawn from their
  asymptotic normal posterior as ``mice.impute.logreg``) or **multinomial logistic regression** (more;
  ``mice.impute.polyreg``), the category drawn from the predicted probabilities. Predictors are
  standardised and a weak L2 penalty stands in for R's ``augment`` pseudo-rows (both keep a
  separable category finite).

**One table from m imputations** (the suite scores one table per job, PROTOCOL §4): the per-cell
mean of the ``m`` imputed values for numeric cells (the Monte-Carlo estimate of the posterior
predictive mean, the single value with the least expected squared error) and the most frequent of
the ``m`` categories for categorical cells (the most probable category; ties go to the first category
in the column's order). ``m=1`` gives one proper draw, R's ``complete(imp, 1)``. Multiple imputation
(PROTOCOL §9): ``sample(X, m, random_state)`` returns the chains' completed tables themselves.

``mice_linear``: the earlier variant, scikit-learn IterativeImputer's recipe (Bayesian ridge per
numeric column, the posterior mean, tolerance stop), kept for comparison; on collinear tables at
50% MNAR it can run away (adult: ARMSE 6e5 on the [0, 1] scale, marked ``diverged``, PROTOCOL §6).
PMM cannot: every imputed value is an observed value of its column.

New rows (PROTOCOL §3 downstream) go through each chain's stored sweeps (``every-sweep``), donors
drawn from the fit rows, and are pooled the same way.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.linalg import solve_triangular
from sklearn.linear_model import BayesianRidge, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ..imputer import NON_NEGATIVE_REAL, POSITIVE_INT, POSITIVE_REAL, SEED, SWEEP_MODELS, Imputer
from .info import BUILTIN_INFO
from .iterative import ChainedEquationsImputer
from .transductive import seed_for

# lm.fit's tolerance for declaring a predictor aliased: what is left of a column once the columns
# before it are projected out, relative to the column's own norm (LINPACK dqrdc2).
ALIASED_TOL = 1e-7
MATCH_GRID = 1e-9  # predicted means closer than this (relative) are one value to PMM's matching
SEED_CHAIN = 100  # first key of seed_for for chain k, apart from the loop's own keys


class PMMRegressor:
    """Predictive mean matching for one column (``mice.impute.pmm``, matchtype 1), one Bayesian draw per fit."""

    def __init__(self, donors: int = 5, seed: int = 0) -> None:
        self.donors = donors
        self.seed = seed

    def fit(self, X: np.ndarray, y: np.ndarray) -> "PMMRegressor":
        rng = np.random.default_rng(self.seed)
        A = np.column_stack([np.ones(len(X)), X])
        self.keep_ = unaliased_columns(A)
        rank = len(self.keep_)
        Ak = A[:, self.keep_]
        Q, R = np.linalg.qr(Ak)
        coef = solve_triangular(R, Q.T @ y)
        residuals = y - Ak @ coef
        df = max(len(y) - rank, 1)
        sigma_star = np.sqrt(float(residuals @ residuals) / rng.chisquare(df))
        # V = (R'R)^-1, so chol(V)' z = R^-1 z' in distribution: one triangular solve, no inverse.
        beta_star = coef + solve_triangular(R, rng.standard_normal(rank)) * sigma_star
        self.coef_, self.beta_star_ = coef, beta_star
        self.y_obs_ = np.asarray(y, dtype=float)
        self.yhat_obs_ = Ak @ coef
        return self

    def match(self, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Observed values of randomly chosen donors among the ``donors`` nearest predicted means."""
        yhat_mis = np.column_stack([np.ones(len(X)), X])[:, self.keep_] @ self.beta_star_
        return self.y_obs_[nearest_donors(self.yhat_obs_, yhat_mis, self.donors, rng)]


def unaliased_columns(A: np.ndarray, tol: float = ALIASED_TOL) -> np.ndarray:
    """Indices of the columns of ``A`` that ``lm.fit`` keeps: in table order, a column is dropped when
    less than ``tol`` of its norm is left after projecting out the columns before it (constant
    columns, the last dummy of a one-hot block beside the intercept).

    In column order (an unpivoted QR's diagonal), not by pivoting on the largest norm: with exact
    collinearity the pivots tie, and which aliased column a pivoted QR drops then follows the last
    digits of the data, which moves the coefficient draw (and every later donor) from one CPU or
    BLAS to another. An aliased column adds a direction of rounding noise to the factorisation; it
    takes a negligible share from the later columns' residuals, far from ``tol``."""
    R = np.linalg.qr(A, mode="r")
    left = np.zeros(A.shape[1])
    left[:min(R.shape)] = np.abs(np.diag(R))
    return np.flatnonzero(left > tol * np.linalg.norm(A, axis=0))


def nearest_donors(yhat_obs: np.ndarray, yhat_mis: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Per target, the index of one of the ``k`` donors whose ``yhat_obs`` is nearest, drawn uniformly.

    Donors are shuffled before the stable sort, so ties among equal predicted means are broken at
    random, as R's ``matchindex`` does. Predicted means are first put on a grid of 1e-9 of the largest
    one: duplicate rows of the table get means that differ in the last bit with their place in a BLAS
    block, and the shuffle, not that bit, must choose between them (or numbers change between CPUs)."""
    unit = MATCH_GRID * max(float(np.abs(yhat_obs).max(initial=0.0)), np.finfo(float).tiny)
    yhat_obs, yhat_mis = np.rint(yhat_obs / unit), np.rint(yhat_mis / unit)
    n = len(yhat_obs)
    k = max(1, min(int(k), n))
    shuffled = rng.permutation(n)
    order = shuffled[np.argsort(yhat_obs[shuffled], kind="stable")]
    sorted_obs = yhat_obs[order]
    pos = np.searchsorted(sorted_obs, yhat_mis)
    # The k nearest lie within k places either side of the insertion point.
    lo = np.clip(pos - k, 0, max(n - 2 * k, 0))
    window = lo[:, None] + np.arange(min(2 * k, n))[None, :]
    distance = np.abs(sorted_obs[window] - yhat_mis[:, None])
    nearest = np.argsort(distance, axis=1, kind="stable")[:, :k]
    pick = nearest[np.arange(len(yhat_mis)), rng.integers(k, size=len(yhat_mis))]
    return order[window[np.arange(len(yhat_mis)), pick]]


class LogisticDraw:
    """Logistic (two categories) or multinomial regression on standardised predictors; for two
    categories the coefficients are drawn once per fit from their normal approximation
    (``mice.impute.logreg``), for more the fitted model is used as is (``mice.impute.polyreg``)."""

    def __init__(self, C: float = 1.0, max_iter: int = 100, seed: int = 0) -> None:
        self.C = C
        self.max_iter = max_iter
        self.seed = seed

    def fit(self, X: np.ndarray, labels: np.ndarray) -> "LogisticDraw":
        self.scaler_ = StandardScaler().fit(X)
        Xs = self.scaler_.transform(X)
        model = LogisticRegression(C=self.C, max_iter=self.max_iter).fit(Xs, labels)
        self.classes_ = model.classes_
        self.model_ = model
        self.beta_star_ = None
        if len(self.classes_) == 2:
            A = np.column_stack([np.ones(len(Xs)), Xs])
            beta = np.concatenate([model.intercept_, model.coef_[0]])
            p = 1.0 / (1.0 + np.exp(-(A @ beta)))
            # Posterior precision: the observed information plus the L2 penalty's (1/C on the slopes).
            precision = (A * (p * (1 - p))[:, None]).T @ A + np.diag([0.0, *[1.0 / self.C] * Xs.shape[1]])
            L = np.linalg.cholesky(precision + 1e-10 * np.eye(len(beta)))
            z = np.random.default_rng(self.seed).standard_normal(len(beta))
            self.beta_star_ = beta + solve_triangular(L.T, z)
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        Xs = self.scaler_.transform(X)
        if self.beta_star_ is None:
            return self.model_.predict_proba(Xs)
        p1 = 1.0 / (1.0 + np.exp(-(self.beta_star_[0] + Xs @ self.beta_star_[1:])))
        return np.column_stack([1 - p1, p1])

    def draw(self, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Indices into ``classes_``: one categorical draw per row."""
        proba = self.predict_proba(X)
        draws = (proba.cumsum(axis=1) < rng.random((len(proba), 1))).sum(axis=1)
        return np.minimum(draws, proba.shape[1] - 1)


class PMMChain(ChainedEquationsImputer):
    """One of MICE's ``m`` chains: one imputed table (see the module docstring)."""

    info = BUILTIN_INFO["mice"]
    stop_rule = "fixed"
    visit_order = "column"
    initial_fill = "sample"

    def __init__(self, max_iter: int = 5, donors: int = 5, logistic_C: float = 1.0, logistic_max_iter: int = 100,
                 random_state: int | None = None) -> None:
        self.max_iter = max_iter
        self.donors = donors
        self.logistic_C = logistic_C
        self.logistic_max_iter = logistic_max_iter
        self.transform_models = "every-sweep"
        self.random_state = random_state

    def _regressor(self, seed: int) -> Any:
        return PMMRegressor(donors=self.donors, seed=seed)

    def _classifier(self, seed: int) -> Any:
        return LogisticDraw(C=self.logistic_C, max_iter=self.logistic_max_iter, seed=seed)

    def _predict_numeric(self, estimator: Any, Xp: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return estimator.match(Xp, rng)

    def _predict_categorical(self, estimator: Any, Xp: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return estimator.draw(Xp, rng)


class MICEImputer(Imputer):
    """R ``mice``'s defaults: PMM / logreg / polyreg, ``m`` chains of ``max_iter`` sweeps, pooled into one table."""

    info = BUILTIN_INFO["mice"]  # declared in registry/info/ (read without importing this module)
    _parameter_constraints = {"m": [POSITIVE_INT], "max_iter": [POSITIVE_INT], "donors": [POSITIVE_INT],
                              "logistic_C": [POSITIVE_REAL], "logistic_max_iter": [POSITIVE_INT], "random_state": SEED}

    def __init__(self, m: int = 5, max_iter: int = 5, donors: int = 5, logistic_C: float = 1.0,
                 logistic_max_iter: int = 100, random_state: int | None = None) -> None:
        self.m = m
        self.max_iter = max_iter
        self.donors = donors
        self.logistic_C = logistic_C
        self.logistic_max_iter = logistic_max_iter
        self.random_state = random_state

    def _chains(self) -> list[PMMChain]:
        return self._chains_for(self.random_state, self.m)

    def _chains_for(self, random_state: int | None, m: int) -> list[PMMChain]:
        """Chains 0..m-1, chain k seeded from (``random_state``, k)."""
        return [PMMChain(max_iter=self.max_iter, donors=self.donors, logistic_C=self.logistic_C,
                         logistic_max_iter=self.logistic_max_iter, random_state=seed_for(random_state, SEED_CHAIN, k))
                for k in range(int(m))]

    def _fit(self, X: pd.DataFrame, y: pd.Series | None) -> None:
        self.chains_ = [chain.fit(X) for chain in self._chains()]

    def _fit_transform(self, X: pd.DataFrame, y: pd.Series | None) -> pd.DataFrame:
        """In-sample (PROTOCOL §3): each chain's own imputation of the fit table, pooled."""
        self.chains_ = self._chains()
        return pool_imputations([chain.fit_transform(X) for chain in self.chains_])

    def _transform(self, X: pd.DataFrame) -> pd.DataFrame:
        return pool_imputations([chain.transform(X) for chain in self.chains_])

    def _sample(self, X: pd.DataFrame, m: int, random_state: int | None) -> list[pd.DataFrame]:
        """Multiple imputation (PROTOCOL §9): R's ``complete(imp, k)`` for k = 1..m, chain k's own
        imputation of ``X`` (independent chains, seeded from ``random_state`` and k as ``fit`` seeds
        them from the imputer's). A chain this imputer already fitted on ``X`` with that seed is
        reused: after ``fit_transform(X)`` with the same ``random_state`` and ``m``, the draws cost nothing
        and pool (:func:`pool_imputations`) to the table ``fit_transform`` returned."""
        fitted = getattr(self, "chains_", [])
        on_x = bool(fitted) and fitted_on(fitted[0], X)  # the chains were fitted together, on one table
        tables = []
        for chain in self._chains_for(random_state, m):
            same = next((c for c in fitted if c.get_params() == chain.get_params()), None) if on_x else None
            tables.append(same.encoder_.decode(same.design_, index=X.index) if same is not None
                          else chain.fit_transform(X))
        return tables


def fitted_on(chain: PMMChain, X: pd.DataFrame) -> bool:
    """Whether ``chain`` was fitted on exactly ``X``: same columns and categories, missing cells and
    observed values (its ``design_`` is then its imputation of ``X``)."""
    encoder = getattr(chain, "encoder_", None)
    if encoder is None or list(X.columns) != encoder.columns_ or X.shape != chain.observed_.shape:
        return False
    observed = X.notna().to_numpy()
    if not np.array_equal(observed, chain.observed_):
        return False
    Z = encoder.encode(X)
    widths = [block.stop - block.start for block in encoder.blocks_]
    # A category unknown to the fit encodes as NaN in an observed cell: not the fit table.
    return bool(np.array_equal(np.isnan(Z), ~np.repeat(observed, widths, axis=1))
                and np.array_equal(np.where(np.isnan(Z), chain.design_, Z), chain.design_))


def pool_imputations(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """One table from ``m`` completions: per-cell mean for numbers, the most frequent category (ties: the
    first in the column's category order) for categories. The base class puts the observed cells back
    exactly (a mean of equal floats can move by a rounding step)."""
    out = tables[0].copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.CategoricalDtype):
            codes = np.stack([t[column].cat.codes.to_numpy() for t in tables])
            n_categories = len(out[column].cat.categories)
            counts = np.stack([(codes == c).sum(axis=0) for c in range(n_categories)])
            out[column] = pd.Categorical.from_codes(counts.argmax(axis=0), dtype=out[column].dtype)
        else:
            out[column] = np.mean([t[column].to_numpy(dtype=float) for t in tables], axis=0)
    return out


class MICELinearImputer(ChainedEquationsImputer):
    """scikit-learn IterativeImputer's recipe: Bayesian ridge (numbers) and multinomial logistic
    regression (categories) in increasing missingness, mean start, tolerance stop; single imputation
    by the posterior mean unless ``sample_posterior``."""

    info = BUILTIN_INFO["mice_linear"]
    _parameter_constraints = {"max_iter": [POSITIVE_INT], "tol": [NON_NEGATIVE_REAL], "sample_posterior": ["boolean"],
                              "logistic_max_iter": [POSITIVE_INT], "logistic_C": [POSITIVE_REAL],
                              "transform_models": [SWEEP_MODELS], "random_state": SEED}
    stop_rule = "tolerance"

    def __init__(self, max_iter: int = 10, tol: float = 1e-3, sample_posterior: bool = False,
                 logistic_max_iter: int = 100, logistic_C: float = 1.0,
                 transform_models: Literal["every-sweep", "last-sweep"] = "every-sweep",
                 random_state: int | None = None) -> None:
        self.max_iter = max_iter
        self.tol = tol
        self.sample_posterior = sample_posterior
        self.logistic_max_iter = logistic_max_iter
        self.logistic_C = logistic_C
        self.transform_models = transform_models
        self.random_state = random_state

    def _regressor(self, seed: int) -> Any:
        return BayesianRidge()

    def _classifier(self, seed: int) -> Any:
        # Predictors come in their own units; lbfgs and the L2 penalty want them on one scale.
        return make_pipeline(StandardScaler(), LogisticRegression(C=self.logistic_C, max_iter=self.logistic_max_iter))

    def _predict_numeric(self, estimator: Any, Xp: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if not self.sample_posterior:
            return estimator.predict(Xp)
        mean, std = estimator.predict(Xp, return_std=True)
        return rng.normal(mean, std)

    def _predict_categorical(self, estimator: Any, Xp: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if not self.sample_posterior:
            return estimator.predict(Xp).astype(int)
        proba = estimator.predict_proba(Xp)
        # One uniform per row against the cumulative probabilities: a categorical draw per row.
        draws = (proba.cumsum(axis=1) < rng.random((len(proba), 1))).sum(axis=1)
        return estimator.classes_[np.minimum(draws, proba.shape[1] - 1)].astype(int)
