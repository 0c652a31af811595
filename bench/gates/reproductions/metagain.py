"""Meta-GAIN (AAAI 2026) Tables 1-4: ARMSE at 20% MCAR/MAR/MNAR and XGBoost accuracy, beside the paper.

Reruns the paper's setting through the runner for the datasets that can be loaded (the built-in wine;
the mirrored UCI tables when ``--mirror``/``IMPUTEBENCH_MIRROR`` is given and the loader knows them) with
the imputers that stand for the paper's methods, and prints the published number beside ours.

- Tables 1-3: in-sample ARMSE (PROTOCOL §3, §5) at a 20% rate under MCAR, MAR, MNAR.
- Table 4: downstream accuracy of the fixed XGBoost model (PROTOCOL §3) under 20% MCAR; the paper's
  ``Complete`` column is the suite's complete-data score of the same model.
The paper defines ARMSE only loosely; ours is PROTOCOL §5's, and its downstream protocol is the suite's
70/30 split, so differences in level are expected; the order of methods is what to compare.
``--ablation`` adds Table 5: Meta-GAIN with its KL term (ID), meta network (MN) and task regulariser (TR)
each on or off, ARMSE at 20% MCAR, in-sample. The paper's all-off row is GAIN itself (its numbers are
Table 1's GAIN column), so that row is the suite's ``gain`` on the same masks, not Meta-GAIN's
generator with everything switched off; with MN off, Meta-GAIN picks its fixed weights from the
paper's grid (see ``imputebench.registry.metagain``).
Published values: ``imputebench/data/metagain.csv`` (transcribed from the paper; its ``source`` column).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ...errors import UsageError
from ...harness.store import COLUMNS

if TYPE_CHECKING:
    from ...harness.job import DataSource

# The paper's method names -> the suite's imputers (HIVAE and HIVAEI are the same method).
METHOD_TO_IMPUTER = {
    "Mean": "mean", "KNNI": "knn", "XGBI": "xgbi", "MissFI": "missforest", "PCAI": "pcai",
    "MIDAE": "midae", "VAEI": "vaei", "HIVAE": "hivae", "HIVAEI": "hivae", "GAIN": "gain",
    "Meta-GAIN": "metagain",
}
COMPLETE = "Complete"  # Table 4's no-missing-values column
TABLES = {"Table 1": "mcar", "Table 2": "mar", "Table 3": "mnar", "Table 4": "mcar"}
ABLATION = "Table 5"  # ID = KL term, MN = meta network, TR = task regulariser; ARMSE, MCAR, in-sample
SWITCHES = {"ID": "use_kl", "MN": "use_meta", "TR": "use_task"}
RATE = 0.2


def published(ablation: bool = False) -> pd.DataFrame:
    """The paper's Tables 1-4 (and 5 with ``ablation``) as rows (package data, with its source)."""
    text = resources.files("imputebench").joinpath("data/metagain.csv").read_text(encoding="utf-8")
    rows = pd.read_csv(io.StringIO(text))
    tables = [*TABLES, *([ABLATION] if ablation else [])]
    return rows[rows["table"].isin(tables)].reset_index(drop=True)


def is_gain_row(method: str) -> bool:
    """Table 5's all-off row: no KL term, no meta network, no task regulariser, i.e. GAIN."""
    return not any(ablation_switches(method).values())


def ablation_switches(method: str) -> dict[str, bool]:
    """'Meta-GAIN ID=on;MN=off;TR=on' -> Meta-GAIN's switches (use_kl, use_meta, use_task)."""
    pairs = dict(part.split("=") for part in method.split(" ", 1)[1].split(";"))
    return {SWITCHES[k]: v == "on" for k, v in pairs.items()}


def available_imputers() -> tuple[dict[str, str], dict[str, str]]:
    """(paper method -> imputer) for those we have, and (method -> why not) for the rest."""
    from ...registry import discover

    known = discover()
    have, missing = {}, {}
    for method, name in METHOD_TO_IMPUTER.items():
        entry = known.get(name)
        if entry is not None and entry.available:
            have[method] = name
        else:
            missing[method] = f"{name}: " + ("not in this build" if entry is None else str(entry.error))
    return have, missing


