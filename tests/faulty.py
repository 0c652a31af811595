"""Deliberately broken imputers for the runner's fault-isolation tests (named by dotted path)."""

from __future__ import annotations

import os
import time

import numpy as np
import pandas as pd

from imputebench.imputer import ImputerInfo
from imputebench.registry.mean import MeanImputer


class Raises(MeanImputer):
    info = ImputerInfo(name="raises", family="test", description="raises in fit")

    def fit(self, X, y=None):
        raise RuntimeError("boom in fit")


class Hangs(MeanImputer):
    info = ImputerInfo(name="hangs", family="test", description="never returns")

    def fit(self, X, y=None):
        time.sleep(3600)


class ReturnsNaN(MeanImputer):
    info = ImputerInfo(name="nan", family="test", description="leaves NaN")

    def transform(self, X):
        out = super().transform(X)
        c = [c for c in out.columns if out[c].dtype == float][0]
        out[c] = np.nan
        return out


class ChangesObserved(MeanImputer):
    info = ImputerInfo(name="changes", family="test", description="edits observed cells")

    def transform(self, X):
        out = super().transform(X)
        c = [c for c in out.columns if out[c].dtype == float][0]
        out[c] = out[c] + 1.0
        return out


class Crashes(MeanImputer):
    info = ImputerInfo(name="crashes", family="test", description="kills its process")

    def fit(self, X, y=None):
        os._exit(3)


