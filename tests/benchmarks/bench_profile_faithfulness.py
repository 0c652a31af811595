"""Does the quick profile rank the imputers as the paper profile does? (PROTOCOL §6, profiles)

    python tests/benchmarks/bench_profile_faithfulness.py [--results DIR] [--imputers a,b] [--datasets a,b]
                                                         [--mechanisms mcar,mnar] [--rates 0.2,0.5]
                                                         [--settings in-sample,downstream] [--seeds 0,1]
                                                         [--timeout SECONDS] [--jobs 2] [--out FILE]

The grid (by default every built-in imputer x the 4 built-in tables wine, iris, breast_cancer,
diabetes x quick's mechanisms and rates x seeds x settings) runs twice through the product's runner
(``imputebench.harness.runner.run``): once with the ``quick`` profile and once with each imputer's
``paper`` hyper-parameters, the paper run held to the same rows, seeds, mechanisms and rates, so both
see the same rows and masks and only the imputers' budgets differ. Each profile keeps its store under
``--results`` (``quick/``, ``paper/``; masks are drawn from the same (dataset, mechanism, rate, seed),
so they are the same); re-running resumes, and a changed profile re-runs only the imputers whose
parameters changed. ``--timeout`` is the runner's per-job limit (default: each profile's): a paper
setting that does not finish in it is a ``timeout`` row, reported as such, never dropped. The limit
holds the whole job: the fit, PROTOCOL §9's draws, and its inference, a second fit on tables whose
target calls for a model (of the 4 built-ins, diabetes: iris and wine have 3 classes, breast_cancer's
features separate its 2), so a fit of half the limit can time out there.

Reported: the jobs that did not finish (status and error, per imputer and profile); per setting,
over the imputers that finished every job under both profiles, the leaderboard's mean rank of each
on ARMSE (``imputebench.reports.leaderboard.rank_imputers``: per-dataset ranks averaged over
datasets) under each profile, Spearman's correlation of the two mean-rank vectors (target >= 0.9),
the same on the finer per-mask ranks; and per imputer, on the masks both profiles finished, the ARMSE
ratio quick / paper (geometric mean over masks, and its worst mask; flagged above 1.10) and the mean
fit seconds under each. ``--imputers`` = the 9 classical ones with ``--out tests/benchmarks/profile_faithfulness.md``
is the classical note's grid.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy.stats import spearmanr  # noqa: E402

from imputebench.commands.options import csv_list, limit, rates  # noqa: E402
from imputebench.harness.config import DEFAULT_DATASETS  # noqa: E402
from imputebench.harness.runner import RunConfig, run  # noqa: E402
from imputebench.harness.store import ResultStore  # noqa: E402
from imputebench.protocol.profiles import get_profile  # noqa: E402
from imputebench.registry import BUILTINS, resolve  # noqa: E402
from imputebench.tracks.grid import job_params  # noqa: E402
from imputebench.reports.leaderboard import block_matrix, complete_blocks, rank_imputers, rank_rows  # noqa: E402

OUT = Path(__file__).with_name("profile_faithfulness_all.md")
METRIC = "armse"
MASK_KEYS = ["setting", "dataset", "mechanism", "rate", "seed"]
JOB_KEYS = ["dataset", "mechanism", "rate", "seed", "setting", "imputer"]
QUICK = get_profile("quick")
THRESHOLD = 0.10  # issue #32: a quick ARMSE this much worse than paper's is listed on the imputer's page


def seeds_of(args: argparse.Namespace) -> list[int]:
    return [int(s) for s in args.seeds.split(",")]


def at_current_params(rows: pd.DataFrame, profile: str, imputers) -> pd.Series:
    """True for the rows of ``imputers`` computed with their current parameters under ``profile``
    (as job keys hold them: adapt_* left out)."""
    current = {name: job_params(resolve(name).info.params_for(profile)) for name in imputers}
    return rows["imputer"].map(current) == rows["params"]


def stored_rows(profile: str, args: argparse.Namespace) -> pd.DataFrame:
    """What the profile's store holds for the grid, at the imputers' current parameters (a store may
    also hold rows of earlier parameters, and of other grids)."""
    rows = ResultStore(args.results / profile).load()
    keep = (at_current_params(rows, profile, args.imputers) & rows["seed"].isin(seeds_of(args))
            & rows["setting"].isin(args.settings) & rows["dataset"].isin(args.datasets)
            & rows["mechanism"].isin(args.mechanisms) & rows["rate"].isin(args.rates))
    return rows[keep].drop_duplicates(JOB_KEYS, keep="last")


def run_profile(profile: str, args: argparse.Namespace) -> pd.DataFrame:
    if args.report_only:
        return stored_rows(profile, args)
    cfg = RunConfig(profile=profile, imputers=list(args.imputers), datasets=list(args.datasets),
                    seeds=seeds_of(args), mechanisms=list(args.mechanisms), rates=list(args.rates),
                    settings=list(args.settings), max_rows=QUICK.max_rows, results_dir=args.results / profile,
                    jobs=args.jobs, timeout=args.timeout, progress=False)
    summary = run(cfg)
    print(f"{profile}: {summary.line()}", flush=True)
    return summary.rows


def unfinished(quick: pd.DataFrame, paper: pd.DataFrame) -> pd.DataFrame:
    """Per imputer, profile, status other than ok and the limit it ran under: how many jobs, on
    which datasets, and the first error."""
    both = pd.concat([quick.assign(profile="quick"), paper.assign(profile="paper")], ignore_index=True)
    bad = both[both["status"] != "ok"].rename(columns={"timeout_s": "limit s"})
    return (bad.groupby(["imputer", "profile", "status", "limit s"], dropna=False)
            .agg(jobs=("job_key", "size"), datasets=("dataset", lambda d: ", ".join(sorted(set(d)))),
                 error=("error", "first")).reset_index())


def finished_both(quick: pd.DataFrame, paper: pd.DataFrame) -> list[str]:
    """The imputers with an ok row on every mask of the grid under both profiles."""
    masks = len(quick.drop_duplicates(MASK_KEYS))
    names = []
    for name in sorted(set(quick["imputer"]) & set(paper["imputer"])):
        counts = [(f[(f["imputer"] == name) & (f["status"] == "ok")]).drop_duplicates(MASK_KEYS).shape[0]
                  for f in (quick, paper)]
        if min(counts) == masks:
            names.append(name)
    return names


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
    """Per imputer, on the masks both profiles finished: ARMSE quick/paper (geometric mean, worst
    mask and which) and mean fit seconds under each."""
    ok = [f[(f["setting"] == setting) & (f["status"] == "ok")].set_index(JOB_KEYS[:-2] + ["imputer"])
          [[METRIC, "fit_seconds"]] for f in (quick, paper)]
    both = ok[0].merge(ok[1], left_index=True, right_index=True, suffixes=("_quick", "_paper")).reset_index()
    both["log_ratio"] = np.log(both[f"{METRIC}_quick"] / both[f"{METRIC}_paper"])
    both["mask"] = both["dataset"] + " " + both["mechanism"] + " " + both["rate"].map("{:g}".format) \
        + " s" + both["seed"].astype(str)
    worst = both.loc[both.groupby("imputer")["log_ratio"].idxmax(), ["imputer", "mask"]].set_index("imputer")
    out = both.groupby("imputer").agg(masks=("log_ratio", "size"), ratio=("log_ratio", "mean"),
                                      worst=("log_ratio", "max"), fit_quick=("fit_seconds_quick", "mean"),
                                      fit_paper=("fit_seconds_paper", "mean"))
    out["ratio"], out["worst"] = np.exp(out["ratio"]), np.exp(out["worst"])
    out.insert(3, "worst_mask", worst["mask"])
    out.insert(4, "over", np.where(out["ratio"] > 1 + THRESHOLD, "yes", "no"))
    return out


def markdown(frame: pd.DataFrame, index: bool = True) -> str:
    shown = frame.reset_index() if index else frame
    lines = ["| " + " | ".join(map(str, shown.columns)) + " |", "|" + "---|" * len(shown.columns)]
    for r in shown.itertuples(index=False):
        lines.append("| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in r) + " |")
    return "\n".join(lines)


def header(args: argparse.Namespace) -> str:
    timeout = "each profile's" if args.timeout is None else f"{args.timeout:g} s"
    return (f"# Profile faithfulness: quick against paper hyper-parameters\n\n"
            f"Generated by `python tests/benchmarks/bench_profile_faithfulness.py` with imputers "
            f"{', '.join(args.imputers)}; datasets {', '.join(args.datasets)}; mechanisms "
            f"{', '.join(args.mechanisms)}; rates {', '.join(f'{r:g}' for r in args.rates)}; seeds {args.seeds}; "
            f"settings {', '.join(args.settings)}; per-job timeout {timeout}: the grid under the `quick` "
            "profile and under each imputer's `paper` hyper-parameters with quick's rows, seeds and masks. "
            "Ranks on ARMSE (PROTOCOL §5), 1 = best. Fit seconds are wall time, indicative only.\n")


def unfinished_section(quick: pd.DataFrame, paper: pd.DataFrame) -> str:
    bad = unfinished(quick, paper)
    if bad.empty:
        return "## Jobs that did not finish\n\nNone: every job of both profiles is ok.\n"
    bad["error"] = bad["error"].fillna("").str.slice(0, 160).str.replace("|", "/")
    return ("## Jobs that did not finish\n\nThese imputers are left out of the rank comparison; their "
            "ratios below are over the masks both profiles finished.\n\n" + markdown(bad, index=False) + "\n")


def setting_section(quick: pd.DataFrame, paper: pd.DataFrame, setting: str, names: list[str]) -> str:
    """The rank comparison over ``names`` (finished both), then every imputer's ratios."""
    q, p = (f[f["imputer"].isin(names)] for f in (quick, paper))
    table, rho, rho_mask = compare(q, p, setting)
    r = ratios(quick, paper, setting).rename(columns={
        "ratio": "ARMSE quick/paper", "worst": "worst mask ratio", "worst_mask": "worst mask",
        "over": "quick > 10 % worse",
        "fit_quick": "fit s quick", "fit_paper": "fit s paper"})
    masks = q[q["setting"] == setting].drop_duplicates(MASK_KEYS).groupby("dataset").size()
    print(setting, "spearman", round(rho, 3), "per-mask", round(rho_mask, 3), "over", len(names))
    print(r.to_string())
    return (f"## {setting}\n\nMasks per dataset: " + ", ".join(f"{d} {n}" for d, n in masks.items())
            + f".\n\nOver the {len(names)} imputers that finished every job under both profiles, Spearman's "
            f"correlation of the mean ranks (leaderboard, per dataset then averaged): **{rho:.3f}**; of the "
            f"per-mask mean ranks: **{rho_mask:.3f}** (target >= 0.9).\n\n"
            + markdown(table.sort_values("paper mean rank"))
            + "\n\nPer imputer, on the masks both profiles finished (geometric mean over masks; > 1: quick is "
              "worse):\n\n" + markdown(r.sort_values("ARMSE quick/paper", ascending=False)) + "\n")


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
        .drop_duplicates(JOB_KEYS, keep="last")


