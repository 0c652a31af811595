"""Does the quick profile rank the classical imputers as the paper profile does? (PROTOCOL §6, profiles)

    python tests/benchmarks/bench_profile_faithfulness.py [--results DIR] [--settings in-sample,downstream]
                                                         [--seeds 0,1] [--jobs 2] [--out FILE]

The default grid (the 4 built-in datasets x mcar/mar/mnar x 20%/50% x seeds x settings x the classical
imputers) runs twice through the product's runner (``imputebench.harness.runner.run``): once with the
``quick`` profile and once with each imputer's ``paper`` hyper-parameters, the paper run held to
quick's rows, seeds, mechanisms and rates, so both see the same rows and masks and only the imputers'
budgets differ. Each profile keeps its store under ``--results`` (``quick/``, ``paper/``; masks are
drawn from the same (dataset, mechanism, rate, seed), so they are the same); re-running resumes, and a
changed quick profile re-runs only the imputers whose parameters changed.

Reported: per setting, the leaderboard's mean rank of each imputer on ARMSE (the product's ranking,
``imputebench.reports.leaderboard.rank_imputers``: per-dataset ranks averaged over datasets) under
each profile, Spearman's correlation of the two mean-rank vectors (target >= 0.9), the same on the
finer per-mask ranks, and per imputer the ARMSE ratio quick / paper (geometric mean over masks) and
its fit time under each. Writes ``tests/benchmarks/profile_faithfulness.md``.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy.stats import spearmanr  # noqa: E402

from imputebench.protocol.profiles import get_profile  # noqa: E402
from imputebench.registry import CLASSICAL  # noqa: E402
from imputebench.reports.leaderboard import block_matrix, complete_blocks, rank_imputers, rank_rows  # noqa: E402
from imputebench.harness.runner import RunConfig, run  # noqa: E402

OUT = Path(__file__).with_name("profile_faithfulness.md")
METRIC = "armse"


def stored_rows(profile: str, args: argparse.Namespace) -> pd.DataFrame:
    """What the profile's store holds for the grid, at the imputers' current parameters (a store may
    also hold rows of earlier parameters)."""
    import json

    from imputebench.registry import resolve
    from imputebench.harness.store import ResultStore

    rows = ResultStore(args.results / profile).load()
    current = {name: json.dumps(resolve(name).info.params_for(profile), sort_keys=True, default=str)
               for name in CLASSICAL}
    keep = (rows["imputer"].map(current) == rows["params"]) & rows["seed"].isin(seeds_of(args)) \
        & rows["setting"].isin(args.settings.split(","))
    return rows[keep].drop_duplicates(["dataset", "mechanism", "rate", "seed", "setting", "imputer"])


def seeds_of(args: argparse.Namespace) -> list[int]:
    return [int(s) for s in args.seeds.split(",")]


def run_profile(profile: str, args: argparse.Namespace) -> pd.DataFrame:
    if args.report_only:
        return stored_rows(profile, args)
    quick = get_profile("quick")
    cfg = RunConfig(profile=profile, imputers=list(CLASSICAL), seeds=seeds_of(args),
                    mechanisms=list(quick.mechanisms), rates=list(quick.rates), settings=args.settings.split(","),
                    max_rows=quick.max_rows, results_dir=args.results / profile, jobs=args.jobs, progress=False)
    summary = run(cfg)
    print(f"{profile}: {summary.line()}", flush=True)
    return summary.rows


MASK_KEYS = ["setting", "dataset", "mechanism", "rate", "seed"]


def common_masks(*frames: pd.DataFrame) -> list[pd.DataFrame]:
    """Each frame restricted to the masks on which every frame has every classical imputer."""
    complete = None
    for frame in frames:
        counts = frame.groupby(MASK_KEYS)["imputer"].nunique()
        masks = set(counts[counts == len(CLASSICAL)].index)
        complete = masks if complete is None else complete & masks
    keep = pd.MultiIndex.from_tuples(sorted(complete), names=MASK_KEYS) if complete else None
    return [frame.set_index(MASK_KEYS).loc[lambda f: f.index.isin(keep)].reset_index() if keep is not None
            else frame.iloc[:0] for frame in frames]


def earlier_quick(quick_all: pd.DataFrame, quick: pd.DataFrame) -> pd.DataFrame | None:
    """The quick rows with each retuned imputer at the parameters it had before (rows the store
    still holds from an earlier run), or None when no imputer was retuned."""
    older = quick_all.merge(quick[["imputer", "params"]].drop_duplicates(), how="left", on=["imputer", "params"],
                            indicator=True)
    older = older[older["_merge"] == "left_only"].drop(columns="_merge")
    if older.empty:
        return None
    retuned = set(older["imputer"])
    return pd.concat([quick[~quick["imputer"].isin(retuned)], older], ignore_index=True) \
        .drop_duplicates(["dataset", "mechanism", "rate", "seed", "setting", "imputer"])


def compare(quick: pd.DataFrame, paper: pd.DataFrame, setting: str) -> tuple[pd.DataFrame, float, float]:
    """Per imputer mean ranks under both profiles; Spearman on the leaderboard's mean ranks and on
    per-mask mean ranks."""
    q = rank_imputers(block_matrix(quick[quick["setting"] == setting], METRIC), METRIC).table.set_index("imputer")
    p = rank_imputers(block_matrix(paper[paper["setting"] == setting], METRIC), METRIC).table.set_index("imputer")
    names = sorted(set(q.index) & set(p.index))
    table = pd.DataFrame({"quick mean rank": q.loc[names, "mean_rank"], "paper mean rank": p.loc[names, "mean_rank"]})
    rho = float(spearmanr(table["quick mean rank"], table["paper mean rank"]).statistic)
    per_mask = {}
    for label, rows in (("quick", quick), ("paper", paper)):
        reduced, _, _ = complete_blocks(block_matrix(rows[rows["setting"] == setting], METRIC))
        ranks = rank_rows(reduced.values, higher_better=False)
        per_mask[label] = pd.Series(ranks.mean(axis=0), index=reduced.imputers).loc[names]
    rho_mask = float(spearmanr(per_mask["quick"], per_mask["paper"]).statistic)
    table["quick per-mask rank"], table["paper per-mask rank"] = per_mask["quick"], per_mask["paper"]
    return table, rho, rho_mask


def ratios(quick: pd.DataFrame, paper: pd.DataFrame, setting: str) -> pd.DataFrame:
    keys = ["dataset", "mechanism", "rate", "seed", "imputer"]
    both = (quick[quick["setting"] == setting].set_index(keys)[[METRIC, "fit_seconds"]]
            .join(paper[paper["setting"] == setting].set_index(keys)[[METRIC, "fit_seconds"]],
                  lsuffix="_quick", rsuffix="_paper", how="inner").reset_index())
    both["log_ratio"] = np.log(both[f"{METRIC}_quick"] / both[f"{METRIC}_paper"])
    out = both.groupby("imputer").agg(ratio=("log_ratio", "mean"), worst=("log_ratio", "max"),
                                      fit_quick=("fit_seconds_quick", "mean"), fit_paper=("fit_seconds_paper", "mean"))
    out["ratio"], out["worst"] = np.exp(out["ratio"]), np.exp(out["worst"])
    return out


def markdown(frame: pd.DataFrame) -> str:
    shown = frame.reset_index()
    lines = ["| " + " | ".join(map(str, shown.columns)) + " |", "|" + "---|" * len(shown.columns)]
    for r in shown.itertuples(index=False):
        lines.append("| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in r) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=Path("results-faithfulness"))
    parser.add_argument("--settings", default="in-sample,downstream")
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--only", choices=("quick", "paper"), help="run one profile's jobs and stop")
    parser.add_argument("--report-only", action="store_true",
                        help="report from what the stores hold (masks where both profiles have every imputer)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    if args.only:
        run_profile(args.only, args)
        return
    quick, paper = run_profile("quick", args), run_profile("paper", args)
    quick, paper = common_masks(quick, paper)
    before = None
    if args.report_only:
        from imputebench.harness.store import ResultStore

        quick_all = ResultStore(args.results / "quick").load()
        quick_all = quick_all[quick_all["seed"].isin(seeds_of(args)) & quick_all["setting"].isin(args.settings.split(","))]
        before = earlier_quick(quick_all, quick)
        if before is not None:
            before, paper_b = common_masks(before, paper)
    parts = [f"# Profile faithfulness: quick against paper hyper-parameters\n\n"
             f"Generated by `python tests/benchmarks/bench_profile_faithfulness.py --settings {args.settings} "
             f"--seeds {args.seeds}`: the default grid (wine, iris, breast_cancer, diabetes x mcar/mar/mnar x "
             f"20%/50% x seeds {args.seeds}) under the `quick` profile and under each imputer's `paper` "
             "hyper-parameters with quick's rows, seeds and masks. Ranks on ARMSE (PROTOCOL §5), 1 = best. "
             "Shared 2-core machine: fit seconds are wall time with neighbours, indicative only.\n"]
    for setting in args.settings.split(","):
        table, rho, rho_mask = compare(quick, paper, setting)
        r = ratios(quick, paper, setting)
        table = table.join(r.rename(columns={"ratio": "ARMSE quick/paper", "worst": "worst mask",
                                             "fit_quick": "fit s quick", "fit_paper": "fit s paper"}))
        masks = quick[quick["setting"] == setting].groupby("dataset")["seed"].size() // len(CLASSICAL)
        parts.append(f"## {setting}\n\nMasks compared per dataset: "
                     + ", ".join(f"{d} {n}" for d, n in masks.items())
                     + f".\n\nSpearman's correlation of the mean ranks (leaderboard, per dataset then "
                     f"averaged): **{rho:.3f}**; of the per-mask mean ranks: **{rho_mask:.3f}** (target >= 0.9).\n\n"
                     + markdown(table.sort_values("paper mean rank")) + "\n")
        if before is not None and len(before):
            retuned = sorted(set(before["params"]) - set(quick["params"]))
            t_b, rho_b, rho_mask_b = compare(before, paper_b, setting)
            r_b = ratios(before, paper_b, setting)
            parts.append(f"Before the retune (the quick store's rows at the earlier parameters "
                         f"{'; '.join(retuned)}), on the {len(before) // len(CLASSICAL)} masks both hold: Spearman "
                         f"**{rho_b:.3f}** (per-mask {rho_mask_b:.3f}); ARMSE quick/paper "
                         + ", ".join(f"{i} {r_b.loc[i, 'ratio']:.3f}" for i in r_b.index
                                     if i in set(before[before['params'].isin(retuned)]['imputer']))
                         + ".\n")
        print(setting, "spearman", round(rho, 3), "per-mask", round(rho_mask, 3))
        print(table.sort_values("paper mean rank").to_string())
    args.out.write_text("\n".join(parts))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
