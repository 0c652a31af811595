"""GAIN (Yoon et al. 2018), Table 2: RMSE on Letter and Spambase at 20% MCAR, beside the published numbers.

GAIN's own setting: the features of Letter and Spambase (labels dropped), cells missing completely
at random at rate 0.2, imputed in-sample (the imputer sees the whole masked table), RMSE over
min-max-normalised data pooled over the missing cells (PROTOCOL §5 rmse), mean and standard
deviation over 10 seeds. The jobs go through the ordinary runner, so datasets come from the
cache, the mirror or the network like any run and finished jobs are reused from the store.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from ...harness.job import DataSource

DATASETS = ("letter", "spambase")
MECHANISM, RATE, METRIC = "mcar", 0.2, "rmse"  # GAIN Table 2's setting (PROTOCOL §2, §3 in-sample, §5)
TOLERANCE = 0.10  # the acceptance: within 10% of each published mean


def published() -> pd.DataFrame:
    """GAIN's published numbers (package data ``imputebench/data/gain.csv``), one row per dataset."""
    with resources.files("imputebench").joinpath("data/gain.csv").open("r", encoding="utf-8") as fh:
        table = pd.read_csv(fh)
    rows = table[(table.metric == METRIC) & (table.mechanism == MECHANISM) & (table.rate == RATE)]
    return rows.set_index("dataset")


def departures() -> str:
    """GAIN's listed departures from the paper, the measured reason for its wider seed spread among
    them (one source: ``ImputerInfo.deviations``, which the site's imputer and paper pages show too)."""
    from ...registry.info import BUILTIN_INFO

    return "\nWhere we depart from the paper, and why the spread differs:\n" + "\n".join(
        f"- {d}" for d in BUILTIN_INFO["gain"].deviations)


def compare(rows: pd.DataFrame) -> list[dict]:
    """One entry per dataset: published mean/std beside the measured mean/std over seeds."""
    pub = published()
    ok = rows[rows["status"] == "ok"] if "status" in rows.columns else rows
    out = []
    for name in DATASETS:
        values = ok.loc[ok["dataset"] == name, METRIC].astype(float).dropna().to_numpy()
        out.append({
            "dataset": name,
            "metric": METRIC,
            "published_mean": float(pub.loc[name, "value"]),
            "published_std": float(pub.loc[name, "std"]),
            "measured_mean": float(values.mean()) if values.size else float("nan"),
            "measured_std": float(values.std(ddof=1)) if values.size > 1 else float("nan"),
        })
    return out


def reproduce(seeds: int, profile: str, results: Path, source: "DataSource", params: dict | None = None, jobs: int | None = None,
              progress: bool = True) -> list[dict]:
    """Run GAIN's Table 2 grid through the runner (finished jobs reused) and compare it with the paper.
    Full tables whatever the profile (GAIN Table 2 uses all rows); the profile picks GAIN's
    hyper-parameters (paper: 10,000 iterations, batch 128, hint 0.9, alpha 100), ``params`` overrides them."""
    from ...harness.runner import RunConfig, run as run_grid

    cfg = RunConfig(datasets=DATASETS, imputers=("gain",), mechanisms=(MECHANISM,), rates=(RATE,),
                    seeds=tuple(range(int(seeds))), settings=("in-sample",), profile=profile,
                    results_dir=Path(results), jobs=jobs, source=source, params={"gain": dict(params or {})},
                    max_rows=None, progress=progress)
    return compare(run_grid(cfg).rows)


def render(result: list[dict], seeds: int, profile: str) -> str:
    """The comparison as a table, gaps beyond :data:`TOLERANCE` marked, then GAIN's departures."""
    lines = [f"GAIN Table 2 reproduction: {MECHANISM} {RATE:.0%}, in-sample, pooled min-max RMSE, "
             f"{seeds} seeds, profile {profile}",
             f"{'dataset':<10} {'published':>17} {'measured':>17} {'gap':>7}"]
    for r in result:
        gap = r["measured_mean"] / r["published_mean"] - 1.0
        lines.append(f"{r['dataset']:<10} {r['published_mean']:.4f} ± {r['published_std']:.4f}   "
                     f"{r['measured_mean']:.4f} ± {r['measured_std']:.4f} {gap:+7.1%}"
                     + ("" if abs(gap) <= TOLERANCE else "  (outside 10%)"))
    return "\n".join(lines) + "\n" + departures()