def retune_section(args: argparse.Namespace, quick: pd.DataFrame, paper: pd.DataFrame, setting: str) -> str:
    """With --report-only: the comparison as it was before a retune of the quick profile, from the
    quick store's rows at the earlier parameters ("" when there are none)."""
    all_rows = ResultStore(args.results / "quick").load()
    keep = all_rows["seed"].isin(seeds_of(args)) & all_rows["setting"].isin(args.settings) \
        & all_rows["imputer"].isin(args.imputers)
    before = earlier_quick(all_rows[keep], quick)
    if before is None:
        return ""
    names = finished_both(before, paper)
    before = before[before["imputer"].isin(names)]
    retuned = sorted(set(before["params"]) - set(quick["params"]))
    _, rho, rho_mask = compare(before, paper[paper["imputer"].isin(names)], setting)
    r = ratios(before, paper, setting)
    changed = set(before[before["params"].isin(retuned)]["imputer"])
    return (f"Before the retune (the quick store's rows at the earlier parameters {'; '.join(retuned)}): "
            f"Spearman **{rho:.3f}** (per-mask {rho_mask:.3f}); ARMSE quick/paper "
            + ", ".join(f"{i} {r.loc[i, 'ratio']:.3f}" for i in r.index if i in changed) + ".\n")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=Path("results-faithfulness"))
    parser.add_argument("--imputers", type=csv_list, default=list(BUILTINS))
    parser.add_argument("--datasets", type=csv_list, default=list(DEFAULT_DATASETS))
    parser.add_argument("--mechanisms", type=csv_list, default=list(QUICK.mechanisms))
    parser.add_argument("--rates", type=rates, default=list(QUICK.rates))
    parser.add_argument("--settings", type=csv_list, default=["in-sample", "downstream"])
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--timeout", type=limit("seconds"), default=None,
                        help="seconds per job, or 'none' (default: each profile's)")
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--only", choices=("quick", "paper"), help="run one profile's jobs and stop")
    parser.add_argument("--report-only", action="store_true", help="report from what the stores hold")
    parser.add_argument("--out", type=Path, default=OUT)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.only:
        run_profile(args.only, args)
        return
    quick, paper = run_profile("quick", args), run_profile("paper", args)
    names = finished_both(quick, paper)
    parts = [header(args), unfinished_section(quick, paper)]
    for setting in args.settings:
        parts.append(setting_section(quick, paper, setting, names))
        if args.report_only:
            parts.append(retune_section(args, quick, paper, setting))
    args.out.write_text("\n".join(parts))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
