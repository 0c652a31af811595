"""Inference after imputation (PROTOCOL §9): fit a model on each imputed table, pool with Rubin's
rules, and score the pooled intervals, as pure functions.

The analysis model is a linear regression of a regression target, or a logistic regression of a
binary target, on the features: an intercept, each numeric feature on PROTOCOL §5's scale (min-max
by the complete column, so a coefficient is the change over the feature's range) and each categorical
feature as indicators of its categories after the first (R's treatment contrasts). Standard errors
are those R's ``summary(lm)`` and ``summary(glm(family = binomial))`` report, and the complete-data
degrees of freedom are the residual ones (``df.residual``), as ``mice::pool`` takes them.

Rubin's rules (Rubin 1987; with Barnard & Rubin's 1999 small-sample degrees of freedom), exactly as
``mice::pool`` (mice 3.x, rule "rubin1987") computes them, per coefficient over ``m`` fits:
``qbar`` the mean estimate, ``ubar`` the mean squared standard error, ``b`` the variance of the
estimates (``m - 1`` denominator), ``t = ubar + (1 + 1/m) b``, ``riv = (1 + 1/m) b / ubar``,
``lambda = (1 + 1/m) b / t``, ``df`` Barnard-Rubin's (``lambda`` floored at 1e-4 as mice does),
``fmi = (riv + 2 / (df + 3)) / (1 + riv)``, and the 95 % interval ``qbar ± t_df(0.975) sqrt(t)``.
A single table (``m = 1``, a single-draw imputer) has ``b = 0``: its interval holds only the
within-imputation variance and ``df`` is the complete-data limit ``dfcom (dfcom + 1) / (dfcom + 3)``.

Scores per coefficient: the bias of ``qbar`` against the complete-data fit's estimate, whether the
pooled interval covers it, and the interval's width. The complete-data estimate is the benchmark's
reference because the population value of a real table is unknown; a proper imputation covers it
*more* often than 95 % (its interval also holds the sampling variance that the complete-data
estimate shares), so 0.95 is nominal only for the population value, which a simulation can pass as
``target``.

The draws must come from an imputation that saw the target as an observed column (PROTOCOL §9): an
imputation model without the analysis model's outcome shrinks the slopes, and on a simulated MAR
table the intervals of mice and EM then cover the population slopes about half of the time
(``tests/benchmarks/rubin_vs_r.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Sequence

import numpy as np
import pandas as pd

from .distribution_metrics import Section5Scale

Model = Literal["linear", "logistic"]
LEVEL = 0.95
# Logistic fits: Newton steps until the deviance changes by less than this (relative, as R's
# glm.control's epsilon, tightened so estimates settle to ~1e-10), at most MAX_NEWTON steps.
DEVIANCE_TOL = 1e-12
MAX_NEWTON = 100
RANK_TOL = 1e-7  # below this (relative to the largest pivot) a column counts as aliased, as in R's lm.fit
NORMAL_975 = 1.959963984540054  # half-width of a 95 % normal interval in standard errors


@dataclass(frozen=True)
class ModelFit:
    """One fitted analysis model: estimates, squared standard errors, residual degrees of freedom."""

    terms: tuple[str, ...]
    estimate: np.ndarray
    variance: np.ndarray
    dfcom: int


@dataclass(frozen=True)
class PooledFit:
    """Rubin's rules over m fits (module docstring), one entry per term."""

    terms: tuple[str, ...]
    m: int
    estimate: np.ndarray
    ubar: np.ndarray
    b: np.ndarray
    t: np.ndarray
    dfcom: int
    df: np.ndarray
    riv: np.ndarray
    lambda_: np.ndarray
    fmi: np.ndarray
    lower: np.ndarray
    upper: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        """One row per term, named as ``mice::pool``'s ``pooled`` frame (``estimate`` is ``qbar``)."""
        return pd.DataFrame({
            "term": self.terms, "m": self.m, "estimate": self.estimate, "ubar": self.ubar, "b": self.b,
            "t": self.t, "dfcom": self.dfcom, "df": self.df, "riv": self.riv, "lambda": self.lambda_,
            "fmi": self.fmi, "lower": self.lower, "upper": self.upper})


def design_matrix(X: pd.DataFrame, reference: pd.DataFrame | Section5Scale) -> tuple[np.ndarray, tuple[str, ...]]:
    """The model matrix of the analysis model (module docstring) and its term names; ``reference`` is
    the complete table that sets the numeric scale (or its :class:`Section5Scale`)."""
    scale = reference if isinstance(reference, Section5Scale) else Section5Scale(reference)
    A = np.concatenate([np.ones((len(X), 1)), scale.encode(X, drop_first=True)], axis=1)
    if np.isnan(A).any():
        raise ValueError("the analysis model needs complete tables: the imputed table still has missing cells")
    return A, ("(Intercept)", *scale.terms(X, drop_first=True))


