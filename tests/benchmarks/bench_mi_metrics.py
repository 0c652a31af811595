"""What the PROTOCOL §9 metrics cost per job, and what they say, on the default run's tables.

    python tests/benchmarks/bench_mi_metrics.py [--seeds 0] [--m 5] [--out FILE]

The default run's grid in-sample (the four default datasets at the quick profile's row cap, the nine
classical imputers with their quick parameters, MCAR / MAR / MNAR at 20 % and 50 %, ``--seeds``),
one thread, CPU seconds (``process_time``: the machine is shared). Per job it times:

- ``fit``: the imputer's ``fit_transform`` on the masked table (the job's own work);
- ``point``: the §5 metrics (``imputation_metrics``), for scale;
- ``distribution``: :func:`imputebench.protocol.distribution_metrics.distribution_metrics`;
- ``sample``: ``sample(X, m, random_state)`` with the job's seed for an imputer that has it (mice
  reuses its fitted chains; em draws), else nothing (the point table is the one draw, m = 1);
- ``draws``: :func:`imputebench.protocol.draw_metrics.draw_metrics` on those tables;
- ``inference``: where the target calls for a model, the complete-data fit, then (PROTOCOL §9) the
  imputer once more on the table with the target as an observed column, its ``m`` draws (or its one
  table) and :func:`imputebench.protocol.inference.inference_scores`. Diabetes only: breast_cancer's logistic
  model has no finite estimate (its classes separate), found by the complete-data fit alone.

The overhead is the new columns' sum over the job's ``fit + point`` (a job also loads, masks, checks
and stores, so the true share is lower). It also lists the distribution metrics per imputer and
dataset, the facts ``tests/test_mi_facts.py`` asserts. Writes ``tests/benchmarks/mi_metrics.md``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402

from imputebench.datasets import load_dataset  # noqa: E402
from imputebench.protocol.distribution_metrics import distribution_metrics  # noqa: E402
from imputebench.protocol.draw_metrics import draw_metrics  # noqa: E402
from imputebench.imputer import can_sample  # noqa: E402
from imputebench.protocol.inference import fit_model, inference_scores, model_for, response  # noqa: E402
from imputebench.protocol.masks import apply_mask, draw_mask, job_rng, job_seed  # noqa: E402
from imputebench.protocol.metrics import imputation_metrics  # noqa: E402
from imputebench.registry import CLASSICAL, make_imputer, resolve  # noqa: E402
from imputebench.harness.runner import DEFAULT_DATASETS  # noqa: E402

OUT = Path(__file__).with_name("mi_metrics.md")
MECHANISMS, RATES, MAX_ROWS = ("mcar", "mar", "mnar"), (0.2, 0.5), 2000
NEW = ("distribution", "sample", "draws", "inference")


def timed(fn, *args, **kwargs):
    t0 = time.process_time()
    out = fn(*args, **kwargs)
    return out, time.process_time() - t0


def one_job(ds, imputer: str, mechanism: str, rate: float, seed: int, m: int) -> dict:
    mask = draw_mask(ds.X, mechanism, rate, job_rng(ds.name, mechanism, rate, seed))
    masked = apply_mask(ds.X, mask)
    job = job_seed(ds.name, mechanism, rate, seed) % 2**31
    est = make_imputer(imputer, resolve(imputer).info.params_for("quick"), random_state=seed)
    out, fit = timed(est.fit_transform, masked, ds.y)
    _, point = timed(imputation_metrics, ds.X, out, mask)
    dist, distribution = timed(distribution_metrics, ds.X, out, mask, seed=job)
    draws, sample = timed(est.sample, masked, m, seed) if can_sample(est) else ([out], 0.0)
    scores, draws_s = timed(draw_metrics, ds.X, draws, mask, seed=job)
    inference = timed(inference_cost, ds, masked, imputer, m, seed)[1]
    return {"dataset": ds.name, "imputer": imputer, "mechanism": mechanism, "rate": rate, "seed": seed,
            "fit": fit, "point": point, "distribution": distribution, "sample": sample, "draws": draws_s,
            "inference": inference, **dist, **scores}


def inference_cost(ds, masked: pd.DataFrame, imputer: str, m: int, seed: int) -> None:
    """PROTOCOL §9 inference as a job would run it: the complete-data fit first (no finite estimate:
    nothing more), then the imputer again on the table with the target as an observed column, its
    draws (or its one table), and the pooled scores."""
    model = model_for(ds.y, ds.target_kind)
    if model is None:
        return
    try:
        fit_model(ds.X, response(ds.y, model), model, ds.X)
    except ValueError:
        return  # breast_cancer: the classes separate, no inference scores
    with_target = masked.assign(__target__=ds.y.to_numpy())
    est = make_imputer(imputer, resolve(imputer).info.params_for("quick"), random_state=seed)
    draws = est.sample(with_target, m, seed) if can_sample(est) else [est.fit_transform(with_target)]
    inference_scores([d[ds.X.columns] for d in draws], ds.y, ds.X, model)


def cost_table(rows: pd.DataFrame) -> list[str]:
    lines = ["| dataset | jobs | fit + point (ms/job) | distribution | sample | draws | inference | new, all (ms/job) | overhead |",
             "|---|---|---|---|---|---|---|---|---|"]
    groups = [(name, part) for name, part in rows.groupby("dataset", sort=False)] + [("all", rows)]
    for name, part in groups:
        base = 1000 * (part["fit"] + part["point"]).mean()
        new = {c: 1000 * part[c].mean() for c in NEW}
        total = sum(new.values())
        lines.append(f"| {name} | {len(part)} | {base:.1f} | " + " | ".join(f"{new[c]:.1f}" for c in NEW)
                     + f" | {total:.1f} | {100 * total / base:.1f} % |")
    return lines


def summary(rows: pd.DataFrame) -> list[str]:
    base = (rows["fit"] + rows["point"]).sum()
    without = rows[["distribution", "sample", "draws"]].sum().sum()
    total = without + rows["inference"].sum()
    lines = [f"- Energy distance, correlation error, `sample` and the draw scores: {1000 * without / len(rows):.1f} ms "
             f"per job, {100 * without / base:.1f} % of `fit + point`. With the inference scores (a second "
             f"imputation, with the target, on diabetes): {1000 * total / len(rows):.1f} ms, {100 * total / base:.1f} %."]
    masks = rows.groupby(["dataset", "mechanism", "rate"], sort=False)
    for metric, label in (("energy_distance", "energy distance"), ("corr_error", "correlation error")):
        worst = masks.apply(lambda part: part.loc[part[metric].idxmax(), "imputer"], include_groups=False)
        mean_beats_models = masks.apply(
            lambda part: part.set_index("imputer")[metric].drop(["mean", "median"]).max()
            < part.set_index("imputer").loc["mean", metric], include_groups=False)
        counts = ", ".join(f"{name} {n}" for name, n in worst.value_counts().items())
        lines.append(f"- Worst {label} per mask ({len(worst)} masks): {counts}. Mean imputation worse than every "
                     f"imputer other than the two constant fills on {int(mean_beats_models.sum())} of {len(worst)}.")
    return lines


def per_imputer_table(rows: pd.DataFrame) -> list[str]:
    lines = ["| imputer | fit (ms/job) | new (ms/job) | energy distance | correlation error | energy score | 90 % coverage | 90 % width |",
             "|---|---|---|---|---|---|---|---|"]
    for name, part in rows.groupby("imputer", sort=False):
        new = 1000 * part[list(NEW)].sum(axis=1).mean()
        lines.append(f"| {name} | {1000 * part['fit'].mean():.1f} | {new:.1f} | {part['energy_distance'].mean():.4f} | "
                     f"{part['corr_error'].mean():.4f} | {part['energy_score'].mean():.4f} | "
                     f"{part['coverage_90'].mean():.3f} | {part['width_90'].mean():.3f} |")
    return lines


def worst_table(rows: pd.DataFrame) -> list[str]:
    lines = ["| dataset | mask | worst energy distance | worst correlation error |", "|---|---|---|---|"]
    for (ds, mech, rate), part in rows.groupby(["dataset", "mechanism", "rate"], sort=False):
        worst_ed = part.loc[part["energy_distance"].idxmax(), "imputer"]
        worst_ce = part.loc[part["corr_error"].idxmax(), "imputer"]
        lines.append(f"| {ds} | {mech} {rate:.0%} | {worst_ed} | {worst_ce} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--m", type=int, default=5)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    rows = []
    for name in DEFAULT_DATASETS:
        ds = load_dataset(name, max_rows=MAX_ROWS)
        for imputer in CLASSICAL:
            for mechanism in MECHANISMS:
                for rate in RATES:
                    for seed in seeds:
                        rows.append(one_job(ds, imputer, mechanism, rate, seed, args.m))
                        print(rows[-1]["dataset"], imputer, mechanism, rate, seed, f"{rows[-1]['fit']:.2f}s", flush=True)
    frame = pd.DataFrame(rows)
    load = os.getloadavg()
    text = [
        "# What the PROTOCOL §9 metrics cost, and what they say",
        "",
        f"Generated by `python tests/benchmarks/bench_mi_metrics.py --seeds {args.seeds} --m {args.m}`: the default "
        f"run's in-sample grid ({len(frame)} jobs: {', '.join(DEFAULT_DATASETS)}; the nine classical imputers, quick "
        f"profile; MCAR, MAR, MNAR at 20 % and 50 %; seeds {args.seeds}), one thread, CPU milliseconds per job "
        f"(`process_time`) on a shared 2-core machine (load average {load[0]:.1f} at the end).",
        "",
        "## Summary",
        "",
        *summary(frame),
        "",
        "## Cost per job",
        "",
        "`fit + point`: the imputer's `fit_transform` and the §5 metrics; the four new columns as in the script's "
        "docstring (`sample` is nonzero only for mice and em; `inference` only where the target calls for a model).",
        "",
        *cost_table(frame),
        "",
        "## Per imputer (means over the jobs above)",
        "",
        *per_imputer_table(frame),
        "",
        "## Which imputer distorts the joint distribution most, per mask",
        "",
        *worst_table(frame),
        "",
    ]
    args.out.write_text("\n".join(text))
    print("\n".join(text))


if __name__ == "__main__":
    main()
