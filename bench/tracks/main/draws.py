"""A main-track job's scores of multiple imputation (PROTOCOL §9), after its in-sample imputation.

- **Draws**: an imputer with ``sample`` draws the profile's ``m`` tables of the job's masked table
  (the same imputer object, so a method that keeps its fit, like mice's chains or EM's Gaussian,
  reuses it) and they are scored by :func:`imputebench.protocol.metrics.draw_scores`. Without
  ``sample`` these scores are NaN: not measured, not a failure.
- **Inference**: where the target calls for a model (a regression target, or a class target with two
  classes) and the model has a finite estimate on the complete table, a fresh imputer with the
  job's seed imputes the masked table with the target as one more, fully observed, column (its ``m``
  draws, or its one table as ``m = 1``), and the model pooled over them is scored by
  :func:`imputebench.protocol.metrics.inference_metrics`.

Every call into imputer code goes through an :class:`ImputerGuard`; a second one, used only here,
keeps these calls' seconds out of the row's ``fit_seconds`` (they are ``draw_seconds``). A failure
there fails the job like any other call, except an imputer that declares the table with the target
out of its scope (``NotApplicableError``): the inference scores are then missing, the row stays.
"""

from __future__ import annotations

import json
from typing import Any, Callable

import numpy as np
import pandas as pd

from ...harness.guard import ImputerGuard, PluginFailure
from ...harness.job import KeyedMemo
from ...imputer import can_sample

_models = KeyedMemo(64)  # per table: the analysis model its target calls for, or None


def analysis_model(ds) -> str | None:
    """The model of PROTOCOL §9's inference on this table, or None: no such target, or no finite
    estimate on the complete table (the features separate the two classes)."""
    from ...protocol.inference import fit_model, model_for, response

    model = model_for(ds.y, ds.target_kind) if ds.y is not None else None
    if model is None:
        return None
    try:
        fit_model(ds.X, response(ds.y, model), model, ds.X)
    except ValueError:
        return None
    return model


def with_target(X: pd.DataFrame, y: pd.Series) -> pd.DataFrame:
    """``X`` with the target as its last column (a category column for a class target), named apart
    from the features."""
    name = "__target__"
    while name in X.columns:
        name = f"_{name}_"
    return X.assign(**{name: pd.Series(y.array, index=X.index)})


def draws_of(guard: ImputerGuard, imputer: Any, X: pd.DataFrame, y: pd.Series | None, m: int, seed: int,
             single: bool) -> list[pd.DataFrame] | None:
    """``m`` tables from ``imputer.sample`` on ``X``; without ``sample``, its one table (``single``) or None."""
    if can_sample(imputer):
        return guard.call(imputer, "sample", X, m=m, random_state=seed)
    return [guard.call(imputer, "fit_transform", X, y)] if single else None


def multiple_imputation_scores(job, make: Callable[[], Any], imputer: Any, ds, X_masked: pd.DataFrame,
                               mask: np.ndarray, seed: int, m: int, guard: ImputerGuard) -> dict[str, float]:
    """The job's draw and inference scores (module docstring), keyed as the metric registry's; NaN
    where not measured. ``imputer`` has imputed ``X_masked`` already; ``make`` builds a fresh one."""
    from ...protocol.metrics import DRAW_METRICS, INFERENCE_METRICS, draw_scores, inference_metrics

    scores = dict.fromkeys(DRAW_METRICS + INFERENCE_METRICS, float("nan"))
    draws = draws_of(guard, imputer, X_masked, ds.y, m, seed, single=False)
    if draws is not None:
        scores.update(draw_scores(ds.X, draws, mask, seed=seed))
    model = _models.get(job.data_key, lambda: analysis_model(ds))
    if model is not None:
        try:
            fitted = draws_of(guard, make(), with_target(X_masked, ds.y), ds.y, m, seed, single=True)
        except PluginFailure as exc:
            if exc.status != "infeasible":
                raise  # the imputer broke on an in-sample table: the job's failure, as any other call's
            return scores  # out of its scope with the target as a column (PROTOCOL §4): not measured
        try:
            scores.update(inference_metrics([d[ds.X.columns] for d in fitted], ds.y, ds.X, model))
        except ValueError:
            pass  # no finite or identifiable fit on an imputed table: not measured (PROTOCOL §9)
    return scores


def draw_and_infer(job, imputer: Any, ds, X_masked: pd.DataFrame, mask: np.ndarray, seed: int, m: int,
                   memory_limit_mb: float | None) -> dict[str, Any]:
    """:func:`multiple_imputation_scores` through a guard of their own, with their seconds."""
    guard = ImputerGuard(memory_limit_mb)  # the job's guard's block holds the memory limit and peak
    scores = multiple_imputation_scores(
        job, lambda: guard.make(job.imputer, json.loads(job.params), random_state=seed), imputer, ds, X_masked,
        mask, seed, m, guard)
    return {**scores, "draw_seconds": guard.fit_seconds + guard.transform_seconds}
