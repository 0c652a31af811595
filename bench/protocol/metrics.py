"""Imputation metrics (PROTOCOL §5, and §9's joint-distribution scores) as pure functions of (true
table, imputed table, mask), each declared once, with its function, as a :class:`Metric`.

Numeric columns are min-max scaled by the complete column's range before scoring; a metric with
nothing to measure is NaN, never 0. ``mask`` is True where a cell was observed.

A metric is one :class:`Metric` in :data:`METRICS_DECLARED`: its name, label, direction and kind,
and how it is computed. An imputation metric is computed either per column, from the column's masked
cells (:class:`ScoredColumn`: scaled numbers, or category labels), by ``numeric`` and/or
``categorical`` functions whose values are then pooled over the columns by ``pool`` (in column
order; no column to score gives NaN), or from the whole table by ``table`` (a function of a
:class:`ScoredTable`). **To add a metric**, append one ``Metric`` to :data:`METRICS_DECLARED`; the
store gets its column, :func:`imputation_metrics` its value and the rankings, the regression gate
and the site its name and direction from that one line. PROTOCOL §9's scores of multiple imputation
take a job's draws instead of one table: a ``"draws"`` metric is a function ``drawn`` of a
:class:`ScoredDraws` (:func:`draw_scores`), an ``"inference"`` one a function ``inferred`` of a
:class:`ScoredInference` (:func:`inference_metrics`). Metrics computed elsewhere (the downstream
score, cost) say where in ``computed_by``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, partial
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class ScoredColumn:
    """One column's masked cells as the metrics see them (PROTOCOL §5): numbers min-max scaled by the
    reference column's range, or category labels as text."""

    name: str
    categorical: bool
    true: np.ndarray
    imputed: np.ndarray
    n_unique: int  # distinct values of the reference column (numeric columns: JSDist's bins)


@dataclass(frozen=True)
class ScoredTable:
    """What a table-level metric gets: the three tables of :func:`imputation_metrics` (``reference``
    resolved), the scored columns (those with masked cells), in table order, and the job's seed."""

    X_true: pd.DataFrame
    X_imputed: pd.DataFrame
    mask: np.ndarray
    reference: pd.DataFrame
    columns: tuple[ScoredColumn, ...]
    seed: int = 0  # the job's seed: draws the rows of PROTOCOL §9's subsample

    @cached_property
    def distribution(self) -> dict[str, float]:
        """PROTOCOL §9's energy distance and correlation error, computed together (one encoding)."""
        from .distribution_metrics import distribution_metrics

        return distribution_metrics(self.X_true, self.X_imputed, self.mask, self.reference, self.seed)


@dataclass(frozen=True)
class ScoredDraws:
    """What a draw metric gets (PROTOCOL §9): the true table, the ``m`` tables drawn by ``sample`` on
    its masked version, the mask, the reference of the numeric scale and the job's seed."""

    X_true: pd.DataFrame
    draws: tuple[pd.DataFrame, ...]
    mask: np.ndarray
    reference: pd.DataFrame
    seed: int = 0

    @cached_property
    def scores(self) -> dict[str, float]:
        """Energy score, coverage at every nominal level and the 90 % width, computed together (one pass)."""
        from .draw_metrics import draw_metrics

        return draw_metrics(self.X_true, list(self.draws), self.mask, self.reference, self.seed)


@dataclass(frozen=True)
class ScoredInference:
    """What an inference metric gets (PROTOCOL §9): the tables drawn from an imputation that saw the
    target as a column (``m`` of them, or one from an imputer without ``sample``), the target, the
    complete features and the analysis model (``"linear"`` or ``"logistic"``)."""

    draws: tuple[pd.DataFrame, ...]
    y: pd.Series
    X_complete: pd.DataFrame
    model: str

    @cached_property
    def scores(self) -> dict[str, float]:
        """Rubin's rules pooled and scored against the complete-data fit, summed up over the slopes."""
        from .inference import inference_scores, inference_summary

        return inference_summary(inference_scores(list(self.draws), self.y, self.X_complete, self.model))


