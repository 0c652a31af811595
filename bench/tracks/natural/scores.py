"""The natural-missingness track's scores (PROTOCOL §10), declared once: what its page ranks, and the
scores that need no ground truth.

A table with real holes has no truth at its missing cells, so the track scores an imputer three ways:

- ``downstream`` (§10 a): the model of §3 trained on the imputed train split and scored on the
  imputed test split, beside the complete-case model and XGBoost on the raw table;
- ``masked`` (§10 b): §2's masks drawn on the *observed* cells, scored with §5 on those cells;
- the **truth-free scores** (§10 c): :data:`TRUTH_FREE_SCORES`, each a function that judges an imputer
  from the incomplete table alone. Each is a setting of its own (its own jobs, keys and store column),
  so adding one adds jobs and leaves every stored row as it is.

**To add a truth-free score** (the I-Score, say), write a function with the signature of
:data:`ScoreFunction` and append one :class:`TruthFreeScore` to :data:`TRUTH_FREE_SCORES`; its store
column, its ``--scores`` value, its jobs and its ranking on the page follow from that line.

Light on purpose: the track's declaration imports this module; numbers are imported inside the functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    import pandas as pd

# (incomplete table, seed) -> the table imputed by a fresh imputer of the job, through the guarded call
ImputeFn = Callable[["pd.DataFrame", int], "pd.DataFrame"]
# score(X, impute, *, X_imputed, random_state) -> float: X with its own holes, X_imputed the job's
# imputer's fit_transform of X (shared, so a score that needs no refit costs nothing more)
ScoreFunction = Callable[..., float]

DOWNSTREAM = "downstream"
MASKED = "masked"


@dataclass(frozen=True)
class TruthFreeScore:
    """A score of an imputer on a table with real holes that needs no ground truth (PROTOCOL §10 c).

    ``name`` is its setting, its ``--scores`` value and its store column; ``function`` a dotted
    ``"module:function"`` of signature :data:`ScoreFunction`; ``proper``: whether the score is
    proper (its expected value is best for the true conditional distribution) under a stated
    missingness condition; ``note``: what the page says beside its ranking (its caveats, or how well
    its ranking agreed with the truth in its validation)."""

    name: str
    label: str
    higher_is_better: bool
    function: str
    proper: bool
    note: str = ""

    def compute(self) -> ScoreFunction:
        module, _, attr = self.function.partition(":")
        return getattr(import_module(module), attr)


# The truth-free scores every natural-track run computes (one setting each).
TRUTH_FREE_SCORES: tuple[TruthFreeScore, ...] = (
    TruthFreeScore(
        "iscore", "energy-I-Score", False, "imputebench.tracks.natural.scores:energy_iscore_score", proper=True,
        note="Proper under MAR (Näf, Grzesiak and Scornet 2025). Validated on 7 complete tables x 3 mechanisms "
             "with known truth (tests/benchmarks/iscore_validation.md): its ranking agrees with the energy distance "
             "to the truth at Spearman 0.70 (MCAR), 0.85 (MAR) and only 0.37 (MNAR), and weakly with ARMSE "
             "(0.10-0.33): it rewards imputations drawn from the data's distribution, not conditional means. "
             "Where the holes may be MNAR, do not trust this ranking."),
    TruthFreeScore(
        "obs_shift", "shift from observed (KS/TV)", False,
        "imputebench.tracks.natural.scores:observed_shift", proper=False,
        note="A diagnostic, not a proper score: under MAR or MNAR the missing values may rightly differ from the "
             "observed ones, so a low shift is not always better; a high one flags imputations that look "
             "nothing like the data (e.g. one value for every hole)."),
)


@dataclass(frozen=True)
class RankedScore:
    """A score the page ranks imputers by: the jobs of ``setting``, the store column ``column``."""

    setting: str
    column: str
    label: str
    higher_is_better: bool
    note: str = ""


def ranked_scores() -> tuple[RankedScore, ...]:
    """What the track's page ranks, in its order: downstream, ARMSE on the extra masks, each truth-free score."""
    return (RankedScore(DOWNSTREAM, "downstream", "downstream score", True),
            RankedScore(MASKED, "armse", "ARMSE on extra masks", False),
            *(RankedScore(s.name, s.name, s.label, s.higher_is_better, s.note) for s in TRUTH_FREE_SCORES))


def settings() -> tuple[str, ...]:
    """Every setting of the track (its ``--scores`` values): downstream, masked and each truth-free score."""
    return (DOWNSTREAM, MASKED, *(s.name for s in TRUTH_FREE_SCORES))


def truth_free_score(name: str) -> TruthFreeScore | None:
    """The truth-free score of that setting name, or None (downstream, masked)."""
    return next((s for s in TRUTH_FREE_SCORES if s.name == name), None)


def observed_shift(X: "pd.DataFrame", impute: ImputeFn, *, X_imputed: "pd.DataFrame", random_state: int) -> float:
    """How far the imputed cells' distribution lies from the observed cells' (lower: closer), the mean
    over the columns with both: the two-sample Kolmogorov-Smirnov statistic for a numeric column, the
    total variation distance between category shares for a categorical one. Needs no refit
    (``impute`` and ``random_state`` are unused); NaN when no column has both kinds of cells.

    The comparison of imputed with observed distributions is the usual first check of an imputation
    (Abayomi, Gelman and Levy 2008); it is not proper (see :data:`TRUTH_FREE_SCORES`)."""
    import numpy as np
    import pandas as pd
    from scipy.stats import ks_2samp

    shifts = []
    for c in X.columns:
        holes = X[c].isna().to_numpy()
        if holes.all() or not holes.any():
            continue
        observed, imputed = X[c][~holes], X_imputed[c][holes]
        if isinstance(X[c].dtype, pd.CategoricalDtype):
            p = observed.astype(str).value_counts(normalize=True)
            q = imputed.astype(str).value_counts(normalize=True)
            shifts.append(0.5 * float(p.sub(q, fill_value=0.0).abs().sum()))
        else:
            shifts.append(float(ks_2samp(observed.to_numpy(dtype=float), imputed.to_numpy(dtype=float)).statistic))
    return float(np.mean(shifts)) if shifts else float("nan")


def energy_iscore_score(X: "pd.DataFrame", impute: ImputeFn, *, X_imputed: "pd.DataFrame", random_state: int) -> float:
    """The energy-I-Score of the job's imputation (:func:`imputebench.protocol.iscore.energy_iscore`, lower
    is better): each column's observed cells are held out and re-imputed by the same imputer, several
    draws (fresh fits with other seeds), scored against the held-out values."""
    from ...protocol.iscore import energy_iscore

    return float(energy_iscore(X, impute, X_imputed=X_imputed, random_state=random_state).score)
