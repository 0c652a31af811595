"""The five deep imputers (GAIN, MIDAE, VAEI, HI-VAE, MIWAE) with tiny training budgets.

Contract (PROTOCOL §4) in-sample and on new rows, determinism under ``random_state``, categorical
columns modelled as categories, and quality: each beats mean imputation at 20% MCAR on a table
with clear structure (2000 Letter rows from the mirror, else Breast Cancer built-in).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from imputebench.datasets import load_dataset  # noqa: E402
from conftest import mirror_dir  # noqa: E402
from imputebench.imputer import validate_output  # noqa: E402
from imputebench.registry import discover, make_imputer  # noqa: E402
from imputebench.registry.mean import MeanImputer  # noqa: E402


# Budgets small enough for one CPU thread: TINY for the contract, LEARN where a test needs the model
# to have learnt the table's structure.
TINY = {
    "gain": {"iterations": 100},
    "midae": {"epochs": 3, "n_imputations": 2},
    "vaei": {"epochs": 3, "batch_size": 64, "impute_iterations": 3},
    "hivae": {"epochs": 3, "batch_size": 100},
    "miwae": {"epochs": 2, "n_samples": 5, "n_impute_samples": 20},
}
LEARN = {
    "gain": {"iterations": 1500},
    "midae": {"epochs": 40, "n_imputations": 1},
    "vaei": {"epochs": 40, "batch_size": 64, "impute_iterations": 10},
    "hivae": {"epochs": 60, "batch_size": 100},
    "miwae": {"epochs": 4, "n_samples": 10, "n_impute_samples": 50},
}
NAMES = sorted(TINY)




def mcar(X: pd.DataFrame, rate: float, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """X with cells missing at ``rate`` (never a whole column); the observed mask (True = observed)."""
    observed = np.random.default_rng(seed).random(X.shape) >= rate
    observed[0] = True  # keeps every column partly observed
    return X.mask(~observed), observed


def scaled_rmse(truth: pd.DataFrame, imputed: pd.DataFrame, observed: np.ndarray) -> float:
    """PROTOCOL §5 RMSE: numeric columns min-max scaled by the complete column, pooled over masked cells."""
    num = [i for i, c in enumerate(truth.columns) if not isinstance(truth[c].dtype, pd.CategoricalDtype)]
    t = truth.iloc[:, num].to_numpy(float)
    p = imputed.iloc[:, num].to_numpy(float)
    span = np.ptp(t, axis=0)
    span[span == 0] = 1.0
    err = ((p - t) / span)[~observed[:, num]]
    return float(np.sqrt((err ** 2).mean()))


@pytest.fixture(scope="module")
def structured_table() -> pd.DataFrame:
    mirror = mirror_dir()
    if mirror is not None and (mirror / "letter.csv").is_file():
        raw = pd.read_csv(mirror / "letter.csv").drop(columns=["lettr"]).astype("float64")
        return raw.sample(2000, random_state=0).reset_index(drop=True)
    return load_dataset("breast_cancer").X


@pytest.fixture(scope="module")
def diabetes() -> pd.DataFrame:
    X = load_dataset("diabetes").X
    assert isinstance(X["sex"].dtype, pd.CategoricalDtype)
    return X


def tiny(name: str, seed: int = 0, budget: dict = TINY, **override):
    return make_imputer(name, {**budget[name], **override, "device": "cpu"}, random_state=seed)


def test_registered_with_profiles() -> None:
    found = discover()
    for name in NAMES:
        entry = found[name]
        assert entry.available, entry.error
        assert entry.info.gpu and entry.info.family == "deep"
        assert set(entry.info.profiles) >= {"quick", "paper"}
        # Profiles name real constructor arguments.
        make_imputer(name, entry.info.params_for("paper"))
        make_imputer(name, entry.info.params_for("quick"))


def test_gain_paper_profile_is_the_papers_setting() -> None:
    from imputebench.imputer_info import split_adapt_params

    paper, budget = split_adapt_params(discover()["gain"].info.params_for("paper"))
    assert paper == {"iterations": 10000, "batch_size": 128, "hint_rate": 0.9, "alpha": 100.0}
    assert budget == {"iterations": 2000}  # the transfer track's fine-tune budget (PROTOCOL §7), not the paper's
    assert make_imputer("gain", paper).hint == "paper"


@pytest.mark.parametrize("name", NAMES)
def test_contract_in_sample_and_new_rows(name: str, diabetes: pd.DataFrame) -> None:
    X, _ = mcar(diabetes, 0.2, seed=1)
    train, test = X.iloc[:300], X.iloc[300:]
    imp = tiny(name).fit(train)
    for part in (train, test):
        out = imp.transform(part)
        validate_output(part, out)
        assert isinstance(out["sex"].dtype, pd.CategoricalDtype)
        assert list(out["sex"].cat.categories) == list(diabetes["sex"].cat.categories)


@pytest.mark.parametrize("name", NAMES)
def test_same_random_state_same_imputation(name: str, diabetes: pd.DataFrame) -> None:
    X, observed = mcar(diabetes, 0.2, seed=2)
    a = tiny(name, seed=7).fit(X).transform(X)
    b = tiny(name, seed=7).fit(X).transform(X)
    c = tiny(name, seed=8).fit(X).transform(X)
    pd.testing.assert_frame_equal(a, b)
    num = [c_ for c_ in X.columns if c_ != "sex"]
    assert not np.allclose(a[num].to_numpy(), c[num].to_numpy()), "random_state has no effect"


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.slow  # a model-quality smoke test: trains a model to convergence
def test_categorical_learnt_from_other_columns(name: str) -> None:
    """A category that is a function of a factor the numeric columns share is predicted better than
    by its mode: the block is modelled as a category (softmax head), decoded by arg-max."""
    rng = np.random.default_rng(0)
    n = 1000
    factor = rng.normal(size=n)
    label = np.where(factor > 0.5, "high", np.where(factor < -0.5, "low", "mid"))
    X = pd.DataFrame({**{f"x{i}": factor + 0.3 * rng.normal(size=n) for i in range(6)},
                      "kind": pd.Categorical(label, categories=["high", "low", "mid"])})
    observed = np.ones(X.shape, dtype=bool)
    observed[:, -1] = rng.random(n) >= 0.3
    Xm = X.mask(~observed)
    # GAIN: the paper's hint trains D on only the ~10% of cells the hint leaves open, too slow for
    # this budget; the reference hint exercises the same categorical heads.
    override = {"hint": "reference"} if name == "gain" else {}
    out = tiny(name, budget=LEARN, **override).fit(Xm).transform(Xm)
    validate_output(Xm, out)
    hidden = ~observed[:, -1]
    accuracy = float((out["kind"][hidden] == X["kind"][hidden]).mean())
    mode_accuracy = float((X["kind"][hidden] == Xm["kind"].mode()[0]).mean())
    assert accuracy > mode_accuracy + 0.2, (accuracy, mode_accuracy)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.slow  # a model-quality smoke test: trains a model to convergence
def test_beats_mean_imputation(name: str, structured_table: pd.DataFrame) -> None:
    X, observed = mcar(structured_table, 0.2, seed=3)
    deep = tiny(name, budget=LEARN).fit(X).transform(X)
    mean = MeanImputer().fit(X).transform(X)
    deep_rmse = scaled_rmse(structured_table, deep, observed)
    mean_rmse = scaled_rmse(structured_table, mean, observed)
    assert deep_rmse < 0.95 * mean_rmse, (deep_rmse, mean_rmse)


@pytest.mark.slow
def test_run_through_the_runner(tmp_path: Path) -> None:
    """All five run as ordinary jobs of `imputebench run` (diabetes has a category; the downstream
    setting's fit-on-train/transform-test path is covered by the contract test's new rows)."""
    from imputebench.harness.runner import RunConfig, run

    summary = run(RunConfig(datasets=["diabetes"], imputers=NAMES, mechanisms=["mcar"], rates=[0.2], seeds=[0],
                            settings=["in-sample"], profile="ci", results_dir=tmp_path, jobs=1,
                            progress=False, params={n: {**TINY[n], "device": "cpu"} for n in NAMES}))
    rows = summary.rows
    assert len(rows) == len(NAMES)
    assert (rows["status"] == "ok").all(), rows[["imputer", "status", "error"]]
    assert rows["rmse"].notna().all() and rows["cat_accuracy"].notna().all()
    assert set(rows["device"]) == {"cpu"}


@pytest.mark.slow  # a model-quality smoke test: trains a model to convergence
def test_vaei_chain_stays_inside_the_observed_range() -> None:
    """Rows of very different scale (heavy-tailed columns, like Hill-Valley) make the VAE's iterated
    reconstruction expansive: unbounded, it runs off by millions of column ranges; bounded by each
    column's observed range (the default), it imputes well, and cells it cannot have reached alike."""
    from imputebench.protocol.masks import mnar
    from imputebench.registry.vaei import VAEImputer

    rng = np.random.default_rng(0)
    n, d = 400, 60
    X = np.exp(rng.normal(0, 1.5, size=(n, 1))) * (np.sin(np.linspace(0, 3, d)) + 1.5) * (1 + 0.05 * rng.normal(size=(n, d)))
    missing = mnar(X, np.zeros(d, bool), 0.2, np.random.default_rng(0))
    Xm = pd.DataFrame(np.where(missing, np.nan, X), columns=[f"c{j}" for j in range(d)])
    span = np.ptp(X, axis=0)

    def imputed(clip: bool) -> np.ndarray:
        return VAEImputer(epochs=25, batch_size=64, learning_rate=0.003, clip_to_observed=clip,
                          random_state=0).fit_transform(Xm).to_numpy()

    assert ((np.abs(imputed(clip=False) - X) / span)[missing]).max() > 1e3  # the failure the bound exists for
    out = imputed(clip=True)
    low, high = np.nanmin(Xm.to_numpy(), 0), np.nanmax(Xm.to_numpy(), 0)
    tol = 1e-5 * span  # the model computes in float32
    assert ((out >= low - tol) & (out <= high + tol)).all()
    errors = (np.abs(out - X) / span)[missing]
    mean_errors = (np.abs(np.nanmean(Xm.to_numpy(), 0) - X) / span)[missing]
    assert errors.mean() < 0.03 and errors.mean() < 0.5 * mean_errors.mean()