@dataclass(frozen=True)
class Metric:
    """One reported metric, its facts and its computation: the single list that the store, rankings,
    the regression check and the site all read."""

    name: str
    label: str
    higher_is_better: bool
    # "imputation" (masked cells, PROTOCOL §5 and §9), "draws" and "inference" (the m draws, PROTOCOL §9),
    # "downstream" (PROTOCOL §3), "cost" or "diagnostic"
    kind: str
    numeric: Callable[[ScoredColumn], Any] | None = None  # per numeric column with masked cells
    categorical: Callable[[ScoredColumn], Any] | None = None  # per categorical column with masked cells
    pool: Callable[[Sequence[Any]], float] | None = None  # the per-column values -> the score
    table: Callable[[ScoredTable], float] | None = None  # or: the score from the whole table
    drawn: Callable[[ScoredDraws], float] | None = None  # kind "draws": the score of the m draws
    inferred: Callable[[ScoredInference], float] | None = None  # kind "inference": of the pooled fits
    computed_by: str = ""  # where a metric computed outside this module comes from

    def score(self, scored: ScoredTable) -> float:
        """This metric on ``scored`` (an imputation metric or a diagnostic)."""
        if self.table is not None:
            return float(self.table(scored))
        values = [f(col) for col in scored.columns
                  if (f := self.categorical if col.categorical else self.numeric) is not None]
        return float(self.pool(values)) if values else float("nan")