def measure(datasets: list[str], imputers: list[str], *, seeds: list[int] | None, profile: str, results: Path,
            source: "DataSource", params: dict[str, dict], ablation: bool = False,
            progress: bool = True) -> tuple[pd.DataFrame, dict]:
    """Run the grid (in-sample x 3 mechanisms, downstream x MCAR, and Table 5's variants with
    ``ablation``); the rows (column ``variant``: '' or a Table 5 method) and unloadable datasets."""
    from ...harness.runner import RunConfig, run

    common = dict(datasets=datasets, imputers=imputers, rates=(RATE,), seeds=seeds, profile=profile,
                  results_dir=results, source=source, params=params, jobs=1, progress=progress)
    insample = run(RunConfig(mechanisms=("mcar", "mar", "mnar"), settings=("in-sample",), **common))
    downstream = run(RunConfig(mechanisms=("mcar",), settings=("downstream",), **common))
    unavailable = {**insample.unavailable, **downstream.unavailable}
    parts = [insample.rows.assign(variant=""), downstream.rows.assign(variant="")]
    if ablation and "metagain" in imputers:
        for method in published(ablation=True).query("table == @ABLATION")["method"].unique():
            if is_gain_row(method):  # like with like: the paper's all-off row is GAIN (jobs reused from Table 1)
                imputer, variant = "gain", params
            else:
                imputer = "metagain"
                variant = {**params, "metagain": {**params.get("metagain", {}), **ablation_switches(method)}}
            # Only this run's imputer's overrides: a run refuses --param for an imputer it does not run.
            cfg = RunConfig(mechanisms=("mcar",), settings=("in-sample",),
                            **{**common, "imputers": [imputer], "params": {imputer: variant.get(imputer, {})}})
            parts.append(run(cfg).rows.assign(variant=method))
    return pd.concat(parts, ignore_index=True), unavailable


def compare(pub: pd.DataFrame, rows: pd.DataFrame, have: dict[str, str]) -> pd.DataFrame:
    """One row per published number with our mean and std over seeds (NaN where not measured)."""
    ok = rows[rows["status"] == "ok"]
    out = []
    for r in pub.itertuples(index=False):
        setting = "downstream" if r.table == "Table 4" else "in-sample"
        sel = ok[(ok["dataset"] == r.dataset) & (ok["mechanism"] == r.mechanism) & (ok["setting"] == setting)]
        if r.table != ABLATION:
            sel = sel[sel["variant"] == ""]
        if r.table == ABLATION:
            values = sel[sel["variant"] == r.method]["armse"]
        elif r.method == COMPLETE:
            values = sel.groupby("seed")["complete_downstream"].first()  # one per seed, not per imputer
        elif r.method in have:
            metric = "downstream" if r.table == "Table 4" else "armse"
            values = sel[sel["imputer"] == have[r.method]][metric]
        else:
            values = pd.Series(dtype=float)
        out.append({"table": r.table, "dataset": r.dataset, "mechanism": r.mechanism, "method": r.method,
                    "metric": r.metric, "published": float(r.value),
                    "measured_mean": float(values.mean()) if len(values) else float("nan"),
                    "measured_std": float(values.std(ddof=0)) if len(values) else float("nan")})
    return pd.DataFrame(out)


def render(table: pd.DataFrame) -> str:
    """Per paper table: datasets x methods, 'published / ours' (ours as mean±std over seeds)."""
    parts = []
    for name, t in table.groupby("table", sort=True):
        def cell(r) -> str:
            ours = "-" if pd.isna(r.measured_mean) else f"{r.measured_mean:.3f}±{r.measured_std:.3f}"
            return f"{r.published:.3f} / {ours}"
        t = t.assign(cell=[cell(r) for r in t.itertuples()],
                     method=[f"{m} (= gain)" if name == ABLATION and is_gain_row(m) else m for m in t["method"]])
        methods = list(dict.fromkeys(t["method"]))
        grid = t.pivot(index="dataset", columns="method", values="cell")[methods]
        parts.append(f"{name} ({t['metric'].iloc[0]}, {t['mechanism'].iloc[0].upper()} {RATE:.0%}; "
                     f"published / ours)\n{grid.to_string()}")
    return "\n\n".join(parts)


def rankings(table: pd.DataFrame) -> pd.DataFrame:
    """Per table and dataset, the methods we measured in the paper's order and in ours (best first;
    accuracy high is better, ARMSE low), and whether the paper's best of those is also ours."""
    out = []
    for (name, dataset), t in table[table["measured_mean"].notna()].groupby(["table", "dataset"], sort=True):
        t = t[t["method"] != COMPLETE]
        if len(t) < 2:
            continue
        high = t["metric"].iloc[0] == "accuracy"
        paper = t.sort_values("published", ascending=not high, kind="stable")["method"].tolist()
        ours = t.sort_values("measured_mean", ascending=not high, kind="stable")["method"].tolist()
        out.append({"table": name, "dataset": dataset, "paper": " < ".join(paper) if not high else " > ".join(paper),
                    "ours": " < ".join(ours) if not high else " > ".join(ours), "same_best": paper[0] == ours[0]})
    return pd.DataFrame(out, columns=["table", "dataset", "paper", "ours", "same_best"])


