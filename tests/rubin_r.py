"""R's ``mice::pool`` on the same imputed tables as :func:`imputebench.protocol.inference.rubin_pool`.

Test and benchmark helper (R is not a project dependency; on Debian ``apt-get install r-cran-mice``).
Each imputed table's model matrix (the product's :func:`~imputebench.protocol.inference.design_matrix`, so
both sides fit the very same numbers) goes to R as CSV written with 17 significant digits; R fits
``lm(y ~ .)`` or ``glm(y ~ ., binomial)`` on each, pools ``as.mira(fits)`` with ``pool()`` and writes
``pooled`` with the 95 % interval of ``summary(pool, conf.int = TRUE)``, again to 17 digits.

``glm`` runs with ``epsilon = 1e-30``, so it stops only once the deviance no longer changes (R's
default ``1e-8`` stops a step or two earlier, with estimates ~1e-8 from the maximum). ``glm.fit``
keeps the weighted QR of its last step, whose weights come from the step before, so R's standard
errors would sit a few 1e-9 (relative) from those at its estimate; the fit is therefore run again
from its own estimate (``start = coef(g)``), which puts the weights at the estimate, as ours are.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from imputebench.protocol.inference import Model, ModelFit, design_matrix, response

R_POOL = r"""
suppressPackageStartupMessages(library(mice))
args <- commandArgs(trailingOnly = TRUE)
files <- sort(Sys.glob(file.path(args[1], "draw_*.csv")))
fits <- lapply(files, function(f) {
  d <- read.csv(f)
  if (args[2] == "linear") lm(y ~ ., data = d)
  else {
    ctl <- glm.control(epsilon = 1e-30, maxit = 100)
    g <- glm(y ~ ., data = d, family = binomial, control = ctl)
    # Restarted at its own estimate, so the weights behind the covariance are the estimate's.
    glm(y ~ ., data = d, family = binomial, control = ctl, start = coef(g))
  }
})
pooled <- pool(as.mira(fits))
out <- pooled$pooled
s <- summary(pooled, conf.int = TRUE)
out$lower <- s[["2.5 %"]]
out$upper <- s[["97.5 %"]]
out$term <- as.character(out$term)
out[] <- lapply(out, function(col) if (is.numeric(col)) sprintf("%.17g", col) else col)
write.csv(out, args[3], row.names = FALSE)
each <- do.call(rbind, lapply(seq_along(fits), function(k) {
  s <- coef(summary(fits[[k]]))
  data.frame(k = k, term = seq_len(nrow(s)), estimate = sprintf("%.17g", s[, 1]), se = sprintf("%.17g", s[, 2]),
             dfcom = df.residual(fits[[k]]))
}))
write.csv(each, sub("pooled.csv$", "fits.csv", args[3]), row.names = FALSE)
cat(as.character(packageVersion("mice")), R.version.string, sep = "\n", file = args[4])
"""


@lru_cache(maxsize=1)
def r_unavailable() -> str | None:
    """Why R's mice cannot be run here, or None when it can (asked once per process)."""
    if shutil.which("Rscript") is None:
        return "Rscript is not on PATH (Debian: apt-get install r-base-core r-cran-mice)"
    probe = subprocess.run(["Rscript", "-e", "library(mice)"], capture_output=True, text=True)
    if probe.returncode != 0:
        return "R's mice package is not installed (Debian: apt-get install r-cran-mice)"
    return None


@dataclass(frozen=True)
class RPool:
    """What R computed: ``pool()``'s frame (our term names; ``lower``/``upper`` added), each fit's
    estimates and standard errors as :class:`~imputebench.protocol.inference.ModelFit` objects, R's versions."""

    pooled: pd.DataFrame
    fits: list[ModelFit]
    versions: str


def r_pool(draws: Sequence[pd.DataFrame], y: pd.Series, model: Model, reference: pd.DataFrame) -> RPool:
    """Fit and pool ``draws`` in R (module docstring)."""
    r = response(y, model)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        terms: tuple[str, ...] = ()
        for k, table in enumerate(draws):
            A, terms = design_matrix(table, reference)
            frame = pd.DataFrame(A[:, 1:], columns=[f"x{j}" for j in range(1, A.shape[1])])
            frame["y"] = r
            frame.to_csv(folder / f"draw_{k:04d}.csv", index=False, float_format="%.17g")
        script = folder / "pool.R"
        script.write_text(R_POOL)
        out, versions = folder / "pooled.csv", folder / "versions.txt"
        done = subprocess.run(["Rscript", str(script), str(folder), model, str(out), str(versions)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"Rscript failed: {done.stderr.strip()[-500:]}")
        pooled, each = pd.read_csv(out), pd.read_csv(folder / "fits.csv")
        version = " / ".join(versions.read_text().split("\n")[:2])
    pooled["term"] = list(terms)  # R names them (Intercept), x1, x2, ... in the same order
    fits = [ModelFit(terms, part["estimate"].to_numpy(dtype=float), part["se"].to_numpy(dtype=float) ** 2,
                     int(part["dfcom"].iloc[0])) for _, part in each.groupby("k", sort=True)]
    return RPool(pooled, fits, version)


POOLED_FIELDS = ("estimate", "ubar", "b", "t", "dfcom", "df", "riv", "lambda", "fmi", "lower", "upper")


def max_abs_differences(ours: pd.DataFrame, theirs: pd.DataFrame) -> dict[str, float]:
    """Per pooled quantity, the largest absolute difference over terms."""
    return {f: float(np.max(np.abs(ours[f].to_numpy(dtype=float) - theirs[f].to_numpy(dtype=float))))
            for f in POOLED_FIELDS}


def max_rel_differences(ours: pd.DataFrame, theirs: pd.DataFrame) -> dict[str, float]:
    """Per pooled quantity, the largest difference over terms relative to R's value."""
    return {f: float(np.max(np.abs(ours[f].to_numpy(dtype=float) - theirs[f].to_numpy(dtype=float))
                            / np.abs(theirs[f].to_numpy(dtype=float)))) for f in POOLED_FIELDS}