class Greedy(MeanImputer):
    info = ImputerInfo(name="greedy", family="test", description="allocates 4 GB")

    def fit(self, X, y=None):
        self.hoard_ = np.ones((4 * 1024 ** 3) // 8)
        return super().fit(X, y)


class Noisy(MeanImputer):
    """A plugin-style imputer with a random_state parameter (for dotted-path tests)."""

    info = ImputerInfo(name="noisy", family="test", description="mean plus seeded noise")

    def __init__(self, scale: float = 0.1, random_state: int | None = None):
        self.scale = scale
        self.random_state = random_state

    def transform(self, X):
        out = super().transform(X)
        rng = np.random.default_rng(self.random_state)
        for c in out.columns:
            if out[c].dtype == float:
                miss = X[c].isna().to_numpy()
                vals = out[c].to_numpy(copy=True)
                vals[miss] += rng.normal(0, self.scale * (np.nanstd(vals) or 1.0), miss.sum())
                out[c] = pd.Series(vals, index=out.index)
        return out


class CrashesOnce(MeanImputer):
    """Kills its worker on the first attempt only (a marker file remembers the attempt)."""

    info = ImputerInfo(name="crashes_once", family="test", description="kills its first worker")

    def __init__(self, marker: str = ""):
        self.marker = marker

    def fit(self, X, y=None):
        if not os.path.exists(self.marker):
            open(self.marker, "w").close()
            os._exit(3)
        return super().fit(X, y)


class Slow(MeanImputer):
    """The mean, after sleeping ``seconds`` in fit (for tests that must kill a run midway)."""

    info = ImputerInfo(name="slow", family="test", description="mean after a pause")

    def __init__(self, seconds: float = 0.4):
        self.seconds = seconds

    def fit(self, X, y=None):
        time.sleep(self.seconds)
        return super().fit(X, y)


class EditsInputs(MeanImputer):
    """Fills its input in place (observed cells too: every cell of the first numeric column becomes
    0) and returns a correct output computed before the edit: the breach is only in its input."""

    info = ImputerInfo(name="edits_inputs", family="test", description="edits its input in place")

    def transform(self, X):
        out = super().transform(X)
        c = [c for c in X.columns if X[c].dtype == float][0]
        X[c] = 0.0
        return out


class EditsAndReturnsInput(MeanImputer):
    """Imputes in place and returns its input, also overwriting one observed cell: caught only
    when the output is compared with a pristine copy of the input."""

    info = ImputerInfo(name="edits_returns", family="test", description="imputes in place, poisoning")

    def transform(self, X):
        out = super().transform(X)
        c = [c for c in X.columns if X[c].dtype == float][0]
        observed = int(np.flatnonzero(X[c].notna().to_numpy())[0])
        for name in X.columns:
            X[name] = out[name]
        X.iloc[observed, X.columns.get_loc(c)] = 1e6
        return X


class EditsLabels(MeanImputer):
    """Uses labels and overwrites them in place in fit."""

    info = ImputerInfo(name="edits_labels", family="test", description="edits y in place", uses_labels=True)

    def fit(self, X, y=None):
        if y is not None:
            y.iloc[:] = y.iloc[0]
        return super().fit(X, y)


class Warns(MeanImputer):
    """The mean, raising the same warning three times in fit."""

    info = ImputerInfo(name="warns", family="test", description="mean with warnings")

    def fit(self, X, y=None):
        import warnings

        for _ in range(3):
            warnings.warn("careful: not converged", UserWarning)
        return super().fit(X, y)


class EditsInputsInFit(MeanImputer):
    """Fits on its input, then overwrites the input's observed cells of the first numeric column."""

    info = ImputerInfo(name="edits_inputs_in_fit", family="test", description="edits X in place in fit")

    def fit(self, X, y=None):
        super().fit(X, y)
        c = [c for c in X.columns if X[c].dtype == float][0]
        X[c] = X[c] * 2.0 + 1.0
        return self


class EditsLabelsAdapting(EditsLabels):
    """Uses labels, overwrites them in place in fit, and has ``adapt`` (the transfer contract)."""

    info = ImputerInfo(name="edits_labels_adapting", family="test", description="edits y in place",
                       uses_labels=True)

    def adapt(self, X, y=None, **budget):
        return self


class Escapes(MeanImputer):
    """The mean, with ``adapt``; raises ``ERROR`` (not an ``Exception``) from ``METHOD``. The
    subclasses below are one per (error, method), named by dotted path in tests."""

    info = ImputerInfo(name="escapes", family="test", description="raises a BaseException")
    ERROR: type[BaseException] = SystemExit
    METHOD = "fit"

    def _escape(self, method: str) -> None:
        if method == self.METHOD:
            raise self.ERROR(3) if self.ERROR is SystemExit else self.ERROR()

    def fit(self, X, y=None):
        self._escape("fit")
        return super().fit(X, y)

    def transform(self, X):
        self._escape("transform")
        return super().transform(X)

    def adapt(self, X, y=None, **budget):
        self._escape("adapt")
        return self


class SystemExitInFit(Escapes):
    ERROR, METHOD = SystemExit, "fit"


class SystemExitInTransform(Escapes):
    ERROR, METHOD = SystemExit, "transform"


class SystemExitInAdapt(Escapes):
    ERROR, METHOD = SystemExit, "adapt"


class KeyboardInterruptInFit(Escapes):
    ERROR, METHOD = KeyboardInterrupt, "fit"


class KeyboardInterruptInTransform(Escapes):
    ERROR, METHOD = KeyboardInterrupt, "transform"


class KeyboardInterruptInAdapt(Escapes):
    ERROR, METHOD = KeyboardInterrupt, "adapt"


class GeneratorExitInFit(Escapes):
    ERROR, METHOD = GeneratorExit, "fit"


class SamplesTooFew(MeanImputer):
    """A plugin's own ``sample`` (bypassing the public checks) that returns one table fewer than asked."""

    def sample(self, X, m, random_state=None):
        return [self.fit_transform(X) for _ in range(m - 1)]


class RefusesTargetColumn(MeanImputer):
    """Declares a table with PROTOCOL §9's target column out of its scope."""

    def fit(self, X, y=None):
        from imputebench.errors import NotApplicableError

        if any(str(c).startswith("__target") for c in X.columns):
            raise NotApplicableError("no target columns here")
        return super().fit(X, y)
