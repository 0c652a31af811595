"""Exactness of the fast paths of knn and missforest.

missforest: the bounded-memory forests (dropped after the fit's use, rebuilt for new rows) and
threads change no imputed cell.

knn: every imputed cell equals a brute-force float64 reference (each donor's exact nan-euclidean
distance, equal distances to the earlier donor row), on tables built to stress the float32 screen
and its certification: many exact ties (integer values, duplicate rows), new rows far outside the
fit table's range, categorical columns, inverse-distance weights, blocks of one row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from imputebench.datasets import load_dataset
from imputebench.registry import knn as knn_module
from imputebench.registry import missforest as mf_module
from imputebench.registry.knn import TIE_TOLERANCE, KNNImputer


def mcar(X: pd.DataFrame, rate: float, seed: int) -> pd.DataFrame:
    observed = np.random.default_rng(seed).random(X.shape) >= rate
    observed[:2, :] = True  # no column fully missing (PROTOCOL §2)
    return X.mask(~observed)


def brute_force(imputer: KNNImputer, X: pd.DataFrame) -> pd.DataFrame:
    """The k nearest donors of every missing cell, found by sorting every donor's exact distance."""
    enc = imputer.encoder_
    donors = enc.encode(imputer.fit_table_for_test_)
    query = enc.encode(X)
    d_obs, q_obs = ~np.isnan(donors), ~np.isnan(query)
    width = donors.shape[1]
    filled = np.where(q_obs, query, imputer.fallback_)
    for row in range(len(X)):
        both = d_obs & q_obs[row]
        diff = np.where(both, np.nan_to_num(donors) - np.nan_to_num(query[row]), 0.0)
        shared = both.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            dist = np.where(shared > 0, (diff ** 2).sum(axis=1) / shared, np.inf)
        for j, block in enumerate(enc.blocks_):
            if not np.isnan(query[row, block.start]):
                continue
            cand = np.flatnonzero(d_obs[:, block.start])
            if cand.size == 0:
                continue
            ordered = np.sort(dist[cand])
            with np.errstate(invalid="ignore"):
                gaps = np.diff(ordered) > TIE_TOLERANCE
            tie_class = np.concatenate([[0], np.cumsum(gaps)])[np.searchsorted(ordered, dist[cand])]
            nearest = cand[np.lexsort((cand, tie_class))[:imputer.n_neighbors]]
            distance = np.sqrt(dist[nearest] * width)
            weight = np.isfinite(distance).astype(float)
            if imputer.weights == "distance" and weight.any():
                weight = (distance == 0).astype(float) if (distance == 0).any() else np.where(weight > 0, 1 / distance, 0)
            if weight.sum() > 0:
                filled[row, block.start:block.stop] = weight @ donors[nearest, block.start:block.stop] / weight.sum()
    return enc.decode(filled, index=X.index)


def fitted(X: pd.DataFrame, **params) -> KNNImputer:
    imputer = KNNImputer(**params).fit(X)
    imputer.fit_table_for_test_ = X
    return imputer


def assert_same_cells(ours: pd.DataFrame, reference: pd.DataFrame, X: pd.DataFrame) -> None:
    for c in X.columns:
        hidden = X[c].isna().to_numpy()
        if isinstance(X[c].dtype, pd.CategoricalDtype):
            assert (ours[c][hidden].astype(str).to_numpy() == reference[c][hidden].astype(str).to_numpy()).all(), c
        else:
            np.testing.assert_allclose(ours[c][hidden], reference[c][hidden], rtol=1e-9, atol=1e-12, err_msg=c)


@pytest.fixture(scope="module")
def diabetes() -> pd.DataFrame:
    return load_dataset("diabetes").X  # 442 x 10, 'sex' categorical


def test_knn_equals_brute_force_with_ties_and_categories(diabetes: pd.DataFrame) -> None:
    # Rounded to 2 distinct values per unit of spread: most distances tie with others.
    X = diabetes.copy()
    numeric = [c for c in X.columns if c != "sex"]
    X[numeric] = (X[numeric] / X[numeric].std()).round(0)
    Xm = mcar(X, 0.3, seed=1)
    imputer = fitted(Xm)
    assert_same_cells(imputer.transform(Xm), brute_force(imputer, Xm), Xm)