def test_midae_models_side_by_side_match_one_matmul_each(monkeypatch):
    """MIDAE trains its models side by side with one batched matmul per layer only where that sums
    exactly as each model's own matmul: both paths give the same imputation, bit for bit."""
    from imputebench.registry import midae

    rng = np.random.default_rng(0)
    base = rng.normal(size=(300, 4))
    X = pd.DataFrame(np.hstack([base, base @ rng.normal(size=(4, 12))]), columns=[f"c{i}" for i in range(16)])
    Xm, _ = mcar(X, 0.2, 1)
    params = {"epochs": 2, "n_imputations": 3, "device": "cpu", "random_state": 0}
    calls = []
    probe = midae._stacking_is_exact
    monkeypatch.setattr(midae, "_stacking_is_exact", lambda *a: calls.append(probe(*a)) or calls[-1])
    batched = make_imputer("midae", params).fit_transform(Xm)
    if not calls[-1]:
        pytest.skip("the batched matmul does not sum as the per-model one at these shapes here")
    monkeypatch.setattr(midae, "_stacking_is_exact", lambda *a: False)
    separate = make_imputer("midae", params).fit_transform(Xm)
    assert np.array_equal(batched.to_numpy(), separate.to_numpy())


def test_lean_adam_updates_as_torch_adam_bit_for_bit():
    """LeanAdam (the deep imputers' optimiser) is torch.optim.Adam's arithmetic without its wrappers:
    after many steps, with a parameter left out of some steps, the weights are the same bits."""
    from imputebench.registry.neural import LeanAdam

    torch.manual_seed(0)
    nets = [torch.nn.Sequential(torch.nn.Linear(7, 9), torch.nn.Tanh(), torch.nn.Linear(9, 3)) for _ in range(2)]
    nets[1].load_state_dict(nets[0].state_dict())
    opts = [torch.optim.Adam(nets[0].parameters(), lr=3e-3), LeanAdam(nets[1].parameters(), lr=3e-3)]
    x = torch.randn(50, 7)
    for step in range(300):
        for net, opt in zip(nets, opts):
            opt.zero_grad(set_to_none=True)
            out = net(x + step * 1e-3) if step % 7 else net[1](net[0](x)).sum(-1, keepdim=True).expand(-1, 3)
            (out ** 2).mean().backward()
            if step % 7 == 0:
                net[2].weight.grad = net[2].bias.grad = None  # this step leaves the last layer out
            opt.step()
    assert all(torch.equal(a, b) for a, b in zip(nets[0].parameters(), nets[1].parameters()))