def _full_rank_qr(A: np.ndarray, terms: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    Q, R = np.linalg.qr(A)
    diag = np.abs(np.diag(R))
    if A.shape[0] <= A.shape[1] or (diag <= RANK_TOL * diag.max()).any():
        aliased = [terms[j] for j in np.flatnonzero(diag <= RANK_TOL * diag.max())]
        raise ValueError(f"the analysis model is not identifiable on this table ({A.shape[0]} rows, "
                         f"{A.shape[1]} terms; aliased: {', '.join(aliased) or 'none'})")
    return Q, R


def unscaled_variances(R: np.ndarray) -> np.ndarray:
    """``diag((R'R)^-1)`` from the triangular factor of a QR: as R's ``chol2inv``, without forming
    ``R'R``, whose condition number is the square of the model matrix's."""
    from scipy.linalg import solve_triangular

    return (solve_triangular(R, np.eye(R.shape[0])) ** 2).sum(axis=1)


def fit_linear(A: np.ndarray, y: np.ndarray, terms: Sequence[str]) -> ModelFit:
    """Least squares of ``y`` on ``A`` with R's ``summary(lm)`` standard errors (``RSS / (n - p)``)."""
    from scipy.linalg import solve_triangular

    Q, R = _full_rank_qr(A, terms)
    coef = solve_triangular(R, Q.T @ y)
    residual = y - A @ coef
    dfcom = A.shape[0] - A.shape[1]
    return ModelFit(tuple(terms), coef, float(residual @ residual) / dfcom * unscaled_variances(R), dfcom)


def fit_logistic(A: np.ndarray, y: np.ndarray, terms: Sequence[str]) -> ModelFit:
    """Maximum-likelihood logistic regression of ``y`` (0/1) on ``A`` by Newton's method (iteratively
    reweighted least squares through QR, as R's ``glm.fit``), with the standard errors of R's
    ``summary(glm(family = binomial))``: the inverse Fisher information at the estimate.

    Raises ``ValueError`` when the fit does not converge or fits probabilities numerically 0 or 1
    (R's ``glm.fit`` warning): the classes are (nearly) separable, the estimates run off to infinity
    and their standard errors mean nothing."""
    from scipy.linalg import solve_triangular
    from scipy.special import expit

    _full_rank_qr(A, terms)
    separated = ValueError("the logistic model has no finite estimate on this table: fitted probabilities "
                           "reach 0 or 1 (the features separate the two classes)")
    eps = 10 * np.finfo(float).eps
    coef, deviance, converged = np.zeros(A.shape[1]), np.inf, False
    for _ in range(MAX_NEWTON):
        p = expit(A @ coef)
        root_w = np.sqrt(p * (1.0 - p))
        if not root_w.all():
            raise separated  # a weight underflowed to 0: the fit is running off to infinity
        Q, R = np.linalg.qr(A * root_w[:, None])
        coef = coef + solve_triangular(R, Q.T @ ((y - p) / root_w))  # the Newton step, as weighted LS
        new = binomial_deviance(A @ coef, y)
        converged = abs(new - deviance) / (abs(new) + 0.1) < DEVIANCE_TOL
        deviance = new
        if converged:
            break
    p = expit(A @ coef)
    if not converged or (p < eps).any() or (p > 1 - eps).any():
        raise separated
    R = np.linalg.qr(A * np.sqrt(p * (1.0 - p))[:, None], mode="r")
    return ModelFit(tuple(terms), coef, unscaled_variances(R), A.shape[0] - A.shape[1])


def binomial_deviance(eta: np.ndarray, y: np.ndarray) -> float:
    """``-2`` log-likelihood of 0/1 ``y`` under linear predictor ``eta`` (stable for large ``|eta|``)."""
    return float(2.0 * np.sum(np.logaddexp(0.0, eta) - y * eta))


def fit_model(X: pd.DataFrame, y: np.ndarray, model: Model, reference: pd.DataFrame | Section5Scale) -> ModelFit:
    """The analysis model of ``y`` on the complete table ``X`` (module docstring)."""
    A, terms = design_matrix(X, reference)
    return fit_linear(A, y, terms) if model == "linear" else fit_logistic(A, y, terms)


def barnard_rubin(m: int, b: np.ndarray, t: np.ndarray, dfcom: float) -> np.ndarray:
    """Barnard & Rubin's (1999) degrees of freedom, as ``mice:::barnard.rubin``; for ``m = 1`` the
    limit without between-imputation variance."""
    if m == 1:
        return np.full(np.shape(t), dfcom * (dfcom + 1.0) / (dfcom + 3.0))
    lam = np.maximum((1.0 + 1.0 / m) * b / t, 1e-4)
    df_old = (m - 1) / lam ** 2
    if np.isinf(dfcom):
        return df_old
    df_obs = (dfcom + 1.0) / (dfcom + 3.0) * dfcom * (1.0 - lam)
    return df_old * df_obs / (df_old + df_obs)


def rubin_pool(fits: Sequence[ModelFit], level: float = LEVEL) -> PooledFit:
    """Rubin's rules over the fits of the ``m`` imputed tables (module docstring)."""
    from scipy.stats import t as student_t

    if not fits:
        raise ValueError("rubin_pool needs at least one fit")
    m = len(fits)
    Q = np.stack([f.estimate for f in fits])
    U = np.stack([f.variance for f in fits])
    qbar, ubar = Q.mean(axis=0), U.mean(axis=0)
    b = Q.var(axis=0, ddof=1) if m > 1 else np.zeros_like(qbar)
    t = ubar + (1.0 + 1.0 / m) * b
    dfcom = fits[0].dfcom
    df = barnard_rubin(m, b, t, dfcom)
    riv = (1.0 + 1.0 / m) * b / ubar
    half = student_t.ppf(0.5 + level / 2.0, df) * np.sqrt(t)
    return PooledFit(fits[0].terms, m, qbar, ubar, b, t, dfcom, df, riv, (1.0 + 1.0 / m) * b / t,
                     (riv + 2.0 / (df + 3.0)) / (1.0 + riv), qbar - half, qbar + half)


def model_for(y: pd.Series, target_kind: str | None) -> Model | None:
    """The analysis model a target calls for: linear for a regression target, logistic for a class
    target with two classes; None otherwise (no target, or more than two classes)."""
    if target_kind == "regression":
        return "linear"
    if target_kind == "classification" and pd.Series(y).nunique() == 2:
        return "logistic"
    return None


def response(y: pd.Series, model: Model) -> np.ndarray:
    """``y`` as the model's response: floats, or 1 for the second of the two classes in sorted order
    (R's factor coding: the first level is the failure)."""
    if model == "linear":
        return pd.Series(y).to_numpy(dtype=float)
    values = pd.Series(y)
    levels = values.cat.categories if isinstance(values.dtype, pd.CategoricalDtype) else np.sort(values.unique())
    return (values.to_numpy() == levels[-1]).astype(float)


def inference_scores(draws: Sequence[pd.DataFrame], y: pd.Series, X_complete: pd.DataFrame, model: Model,
                     target: np.ndarray | None = None) -> pd.DataFrame:
    """Per coefficient: the complete-data fit, the pooled fit of the imputed tables ``draws`` (``m =
    len(draws)``), and the scores: ``bias`` (pooled minus ``target``), ``covered`` (whether the 95 %
    interval holds ``target``) and ``width``. ``target`` is the complete-data estimate unless given
    (a simulation's population values, one per term). ``X_complete`` also sets the numeric scale."""
    r = response(y, model)
    scale = Section5Scale(X_complete)
    complete = fit_model(X_complete, r, model, scale)
    pooled = rubin_pool([fit_model(D, r, model, scale) for D in draws])
    target = complete.estimate if target is None else np.asarray(target, dtype=float)
    frame = pooled.to_frame()
    frame.insert(1, "complete", complete.estimate)
    frame.insert(2, "complete_se", np.sqrt(complete.variance))
    frame["target"] = target
    frame["bias"] = pooled.estimate - target
    frame["covered"] = (pooled.lower <= target) & (target <= pooled.upper)
    frame["width"] = pooled.upper - pooled.lower
    return frame


def inference_summary(scores: pd.DataFrame) -> dict[str, float]:
    """One job's scores over its slope coefficients (the intercept depends on where features start):
    ``inference_coverage`` the share covered, ``inference_bias`` the mean of ``|bias|`` in units of the
    complete-data standard error, ``inference_width`` the mean width relative to the complete-data
    interval's (``2 * 1.96 * se``; above 1 where imputation lost information)."""
    slopes = scores[scores["term"] != "(Intercept)"]
    if slopes.empty:
        nan = float("nan")
        return {"inference_coverage": nan, "inference_bias": nan, "inference_width": nan}
    se = slopes["complete_se"].to_numpy()
    return {
        "inference_coverage": float(slopes["covered"].mean()),
        "inference_bias": float(np.mean(np.abs(slopes["bias"].to_numpy()) / se)),
        "inference_width": float(np.mean(slopes["width"].to_numpy() / (2.0 * NORMAL_975 * se))),
    }


def aggregate_inference(scores: pd.DataFrame, by: Sequence[str] = ("term",)) -> pd.DataFrame:
    """Van Buuren's simulation criteria over seeds (rows of :func:`inference_scores` stacked, with any
    grouping columns): per group the raw bias (mean ``bias``), the coverage rate (nominal 0.95 against
    the population value) and the average width, and how many fits they average."""
    grouped = scores.groupby(list(by), sort=False)
    return pd.DataFrame({"raw_bias": grouped["bias"].mean(), "coverage": grouped["covered"].mean(),
                         "average_width": grouped["width"].mean(), "n": grouped.size()}).reset_index()
