"""The transfer contract (PROTOCOL §7 fine-tune): ``adapt(X, y=None, **budget)`` after ``fit`` is a warm
start of the deep imputers (GAIN, MIDAE, VAEI, MIWAE, ReMasker)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from imputebench.registry.deep_tabular import fitted_networks  # noqa: E402
from imputebench.registry import make_imputer  # noqa: E402
from imputebench.tracks.transfer.parts import supports_adapt  # noqa: E402

# (name, small fit params, a zero budget, a small budget)
CASES = [
    ("gain", {"iterations": 30}, {"iterations": 0}, {"iterations": 10}),
    ("midae", {"epochs": 3, "n_imputations": 2}, {"epochs": 0}, {"epochs": 1}),
    ("vaei", {"epochs": 3}, {"epochs": 0}, {"epochs": 1}),
    ("miwae", {"epochs": 2, "n_impute_samples": 20}, {"epochs": 0}, {"epochs": 1}),
    ("remasker", {"embed_dim": 16, "depth": 1, "decoder_depth": 1, "max_epochs": 2, "warmup_epochs": 1},
     {"max_epochs": 0}, {"max_epochs": 1}),
]


def _tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(0)
    n = 240
    a = rng.normal(size=n)
    X = pd.DataFrame({"a": a, "b": a * 2 + rng.normal(0, 0.1, n), "c": rng.normal(size=n),
                      "k": pd.Categorical(rng.choice(["u", "v", "w"], n))})
    X = X.mask(rng.random(X.shape) < 0.2)
    return X.iloc[:160], X.iloc[160:]


def _weights(imputer) -> list[torch.Tensor]:
    return [v.detach().clone().float() for net in fitted_networks(imputer) for v in net.state_dict().values()]


def _distance(a: list[torch.Tensor], b: list[torch.Tensor]) -> float:
    return float(sum((x - y).abs().sum() for x, y in zip(a, b)))


@pytest.mark.parametrize("name, params, zero, small", CASES, ids=[c[0] for c in CASES])
def test_adapt_warm_starts_from_the_fitted_weights(name, params, zero, small) -> None:
    source, target = _tables()
    imputer = make_imputer(name, {**params, "device": "cpu"}, random_state=0)
    assert supports_adapt(imputer)
    imputer.fit(source)
    fitted = _weights(imputer)
    before = imputer.get_params()

    imputer.adapt(target, **zero)  # no training step: the networks are exactly the fitted ones
    assert _distance(_weights(imputer), fitted) == 0.0
    assert imputer.get_params() == before  # the budget holds for the call only

    imputer.adapt(target, **small)  # a short fine-tune moves little from the fitted weights ...
    moved = _distance(_weights(imputer), fitted)
    fresh = make_imputer(name, {**params, **small, "device": "cpu"}, random_state=1).fit(target)
    assert 0.0 < moved < _distance(_weights(fresh), fitted)  # ... far less than a model trained from scratch
    out = imputer.transform(target)
    assert not out.isna().any().any()


def test_adapt_rejects_an_unknown_budget_and_an_unfitted_model() -> None:
    source, target = _tables()
    gain = make_imputer("gain", {"iterations": 5, "device": "cpu"}, random_state=0)
    with pytest.raises(ValueError, match="fit"):
        gain.adapt(target)
    gain.fit(source)
    with pytest.raises(ValueError, match="unknown budget parameter"):
        gain.adapt(target, epochs=3)
