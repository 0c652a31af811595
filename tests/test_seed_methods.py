"""The seed-paper imputers (issue 5): Meta-GAIN, DiffPuter, ReMasker, HyperImpute.

Tiny budgets throughout (CPU, one thread); speed lives in tests/benchmarks/bench_seed_methods.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from imputebench.datasets import load_dataset
from imputebench.imputer import validate_output
from imputebench.protocol.masks import apply_mask, draw_mask
from imputebench.protocol.metrics import imputation_metrics
from imputebench.registry import make_imputer, resolve
from imputebench.registry.metagain import MetaGAINImputer

pytest.importorskip("torch")

# Budgets that only exercise the code paths.
TINY = {
    "metagain": {"n_iterations": 15, "batch_size": 32, "hidden_dim": 16, "latent_dim": 8, "log_every": 1,
                 "meta_optimizer": "adam"},
    "diffputer": {"n_em_iterations": 2, "n_epochs": 5, "width": 16, "n_steps": 4, "n_samples": 2,
                  "resample_steps": 2, "patience": None},
    "remasker": {"embed_dim": 8, "depth": 1, "decoder_depth": 1, "num_heads": 2, "max_epochs": 2,
                 "warmup_epochs": 1, "batch_size": 64},
    "hyperimpute": {"pool": "small", "max_iter": 2, "selection_rows": 60, "reselect_every_iteration": False},
}
# Small budgets that learn something on wine (178 x 13).
SMALL = {
    "metagain": {"n_iterations": 300, "lr": 0.2},
    "diffputer": {"n_em_iterations": 2, "n_epochs": 200, "width": 64, "n_steps": 15, "n_samples": 2,
                  "resample_steps": 2, "patience": None, "lr": 1e-3, "weight_decay": 1e-6, "lr_patience": 20},
    "remasker": {"embed_dim": 32, "depth": 2, "decoder_depth": 1, "num_heads": 4, "max_epochs": 80,
                 "warmup_epochs": 8, "batch_size": 32, "lr": 1e-2},
    "hyperimpute": {"pool": "small", "max_iter": 2, "selection_rows": 120, "reselect_every_iteration": False},
}
SEEDS = tuple(TINY)
# HyperImpute's model search costs more than the rest together: its contract cases run in the slow tier.
SEEDS_FAST_FIRST = [pytest.param(n, marks=pytest.mark.slow) if n == "hyperimpute" else n for n in SEEDS]


def masked(name: str, rate: float = 0.2, seed: int = 0):
    ds = load_dataset(name)
    mask = draw_mask(ds.X, "mcar", rate, np.random.default_rng(seed))
    return ds, mask, apply_mask(ds.X, mask)


def fitted(name: str, params: dict, X: pd.DataFrame, y, seed: int = 0):
    return make_imputer(name, params, random_state=seed).fit(X, y)


@pytest.mark.parametrize("name", SEEDS)
def test_registered_with_both_profiles(name):
    entry = resolve(name)
    assert entry.available, entry.error
    assert set(entry.info.profiles) >= {"quick", "paper"}
    assert entry.info.uses_labels == (name == "metagain")  # PROTOCOL §3: only Meta-GAIN sees labels


@pytest.mark.parametrize("name", SEEDS_FAST_FIRST)
def test_contract_in_sample_and_new_rows_with_a_categorical_column(name):
    # diabetes has the categorical column 'sex'; Meta-GAIN needs a class, so it gets wine's labels
    # on iris-sized data instead (its label handling is tested below).
    ds, mask, X = masked("wine" if name == "metagain" else "diabetes", rate=0.3)
    if name == "metagain":
        X = X.assign(kind=pd.Categorical(np.where(ds.X["alcohol"] > 13, "high", "low")))
        X.loc[X.index[::5], "kind"] = np.nan
    train, new = X.iloc[:120], X.iloc[120:]
    y = ds.y.iloc[:120] if name == "metagain" else None
    imp = fitted(name, TINY[name], train, y)
    out_train, out_new = imp.transform(train), imp.transform(new)
    validate_output(train, out_train)  # PROTOCOL §4
    validate_output(new, out_new)  # inductive (PROTOCOL §3 downstream)
    cat = "kind" if name == "metagain" else "sex"
    assert isinstance(out_new[cat].dtype, pd.CategoricalDtype)
    assert set(out_new[cat].unique()) <= set(X[cat].cat.categories)


@pytest.mark.parametrize("name", SEEDS_FAST_FIRST)
def test_deterministic_on_cpu(name):
    ds, _, X = masked("wine")
    X = X.iloc[:, :6]  # fewer columns: fewer model selections for HyperImpute
    params = {**TINY[name], **({"device": "cpu"} if name != "hyperimpute" else {})}
    a = fitted(name, params, X, ds.y, seed=3).transform(X)
    b = fitted(name, params, X, ds.y, seed=3).transform(X)
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize("name", SEEDS)
@pytest.mark.slow  # a model-quality smoke test: trains a model to convergence
def test_beats_mean_imputation_on_wine_mcar_20(name):
    ds, mask, X = masked("wine")
    ours = imputation_metrics(ds.X, fitted(name, SMALL[name], X, ds.y).transform(X), mask)
    mean = imputation_metrics(ds.X, make_imputer("mean").fit(X).transform(X), mask)
    assert ours["rmse"] < mean["rmse"], (ours["rmse"], mean["rmse"])
    assert ours["armse"] < mean["armse"], (ours["armse"], mean["armse"])


def test_metagain_without_labels_says_it_needs_a_class_target():
    from imputebench.errors import NotApplicableError

    ds, _, X = masked("wine")
    with pytest.raises(NotApplicableError, match="needs a class target"):
        MetaGAINImputer(**TINY["metagain"]).fit(X)
    diabetes = load_dataset("diabetes")  # a regression target is not a class
    with pytest.raises(NotApplicableError, match="needs a class target"):
        MetaGAINImputer(**TINY["metagain"]).fit(diabetes.X, diabetes.y)


@pytest.mark.slow  # a model-quality smoke test: trains a model to convergence
def test_a_regression_table_is_infeasible_for_metagain_not_a_failure(tmp_path):
    """PROTOCOL §4: outside the method's scope, the job is infeasible with the reason, and a retry of
    failed jobs does not run it again."""
    from imputebench import cli
    from imputebench.harness.store import ResultStore

    args = ["run", "--profile", "ci", "--datasets", "diabetes", "--imputers", "metagain,mean", "--mechanisms", "mcar",
            "--rates", "0.2", "--seeds", "0", "--results", str(tmp_path), "--no-report"]
    assert cli.main(args) == 0
    rows = ResultStore(tmp_path).load().set_index(["imputer", "setting"])
    assert set(rows.loc["metagain", "status"]) == {"infeasible"}
    assert rows.loc["metagain", "error"].str.contains("needs a class target; got a regression target").all()
    assert set(rows.loc["mean", "status"]) == {"ok"}
    before = len(ResultStore(tmp_path).load())
    assert cli.main([*args, "--retry-failed"]) == 0
    assert len(ResultStore(tmp_path).load()) == before


def test_metagain_ablation_switches_change_the_objective():
    ds, _, X = masked("wine")
    full = MetaGAINImputer(**TINY["metagain"], random_state=0).fit(X, ds.y)
    assert full.terms_ == ["kl", "tr", "ad"]
    assert {"beta", "gamma", "eta", "meta"} <= set(full.history_)
    # The meta network moves the weights away from their starting values.
    assert not np.allclose(full.history_["beta"], full.history_["beta"][0])

    no_kl = MetaGAINImputer(**TINY["metagain"], use_kl=False, random_state=0).fit(X, ds.y)
    assert "kl" not in no_kl.terms_ and "kl" not in no_kl.history_ and "beta" not in no_kl.history_

    no_task = MetaGAINImputer(**TINY["metagain"], use_task=False, random_state=0).fit(X, ds.y)
    assert "tr" not in no_task.history_ and "gamma" not in no_task.history_

    fixed = MetaGAINImputer(**TINY["metagain"], use_meta=False, beta=0.3, gamma=0.2, eta=0.1,
                            weight_grid=None, random_state=0).fit(X, ds.y)
    assert "meta" not in fixed.history_
    for weight, value in {"beta": 0.3, "gamma": 0.2, "eta": 0.1}.items():
        assert np.allclose(fixed.history_[weight], value)

    # With both TR and MN off nothing reads the labels.
    MetaGAINImputer(**TINY["metagain"], use_task=False, use_meta=False, search_iterations=2).fit(X)


def test_metagain_meta_set_is_ten_percent_of_each_class_apart_from_the_training_rows():
    ds, _, X = masked("wine")
    imp = MetaGAINImputer(**TINY["metagain"], random_state=0).fit(X, ds.y)
    per_class = ds.y.iloc[imp.meta_rows_].value_counts()
    expected = (ds.y.value_counts() * 0.1).round().astype(int)
    assert per_class.sort_index().tolist() == expected.sort_index().tolist()
    # Disjoint, and together every row: the networks never train on the meta set.
    assert not set(imp.meta_rows_) & set(imp.train_rows_)
    assert sorted([*imp.meta_rows_, *imp.train_rows_]) == list(range(len(X)))


def test_metagain_batches_never_touch_the_meta_rows(monkeypatch):
    import imputebench.registry.metagain as module

    ds, _, X = masked("wine")
    seen: list[np.ndarray] = []
    original = MetaGAINImputer._generator_terms

    def spy(self, params, x, m, y, hint, gen):
        if params is None:  # the real generator step sees the training batch
            seen.append(x.detach().cpu().numpy())
        return original(self, params, x, m, y, hint, gen)

    monkeypatch.setattr(module.MetaGAINImputer, "_generator_terms", spy)
    imp = MetaGAINImputer(**TINY["metagain"], random_state=0).fit(X, ds.y)
    encoded = module.encode_table(imp.encoder_, X, fill=0.0).values.astype(np.float32)
    meta = {row.tobytes() for row in encoded[imp.meta_rows_]}
    batch_rows = {row.tobytes() for batch in seen for row in batch}
    assert batch_rows and not batch_rows & meta


def test_metagain_input_noise_is_uniform_on_zero_one():
    import torch

    imp = MetaGAINImputer()
    x, m = torch.zeros(2000, 5), torch.zeros(2000, 5)
    noisy = imp._noisy_inputs(x, m, torch.Generator().manual_seed(0))
    assert 0.0 <= float(noisy.min()) < 0.01 and 0.99 < float(noisy.max()) <= 1.0  # Eq. 5: S ~ U[0, 1]
    assert abs(float(noisy.mean()) - 0.5) < 0.02


def test_metagain_without_kl_has_a_deterministic_embedding():
    import torch

    imp = MetaGAINImputer(use_kl=False)
    assert imp._embedding_noise(4, torch.Generator().manual_seed(0), torch.device("cpu")) is None
    assert MetaGAINImputer()._embedding_noise(4, torch.Generator(), torch.device("cpu")).shape == (4, 100)


def test_metagain_decay_reading_switches_between_lr_decay_and_weight_decay():
    ds, _, X = masked("wine")
    params = {**TINY["metagain"], "decay": 1e-2, "random_state": 0}
    lr_decay = MetaGAINImputer(**params).fit(X, ds.y)
    assert lr_decay.g_opt_.param_groups[0]["weight_decay"] == 0.0
    assert lr_decay.g_opt_.param_groups[0]["lr"] < 1e-2  # lr / (1 + decay t) after 15 steps
    weight_decay = MetaGAINImputer(**params, decay_as="weight").fit(X, ds.y)
    assert weight_decay.g_opt_.param_groups[0]["weight_decay"] == 1e-2
    assert weight_decay.d_opt_.param_groups[0]["weight_decay"] == 1e-2
    assert weight_decay.g_opt_.param_groups[0]["lr"] == 1e-2  # constant rate


def test_metagain_reupdate_keeps_the_look_ahead_step():
    # The literal re-update (Eq. 12 twice) commits the look-ahead w_hat, so one iteration moves the
    # generator by two steps; without it, by one (the look-ahead is discarded).
    ds, _, X = masked("wine")
    moved = {}
    for reupdate in (False, True):
        imp = MetaGAINImputer(**{**TINY["metagain"], "n_iterations": 1}, reupdate=reupdate, momentum=0.0,
                              random_state=0).fit(X, ds.y)
        moved[reupdate] = imp.generator_.decoder[0].weight.detach().clone()
    assert not np.allclose(moved[False].numpy(), moved[True].numpy())


def test_metagain_without_meta_network_picks_fixed_weights_from_the_grid():
    ds, _, X = masked("wine")
    imp = MetaGAINImputer(**TINY["metagain"], use_meta=False, search_iterations=5, random_state=0).fit(X, ds.y)
    assert set(imp.fixed_weights_) == {"beta", "gamma", "eta"}
    assert set(imp.fixed_weights_.values()) <= {0.01, 0.1, 1.0, 10.0}
    # One weight at a time over the grid: at most 4 candidates per term, each scored once.
    assert 4 <= len(imp.weight_search_) <= 3 * 4
    errors = [c["holdout_error"] for c in imp.weight_search_]
    assert all(np.isfinite(errors)) and len(set(errors)) > 1  # the candidates really differ
    best = min(imp.weight_search_, key=lambda c: c["holdout_error"])
    assert {k: best[k] for k in imp.fixed_weights_} == imp.fixed_weights_
    for weight, value in imp.fixed_weights_.items():  # and the final fit trains with them
        assert np.allclose(imp.history_[weight], value)


def test_paper_profiles_are_the_official_settings_and_quick_reductions_are_listed():
    diffputer = resolve("diffputer").info
    assert {k: diffputer.params_for("paper")[k] for k in
            ("n_em_iterations", "width", "n_steps", "n_samples", "resample_steps", "lr", "batch_size")} == \
        {"n_em_iterations": 10, "width": 1024, "n_steps": 50, "n_samples": 20, "resample_steps": 20, "lr": 1e-4,
         "batch_size": 4096}
    remasker = resolve("remasker").info
    assert {k: remasker.params_for("paper")[k] for k in ("embed_dim", "depth", "decoder_depth", "mask_ratio",
                                                        "max_epochs", "batch_size")} == \
        {"embed_dim": 64, "depth": 8, "decoder_depth": 6, "mask_ratio": 0.5, "max_epochs": 600, "batch_size": 64}
    metagain = resolve("metagain").info.params_for("paper")
    assert (metagain["hidden_dim"], metagain["n_layers"], metagain["batch_size"], metagain["lr"],
            metagain["momentum"], metagain["decay"], tuple(metagain["weight_grid"])) == \
        (100, 5, 64, 1e-2, 0.9, 1e-5, (0.01, 0.1, 1.0, 10.0))
    # The constructor's defaults are the paper setting too (a bare make_imputer is the paper's method);
    # adapt_* keys are the transfer track's fine-tune budget, not constructor parameters.
    from imputebench.imputer_info import split_adapt_params

    # One declared exception: Meta-GAIN's meta optimiser defaults to Adam, the default quick-v1's rows
    # were computed (and keyed) with; the paper profile sets the paper's SGD.
    kept = {("metagain", "meta_optimizer")}
    for name in ("diffputer", "remasker", "metagain"):
        imp = make_imputer(name, {})
        for key, value in split_adapt_params(resolve(name).info.params_for("paper"))[0].items():
            assert getattr(imp, key) == value or (name, key) in kept, (name, key)
    assert make_imputer("metagain", {}).meta_optimizer == "adam"
    # Every departure of the quick profile is on the imputer's page (ImputerInfo.deviations).
    for name in ("diffputer", "remasker", "metagain", "gain"):
        assert any(str(d).startswith("quick profile:") for d in resolve(name).info.deviations), name


def test_diffputer_resamples_every_step_but_the_last():
    import torch

    from imputebench.registry.diffputer import EDMDenoiser, impute_by_reverse_process

    calls = []
    model = EDMDenoiser(3, 8)
    model.register_forward_hook(lambda *a: calls.append(1))
    x, observed = torch.zeros(5, 3), torch.ones(5, 3)
    observed[:, 0] = 0
    impute_by_reverse_process(model, x, observed, n_steps=3, resample_steps=2, gen=torch.Generator().manual_seed(0))
    # Steps 1-2: 2 tries x 2 evaluations (Euler + Heun correction); the last step: one Euler evaluation.
    assert len(calls) == 2 * 2 * 2 + 1


@pytest.mark.parametrize("training", [True, False])
def test_remasker_encoder_on_visible_tokens_equals_the_full_length_padding_mask(training):
    """The encoder runs on each row's visible tokens only (gathered, padded per batch). Its output must
    equal the full-length computation that keeps every token and masks the hidden ones out of the
    attention, written out here independently, on mixed columns and rows with 0..all tokens visible."""
    import torch

    from imputebench.registry.remasker import MaskedTableAutoencoder

    torch.manual_seed(0)
    kinds = ["numeric", "categorical", "numeric", "numeric", "categorical", "numeric"]
    model = MaskedTableAutoencoder(kinds, [3, 4], dim=16, depth=2, decoder_depth=1, heads=4, mlp_ratio=2.0)
    model.train(training)
    n, L = 9, len(kinds)
    values = torch.rand(n, L)
    codes = torch.zeros(n, L, dtype=torch.long)
    codes[:, 1], codes[:, 4] = torch.randint(0, 3, (n,)), torch.randint(0, 4, (n,))
    visible = torch.rand(n, L) < 0.5
    visible[0], visible[1] = False, True  # a row with nothing visible, a row with everything

    def full_length(values, codes, visible):
        num_tok = model.value_embed(values.unsqueeze(-1))
        cat_tok = model.category_embed(codes + model.code_offsets)
        tokens = torch.where(model.is_cat_mask.view(1, -1, 1), cat_tok, num_tok) + model.pos[:, 1:]
        cls = (model.cls_token + model.pos[:, :1]).expand(len(values), -1, -1)
        hidden = torch.cat([torch.zeros_like(visible[:, :1]), ~visible], dim=1)
        latent = model.encoder(torch.cat([cls, tokens], dim=1), src_key_padding_mask=hidden)
        dec = model.decoder_embed(latent)
        dec = torch.where(hidden.unsqueeze(-1), model.mask_token.expand_as(dec), dec) + model.pos
        out = model.decoder(dec)[:, 1:]
        return torch.tanh(model.value_head(out).squeeze(-1)) / 2 + 0.5, [h(out[:, j]) for h, j in zip(model.category_heads, (1, 4))]

    with torch.set_grad_enabled(training):
        numbers, logits = model(values, codes, visible)
        want_numbers, want_logits = full_length(values, codes, visible)
    torch.testing.assert_close(numbers, want_numbers, rtol=1e-5, atol=1e-6)
    for got, want in zip(logits, want_logits):
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)
    assert not torch.allclose(numbers[0], numbers[1])  # the visible tokens matter
