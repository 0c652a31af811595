"""GAIN (Yoon et al. 2018), Table 2: RMSE on Letter and Spambase at 20% MCAR, beside the published numbers.

GAIN's own setting: the features of Letter and Spambase (labels dropped), cells missing completely
at random at rate 0.2, imputed in-sample (the imputer sees the whole masked table), RMSE over
min-max-normalised data pooled over the missing cells (PROTOCOL §5 rmse), mean and standard
deviation over 10 seeds. The jobs go through the ordinary runner, so datasets come from the
cache, the mirror or the network like any run and finished jobs are reused from the store.
"""

from __future__ import annotations

import argparse
import json
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

DATASETS = ("letter", "spambase")
MECHANISM, RATE, METRIC = "mcar", 0.2, "rmse"  # GAIN Table 2's setting (PROTOCOL §2, §3 in-sample, §5)
TOLERANCE = 0.10  # the acceptance: within 10% of each published mean


def published() -> pd.DataFrame:
    """GAIN's published numbers (package data ``imputebench/data/gain.csv``), one row per dataset."""
    with resources.files("imputebench").joinpath("data/gain.csv").open("r", encoding="utf-8") as fh:
        table = pd.read_csv(fh)
    rows = table[(table.metric == METRIC) & (table.mechanism == MECHANISM) & (table.rate == RATE)]
    return rows.set_index("dataset")


from ..commands.run import add_source_arguments, source_from


def departures() -> str:
    """GAIN's listed departures from the paper, the measured reason for its wider seed spread among
    them (one source: ``ImputerInfo.deviations``, which the site's imputer and paper pages show too)."""
    from ..registry.info import BUILTIN_INFO

    return "\nWhere we depart from the paper, and why the spread differs:\n" + "\n".join(
        f"- {d}" for d in BUILTIN_INFO["gain"].deviations)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seeds", type=int, default=10, help="number of seeds, 0..N-1 (GAIN: 10)")
    parser.add_argument("--profile", default="paper", choices=("paper", "quick", "ci"),
                        help="GAIN's hyper-parameters: 'paper' (default) is the published setting, "
                             "'quick' the cheap one; tables are always complete")
    add_source_arguments(parser)  # --mirror, --data-home, --offline, as for `imputebench run`
    parser.add_argument("--results", type=Path, default=Path("results/reproduce-gain"),
                        help="result store directory (finished jobs are reused)")
    parser.add_argument("--iterations", type=int, default=None,
                        help="override GAIN's training iterations (paper: 10000)")
    parser.add_argument("--hint", choices=("paper", "reference"), default=None,
                        help="GAIN's hint: the paper's B*M + 0.5(1-B) (default) or the reference code's B*M")
    parser.add_argument("--jobs", type=int, default=None, help="parallel jobs (default: one per core)")
    parser.add_argument("--json", action="store_true", help="emit the comparison as JSON")


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


def run(args: argparse.Namespace) -> int:
    from ..runner import RunConfig, run as run_grid

    params = {}
    if args.iterations is not None:
        params["iterations"] = int(args.iterations)
    if args.hint is not None:
        params["hint"] = args.hint
    # Full tables whatever the profile (GAIN Table 2 uses all rows); the profile picks GAIN's
    # hyper-parameters (paper: 10,000 iterations, batch 128, hint 0.9, alpha 100).
    cfg = RunConfig(datasets=DATASETS, imputers=("gain",), mechanisms=(MECHANISM,), rates=(RATE,),
                    seeds=tuple(range(int(args.seeds))), settings=("in-sample",), profile=args.profile,
                    results_dir=Path(args.results), jobs=args.jobs, source=source_from(args),
                    params={"gain": params}, max_rows=None, progress=not args.json)
    summary = run_grid(cfg)
    result = compare(summary.rows)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"GAIN Table 2 reproduction: {MECHANISM} {RATE:.0%}, in-sample, pooled min-max RMSE, "
              f"{args.seeds} seeds, profile {args.profile}")
        print(f"{'dataset':<10} {'published':>17} {'measured':>17} {'gap':>7}")
        for r in result:
            gap = r["measured_mean"] / r["published_mean"] - 1.0
            print(f"{r['dataset']:<10} {r['published_mean']:.4f} ± {r['published_std']:.4f}   "
                  f"{r['measured_mean']:.4f} ± {r['measured_std']:.4f} {gap:+7.1%}"
                  + ("" if abs(gap) <= TOLERANCE else "  (outside 10%)"))
        print(departures())
    failed = [r["dataset"] for r in result if not np.isfinite(r["measured_mean"])]
    return 1 if failed else 0