def _scale(v: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """PROTOCOL §5: min-max to [0, 1]; a constant column scales to 0."""
    return (v - lo) / (hi - lo) if hi > lo else np.zeros_like(v, dtype=float)


def _skewness(v: np.ndarray) -> float:
    """Sample skewness m3 / m2^1.5 (scipy.stats.skew's default); 0 for a constant (PROTOCOL §5 RL)."""
    if v.size < 2 or np.ptp(v) == 0:
        return 0.0
    d = v - v.mean()
    return float(np.mean(d ** 3) / np.mean(d ** 2) ** 1.5)


def _iqr(v: np.ndarray) -> float:
    q75, q25 = np.percentile(v, [75, 25])
    return float(q75 - q25)


def js_distance(true: np.ndarray, imputed: np.ndarray, bins: np.ndarray | None) -> float:
    """Jensen-Shannon distance (base 2) between two samples: histograms over ``bins``, or by value."""
    from scipy.spatial.distance import jensenshannon  # lazy: the store imports this module's registry
    if bins is None:
        cats = np.union1d(true, imputed)
        p = np.array([(true == c).sum() for c in cats], dtype=float)
        q = np.array([(imputed == c).sum() for c in cats], dtype=float)
    else:
        p = np.histogram(true, bins=bins)[0].astype(float)
        q = np.histogram(imputed, bins=bins)[0].astype(float)
    return float(jensenshannon(p / p.sum(), q / q.sum(), base=2))


# -- per-column pieces (PROTOCOL §5) and how they pool ------------------------------------------------
def _abs_errors(col: ScoredColumn) -> np.ndarray:
    return np.abs(col.imputed - col.true)


def _squared_errors(col: ScoredColumn) -> np.ndarray:
    return (col.imputed - col.true) ** 2


def _column_rmse(col: ScoredColumn) -> float:
    return float(np.sqrt(np.mean((col.imputed - col.true) ** 2)))


def _matches(col: ScoredColumn) -> tuple[int, int]:
    return int((col.true == col.imputed).sum()), col.true.size


def _error_rate(col: ScoredColumn) -> float:
    right, n = _matches(col)
    return 1.0 - right / n


def _binned_js(col: ScoredColumn) -> float:
    # PROTOCOL §5 JSDist: min(10, unique values) equal-width bins over the complete range.
    bins = np.linspace(0.0, 1.0, max(1, min(10, col.n_unique)) + 1)
    return js_distance(col.true, np.clip(col.imputed, 0.0, 1.0), bins)


def _categorical_js(col: ScoredColumn) -> float:
    return js_distance(col.true, col.imputed, None)


def _range_loss(col: ScoredColumn) -> float:
    t, i = col.true, col.imputed
    return np.mean([abs(np.median(t) - np.median(i)), abs(_iqr(t) - _iqr(i)), abs(_skewness(t) - _skewness(i))])


def _wasserstein(col: ScoredColumn) -> float:
    from scipy.stats import wasserstein_distance

    return wasserstein_distance(col.true, col.imputed)


def _energy_distance(scored: ScoredTable) -> float:
    return scored.distribution["energy_distance"]


def _correlation_error(scored: ScoredTable) -> float:
    return scored.distribution["corr_error"]


def _named_score(name: str, scored: ScoredDraws | ScoredInference) -> float:
    return scored.scores[name]


def _draw_score(name: str) -> Callable[[ScoredDraws], float]:
    return partial(_named_score, name)  # a partial, not a lambda: the registry pickles


_inference_score = _draw_score  # the same lookup in ScoredInference.scores


def _mean_over_cells(values: Sequence[np.ndarray]) -> float:
    return float(np.concatenate(values).mean())


def _root_mean_over_cells(values: Sequence[np.ndarray]) -> float:
    return float(np.sqrt(np.concatenate(values).mean()))


def _share_right(values: Sequence[tuple[int, int]]) -> float:
    return sum(right for right, _ in values) / sum(n for _, n in values)


# -- the declarations: one line per metric --------------------------------------------------------------
METRICS_DECLARED: tuple[Metric, ...] = (
    Metric("mae", "MAE", False, "imputation", numeric=_abs_errors, pool=_mean_over_cells),
    Metric("rmse", "RMSE", False, "imputation", numeric=_squared_errors, pool=_root_mean_over_cells),
    # ARMSE: the mean over columns of the column RMSE (numbers) or error rate (categories).
    Metric("armse", "ARMSE", False, "imputation", numeric=_column_rmse, categorical=_error_rate, pool=np.mean),
    Metric("cat_accuracy", "categorical accuracy", True, "imputation", categorical=_matches, pool=_share_right),
    Metric("jsdist", "JS distance", False, "imputation", numeric=_binned_js, categorical=_categorical_js,
           pool=np.mean),
    Metric("rl", "RL", False, "imputation", numeric=_range_loss, pool=np.mean),
    Metric("w1", "W1", False, "imputation", numeric=_wasserstein, pool=np.mean),
    # PROTOCOL §9: the joint distribution of the rows with a masked cell (0 when it is kept exactly).
    Metric("energy_distance", "energy distance", False, "imputation", table=_energy_distance),
    Metric("corr_error", "correlation error", False, "imputation", table=_correlation_error),
    # PROTOCOL §9, the m draws of an imputer with sample (NaN without): a proper score of the draws as
    # a predictive distribution, and their 90 % intervals. Under-coverage is the failure that matters
    # (a single table has none); intervals made wide to cover show in the width beside it.
    Metric("energy_score", "energy score", False, "draws", drawn=_draw_score("energy_score")),
    Metric("coverage_90", "90 % interval coverage", True, "draws", drawn=_draw_score("coverage_90")),
    Metric("width_90", "90 % interval width", False, "draws", drawn=_draw_score("width_90")),
    # The calibration view's other nominal levels (the same intervals, computed in the same pass).
    Metric("coverage_50", "50 % interval coverage", True, "draws", drawn=_draw_score("coverage_50")),
    Metric("coverage_80", "80 % interval coverage", True, "draws", drawn=_draw_score("coverage_80")),
    Metric("coverage_95", "95 % interval coverage", True, "draws", drawn=_draw_score("coverage_95")),
    # PROTOCOL §9, inference after imputation (Rubin's rules against the complete-data fit), over the
    # slopes: the share covered (nominally above 0.95), |bias| in complete-data standard errors, and
    # the width relative to the complete-data interval (read with the coverage: narrow and missing
    # is worse than wide and covering).
    Metric("inference_coverage", "inference coverage", True, "inference",
           inferred=_inference_score("inference_coverage")),
    Metric("inference_bias", "inference bias (SE)", False, "inference", inferred=_inference_score("inference_bias")),
    Metric("inference_width", "inference width (ratio)", False, "inference",
           inferred=_inference_score("inference_width")),
    Metric("downstream", "downstream score", True, "downstream",
           computed_by="imputebench.protocol.downstream.downstream_score, in the job"),
    Metric("fit_seconds", "fit time (s)", False, "cost", computed_by="the job's clock around fit"),
)
# Scored with the metrics and stored beside them, but not a metric: the worst numeric column's
# RMSE, which the diverged check needs (ARMSE's mean can hide one absurd column).
MAX_COLUMN_RMSE = "max_column_rmse"
DIAGNOSTICS: dict[str, Metric] = {m.name: m for m in (
    Metric(MAX_COLUMN_RMSE, "worst column RMSE", False, "diagnostic", numeric=_column_rmse, pool=np.max),
)}

METRIC_REGISTRY: dict[str, Metric] = {m.name: m for m in METRICS_DECLARED}
IMPUTATION_METRICS = tuple(n for n, m in METRIC_REGISTRY.items() if m.kind == "imputation")
DRAW_METRICS = tuple(n for n, m in METRIC_REGISTRY.items() if m.kind == "draws")
INFERENCE_METRICS = tuple(n for n, m in METRIC_REGISTRY.items() if m.kind == "inference")
# The quality metrics every table reports (cost is shown beside them, never ranked by default).
QUALITY_METRICS = tuple(n for n, m in METRIC_REGISTRY.items() if m.kind != "cost")

# PROTOCOL §6 diverged: on the [0, 1] scale of §5 a numeric error above this means imputations
# outside the column's whole range on average.
DIVERGED_ABOVE = 1.0


def scored_columns(X_true: pd.DataFrame, X_imputed: pd.DataFrame, mask: np.ndarray,
                   reference: pd.DataFrame) -> tuple[ScoredColumn, ...]:
    """The masked cells of every column that has any, as the metrics see them (PROTOCOL §5)."""
    missing = ~np.asarray(mask, dtype=bool)
    out = []
    for j, c in enumerate(X_true.columns):
        rows = missing[:, j]
        if not rows.any():
            continue
        if isinstance(X_true[c].dtype, pd.CategoricalDtype):
            out.append(ScoredColumn(c, True, X_true[c].to_numpy()[rows].astype(str),
                                    X_imputed[c].to_numpy()[rows].astype(str), 0))
            continue
        lo, hi = float(reference[c].min()), float(reference[c].max())
        out.append(ScoredColumn(c, False, _scale(X_true[c].to_numpy(dtype=float)[rows], lo, hi),
                                _scale(X_imputed[c].to_numpy(dtype=float)[rows], lo, hi), reference[c].nunique()))
    return tuple(out)


def imputation_metrics(
    X_true: pd.DataFrame, X_imputed: pd.DataFrame, mask: np.ndarray, reference: pd.DataFrame | None = None,
    seed: int = 0,
) -> dict[str, float]:
    """Every imputation metric at the masked cells (PROTOCOL §5), keyed as :data:`IMPUTATION_METRICS`,
    plus the :data:`DIAGNOSTICS` (:data:`MAX_COLUMN_RMSE` for :func:`diverged_reason`).

    ``reference`` is the complete table whose columns set each numeric column's scale (min-max) and
    JSDist bins (PROTOCOL §5: "the complete column"); by default ``X_true``. Out-of-sample scores
    (PROTOCOL §3, the test part) pass the whole table, so both parts are scored on the same scale.
    ``seed`` (the job's) draws the rows of the energy distance when more than 2,000 had a masked cell.
    """
    reference = X_true if reference is None else reference
    scored = ScoredTable(X_true, X_imputed, np.asarray(mask, dtype=bool), reference,
                         scored_columns(X_true, X_imputed, mask, reference), seed)
    return {m.name: m.score(scored) for m in (*(METRIC_REGISTRY[n] for n in IMPUTATION_METRICS),
                                              *DIAGNOSTICS.values())}


def draw_scores(X_true: pd.DataFrame, draws: Sequence[pd.DataFrame], mask: np.ndarray,
                reference: pd.DataFrame | None = None, seed: int = 0) -> dict[str, float]:
    """Every draw metric (PROTOCOL §9) of the ``m`` tables ``draws`` at the masked cells of ``X_true``,
    keyed as :data:`DRAW_METRICS`; ``reference`` and ``seed`` as for :func:`imputation_metrics`."""
    scored = ScoredDraws(X_true, tuple(draws), np.asarray(mask, dtype=bool),
                         X_true if reference is None else reference, seed)
    return {n: float(METRIC_REGISTRY[n].drawn(scored)) for n in DRAW_METRICS}


def inference_metrics(draws: Sequence[pd.DataFrame], y: pd.Series, X_complete: pd.DataFrame,
                      model: str) -> dict[str, float]:
    """Every inference metric (PROTOCOL §9) of the model fitted on each of ``draws`` (features only)
    and pooled, against its fit on ``X_complete``, keyed as :data:`INFERENCE_METRICS`."""
    scored = ScoredInference(tuple(draws), y, X_complete, model)
    return {n: float(METRIC_REGISTRY[n].inferred(scored)) for n in INFERENCE_METRICS}


def diverged_reason(scores: Mapping[str, float]) -> str | None:
    """Why a job's scores are diverged (PROTOCOL §6), or None when they are not: MAE, RMSE or a
    numeric column's RMSE above :data:`DIVERGED_ABOVE` on the [0, 1] scale of PROTOCOL §5.
    A missing or NaN score is not evidence of divergence (nothing was measured)."""
    evidence = [(key, METRIC_REGISTRY[key].label) for key in ("mae", "rmse")]
    for key, what in (*evidence, (MAX_COLUMN_RMSE, "a numeric column's RMSE")):
        value = scores.get(key)
        if value is not None and value > DIVERGED_ABOVE:  # NaN compares False
            return (f"diverged: {what} {value:.4g} > {DIVERGED_ABOVE:g} on the [0, 1] scale "
                    "(imputations outside the column's range on average)")
    return None