def render_rankings(table: pd.DataFrame) -> str:
    """One line per table and dataset: the paper's order of the methods we ran beside ours."""
    ranks = rankings(table)
    if ranks.empty:
        return ""
    lines = ["Order of the methods run (best first), paper | ours:"]
    lines += [f"  {r.table} {r.dataset}: {r.paper} | {r.ours}" + ("" if r.same_best else "  (best differs)")
              for r in ranks.itertuples()]
    return "\n".join(lines)


def paper_datasets(pub: pd.DataFrame, wanted: list[str] | None) -> tuple[list[str], list[str], dict[str, str]]:
    """(datasets asked for, those loadable in this build, why the others are not); a dataset not in
    the paper's tables is a usage error."""
    from ...datasets import dataset_names

    paper_sets = list(dict.fromkeys(pub["dataset"]))
    wanted = wanted or paper_sets
    unknown = [d for d in wanted if d not in paper_sets]
    if unknown:
        raise UsageError(f"not in Meta-GAIN's tables: {', '.join(unknown)}; valid: {', '.join(paper_sets)}")
    loadable = set(dataset_names())
    return wanted, [d for d in wanted if d in loadable], {d: "no loader for it in this build" for d in wanted
                                                          if d not in loadable}


def paper_methods(methods: list[str] | None) -> tuple[dict[str, str], dict[str, str]]:
    """:func:`available_imputers`, narrowed to ``methods`` when given (an unknown one is a usage error)."""
    have, missing = available_imputers()
    if not methods:
        return have, missing
    bad = [m for m in methods if m not in METHOD_TO_IMPUTER]
    if bad:
        raise UsageError(f"unknown method(s) {', '.join(bad)}; valid: {', '.join(METHOD_TO_IMPUTER)}")
    return ({m: i for m, i in have.items() if m in methods}, {m: why for m, why in missing.items() if m in methods})


def report_text(rep: "Reproduction", *, profile: str, ablation: bool) -> str:
    """The tables with their heading, Table 5's note, and what was not run."""
    tables = "1-5" if ablation else "1-4"
    pub = rep.published
    lines = [f"Meta-GAIN (Tong, Zhu & Gan, AAAI 2026), Tables {tables} at {RATE:.0%}; profile {profile}; "
             f"source of published values: {pub['source'].iloc[0] if len(pub) else '-'}", render(rep.table)]
    order = render_rankings(rep.table)
    if order:
        lines.append("\n" + order)
    if ablation:
        lines.append("\nTable 5's all-off row is GAIN (the paper prints Table 1's GAIN numbers there): ours is the "
                     "suite's gain on the same masks. With MN off, the fixed weights come from the grid "
                     "{0.01, 0.1, 1, 10}.")
    if rep.skipped_methods:
        lines.append("\nmethods not run (imputer unavailable): "
                     + "; ".join(f"{k} ({v})" for k, v in rep.skipped_methods.items()))
    if rep.skipped_datasets:
        lines.append("datasets not run: " + "; ".join(f"{k} ({v})" for k, v in rep.skipped_datasets.items()))
    return "\n".join(lines)


@dataclass(frozen=True)
class Reproduction:
    """Published numbers beside ours, and what could not be run here (method or dataset -> why)."""

    table: pd.DataFrame
    published: pd.DataFrame
    skipped_methods: dict[str, str]
    skipped_datasets: dict[str, str]

    def to_dict(self) -> dict:
        return {"rows": self.table.to_dict(orient="records"), "skipped_methods": self.skipped_methods,
                "skipped_datasets": self.skipped_datasets}


def reproduce(*, datasets: list[str] | None, methods: list[str] | None, seeds: list[int] | None, profile: str,
              results: Path, source: "DataSource", params: dict[str, dict], ablation: bool = False,
              progress: bool = True) -> Reproduction:
    """Rerun the paper's tables (``datasets`` and ``methods`` narrow them) for what can be had here."""
    pub = published(ablation=ablation)
    wanted, loadable, not_loadable = paper_datasets(pub, datasets)
    have, missing = paper_methods(methods)
    measured = pd.DataFrame(columns=[*COLUMNS, "variant"])
    if loadable:
        measured, unavailable = measure(loadable, sorted(set(have.values())), seeds=seeds, profile=profile,
                                        results=results, source=source, params=params, ablation=ablation,
                                        progress=progress)
        not_loadable.update(unavailable)
    pub = pub[pub["dataset"].isin(wanted)]
    return Reproduction(compare(pub, measured, have), pub, missing, not_loadable)