def test_knn_equals_brute_force_with_duplicate_rows_and_far_new_rows(diabetes: pd.DataFrame,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A third of the donors are one repeated row (every candidate list overflows with ties, so the
    search widens to every donor); new rows lie 5x outside the fit range (the float32 error bound
    grows with their norm), one of them empty; one query row per block."""
    X = diabetes.iloc[:240].copy()
    X.iloc[:80] = X.iloc[[0] * 80].to_numpy()
    Xm = mcar(X, 0.2, seed=2)
    imputer = fitted(Xm)
    fresh = diabetes.iloc[300:].copy()
    numeric = [c for c in fresh.columns if c != "sex"]
    fresh[numeric] = fresh[numeric] * 5
    fresh = mcar(fresh, 0.3, seed=3)
    fresh.iloc[0] = np.nan  # no coordinate shared with any donor: every donor is at infinity
    monkeypatch.setattr(knn_module, "BLOCK_CELLS", 1)
    for table in (Xm, fresh):
        assert_same_cells(imputer.transform(table), brute_force(imputer, table), table)


def test_knn_distance_weights_equal_brute_force_and_scikit_learn() -> None:
    from sklearn.impute import KNNImputer as SkKNN

    wine = load_dataset("wine").X
    Xm = mcar(wine, 0.3, seed=4)
    train, test = Xm.iloc[:120], Xm.iloc[120:]
    imputer = fitted(train, weights="distance")
    ours = imputer.transform(test)
    assert_same_cells(ours, brute_force(imputer, test), test)
    lo, span = train.min().to_numpy(), (train.max() - train.min()).to_numpy()
    theirs = SkKNN(n_neighbors=5, weights="distance").fit((train.to_numpy() - lo) / span).transform(
        (test.to_numpy() - lo) / span)
    np.testing.assert_allclose(ours.to_numpy(), theirs * span + lo, rtol=1e-9, atol=1e-9)


# -- missforest ---------------------------------------------------------------------------------

def missforest(**params) -> mf_module.MissForestImputer:
    defaults = dict(n_estimators=5, max_iter=3, transform_models="last-sweep", random_state=0)
    return mf_module.MissForestImputer(**{**defaults, **params})


def test_missforest_rebuilt_forests_impute_new_rows_as_kept_ones_would(diabetes: pd.DataFrame,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Dropping each forest after the fit's use and rebuilding it for new rows changes no cell,
    in-sample or on new rows (including a column complete at fit time), and holds no trees after fit."""
    from imputebench.registry.forests import RebuildableForest

    X = mcar(diabetes, 0.3, seed=5)
    X["s1"] = diabetes["s1"]  # complete at fit time, missing in the new rows
    train, test = X.iloc[:300], X.iloc[300:].assign(s1=mcar(diabetes.iloc[300:], 0.3, seed=6)["s1"])
    imputer = missforest().fit(train)
    kept = [m.estimator for sweep in imputer.sweeps_ for m in sweep.values() if m.estimator is not None]
    assert kept and all(isinstance(f, RebuildableForest) and f.fitted_ is None for f in kept)
    ours = (imputer.transform(train), imputer.transform(test))
    # Reference: the plain scikit-learn forests, kept from the fit on.
    monkeypatch.setattr(mf_module, "RebuildableForest", lambda forest, drop_trees: forest)
    reference = missforest().fit(train)
    pd.testing.assert_frame_equal(ours[0], reference.transform(train))
    pd.testing.assert_frame_equal(ours[1], reference.transform(test))


@pytest.mark.slow  # two forests on diabetes
def test_missforest_threads_do_not_change_the_result(diabetes: pd.DataFrame) -> None:
    X = mcar(diabetes, 0.3, seed=7)
    pd.testing.assert_frame_equal(missforest(n_jobs=1).fit(X).transform(X), missforest(n_jobs=2).fit(X).transform(X))


def test_missforest_auto_threads_use_idle_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mf_module.os, "sched_getaffinity", lambda pid: set(range(8)), raising=False)
    monkeypatch.setattr(mf_module.os, "getloadavg", lambda: (3.2, 0.0, 0.0), raising=False)
    assert mf_module.forest_threads("auto") == 6  # 8 cores, 3 busy of which one is this process
    monkeypatch.setattr(mf_module.os, "getloadavg", lambda: (40.0, 0.0, 0.0), raising=False)
    assert mf_module.forest_threads("auto") == 1
    assert mf_module.forest_threads(3) == 3
    with pytest.raises(ValueError, match="n_jobs must be an integer or 'auto'"):
        mf_module.forest_threads("many")


def _forest_warnings_in_this_process() -> tuple[list[str], list[str]]:
    """(warnings of a 2-thread forest through RebuildableForest, of the bare forest), here."""
    import warnings

    from sklearn.ensemble import RandomForestRegressor

    from imputebench.registry.forests import RebuildableForest

    X = np.random.default_rng(0).random((60, 3))
    y = X.sum(axis=1)
    caught = []
    for make in (lambda f: RebuildableForest(f, drop_trees=False), lambda f: f):
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            make(RandomForestRegressor(n_estimators=4, n_jobs=2, random_state=0)).fit(X, y).predict(X)
        caught.append([str(w.message) for w in seen])
    return caught[0], caught[1]


@pytest.mark.slow  # spawns a process that imports scikit-learn
def test_forest_threads_work_inside_a_daemonic_worker() -> None:
    """The harness's workers are daemonic processes, where joblib's default backend runs 1 job."""
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(1) as pool:  # pool workers are daemonic
        ours, bare = pool.apply(_forest_warnings_in_this_process)
    assert any("setting n_jobs=1" in w for w in bare)  # the trap is real
    assert ours == []