def test_lean_nesterov_sgd_updates_as_torch_sgd_bit_for_bit():
    """LeanNesterovSGD (MIDAE's optimiser) against torch.optim.SGD(nesterov=True): the same bits."""
    from imputebench.registry.neural import LeanNesterovSGD

    torch.manual_seed(0)
    nets = [torch.nn.Sequential(torch.nn.Linear(7, 9), torch.nn.Tanh(), torch.nn.Linear(9, 7)) for _ in range(2)]
    nets[1].load_state_dict(nets[0].state_dict())
    opts = [torch.optim.SGD(nets[0].parameters(), lr=0.01, momentum=0.99, nesterov=True),
            LeanNesterovSGD(nets[1].parameters(), lr=0.01, momentum=0.99)]
    x = torch.randn(50, 7)
    for step in range(300):
        for net, opt in zip(nets, opts):
            opt.zero_grad(set_to_none=True)
            ((net(x + step * 1e-3) - x) ** 2).mean().backward()
            opt.step()
    assert all(torch.equal(a, b) for a, b in zip(nets[0].parameters(), nets[1].parameters()))


def test_gain_early_stopping_keeps_the_best_checked_iterate_on_cells_it_never_trained_on() -> None:
    """holdout_fraction > 0 (not the paper's): GAIN trains without a share of the observed cells and
    keeps the weights that imputed them best. The held-out cells come from a stream of their own: a
    mask drawn from the bare seed (as the harness does) must not decide them, or every held-out
    cell would be a missing one and nothing would be checked."""
    from imputebench.registry.gain import GAINImputer

    X = load_dataset("iris").X
    seed = 3
    observed = np.random.default_rng(seed).random(X.shape) >= 0.2
    # A large step, so that the held-out error falls and then rises within 600 iterations.
    gain = GAINImputer(iterations=600, check_every=50, learning_rate=1e-2, holdout_fraction=0.2, random_state=seed,
                       device="cpu")
    out = gain.fit_transform(X.where(observed))
    validate_output(X.where(observed), out)
    steps, errors = zip(*gain.holdout_errors_)
    assert steps == tuple(range(0, 601, 50))
    assert min(errors) > 0  # cells were held out and scored
    assert gain.best_iteration_ == steps[int(np.argmin(errors))]
    assert gain.best_iteration_ not in (0, 600)  # the error fell, then rose: a middle iterate is kept
    again = GAINImputer(**gain.get_params()).fit_transform(X.where(observed))
    pd.testing.assert_frame_equal(out, again)
    # The weights kept are those of the same run stopped at the best check (checking draws from a
    # stream of its own, so both runs train alike up to there), not the last iterate's.
    stopped = GAINImputer(**{**gain.get_params(), "iterations": gain.best_iteration_}).fit(X.where(observed))
    kept, there = gain.generator_net_.state_dict(), stopped.generator_net_.state_dict()
    assert all(torch.equal(kept[k], there[k]) for k in kept)
    last = GAINImputer(**{**gain.get_params(), "check_every": 10_000}).fit(X.where(observed))  # checks 0 and 600 only
    assert last.best_iteration_ == 600
    assert not all(torch.equal(kept[k], last.generator_net_.state_dict()[k]) for k in kept)
