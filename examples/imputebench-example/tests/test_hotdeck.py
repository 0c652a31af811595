"""The example plugin passes imputebench's contract checks and draws only observed values."""

import numpy as np
import pandas as pd

from imputebench.registry import make_imputer, resolve
from imputebench.testing import parametrize_with_checks
from imputebench_example import HotDeckImputer


@parametrize_with_checks([HotDeckImputer(), HotDeckImputer(random_state=3)])
def test_contract(estimator, check):
    check(estimator)


def test_imputed_values_are_observed_values_of_the_column():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=50).round(2),
                      "c": pd.Categorical(rng.choice(["a", "b"], size=50), categories=["a", "b", "z"])})
    X_missing = X.mask(pd.DataFrame(rng.random(X.shape) < 0.3, columns=X.columns))
    out = HotDeckImputer(random_state=0).fit_transform(X_missing)
    missing = X_missing["x"].isna()
    assert set(out.loc[missing, "x"]) <= set(X_missing["x"].dropna())
    assert set(out["c"]) <= {"a", "b"}  # never the unseen category


def test_registered_through_the_entry_point():
    entry = resolve("hotdeck")
    assert entry.source == "entry-point" and entry.available
    assert entry.info.family == "simple"
    assert isinstance(make_imputer("hotdeck", random_state=1), HotDeckImputer)
