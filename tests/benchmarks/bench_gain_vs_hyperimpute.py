"""GAIN's quick profile against HyperImpute's GAIN: RMSE and CPU on the same masks (Letter, 5,000 rows).

    OMP_NUM_THREADS=1 IMPUTEBENCH_MIRROR=DIR python tests/benchmarks/bench_gain_vs_hyperimpute.py \
        --seeds 0,1,2,3,4 --iterations 400,800 --log runs.jsonl
    python tests/benchmarks/bench_gain_vs_hyperimpute.py --summarize runs.jsonl

HyperImpute is not a dependency: install it beside imputebench in a venv of its own, without its
notebook extras (``pip install --no-deps hyperimpute==0.1.17`` then ``loguru==0.6.0 optuna geomloss
pydantic cloudpickle redis catboost lightgbm``, ``--no-deps miracle-imputation``). Its ``gain``
plugin is used as a user gets it (``Imputers().get("gain")``); note that the plugin does not pass
its own arguments on, so it trains ``GainImputation``'s defaults: 1,000 iterations, batch 256,
hint 0.9, alpha 10, a fresh batch for each of the two steps.

Each run: the suite's 20 % MCAR mask with the seed (``draw_mask``), the imputer's seed the same,
one thread, CPU seconds of ``fit_transform`` (``time.process_time``), RMSE on the masked cells with
min-max scaling by the complete column (PROTOCOL §5). One JSON line per run.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
import torch

from imputebench.datasets import load_dataset
from imputebench.protocol.masks import draw_mask
from imputebench.registry import make_imputer, resolve
from peer_runs import emit, front_table, read_runs, timed_imputation, add_log_options, summarized

HYPERIMPUTE = "HyperImpute GAIN (its defaults)"


def hyperimpute_gain(seed: int):  # noqa: ANN201 - a HyperImpute plugin
    from hyperimpute.plugins.imputers import Imputers

    return Imputers().get("gain", random_state=seed)


def summarize(log: Path) -> str:
    return front_table(read_runs(log), "label", HYPERIMPUTE)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mirror", default=os.environ.get("IMPUTEBENCH_MIRROR"))
    ap.add_argument("--rows", type=int, default=5000)
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--iterations", default="400", help="GAIN's quick profile with these iterations")
    ap.add_argument("--early-stop", action="store_true", help="also each with holdout_fraction=0.05, check_every=100")
    ap.add_argument("--no-hyperimpute", action="store_true")
    add_log_options(ap)
    args = ap.parse_args()
    if summarized(args, summarize):
        return
    torch.set_num_threads(1)
    X = load_dataset("letter", mirror=args.mirror, allow_network=False, max_rows=args.rows).X
    quick = {**resolve("gain").info.params_for("quick"), "device": "cpu"}
    quick.pop("adapt_iterations", None)
    plan = [] if args.no_hyperimpute else [("hyperimpute", HYPERIMPUTE, {})]
    # The quick profile until 2026-12-07: the paper's step (Adam lr 1e-3, batch 128), 600 iterations.
    plan.append(("ours", "imputebench GAIN, former quick (600 iterations, lr 1e-3, batch 128)",
                 {"iterations": 600, "device": "cpu"}))
    for n in (int(i) for i in args.iterations.split(",")):
        plan.append(("ours", f"imputebench GAIN, quick (lr {quick['learning_rate']:g}, batch {quick['batch_size']}), "
                             f"{n:,} iterations", {**quick, "iterations": n}))
        if args.early_stop:
            plan.append(("ours", f"imputebench GAIN, quick (lr {quick['learning_rate']:g}, batch {quick['batch_size']}), {n:,} iterations, early stop",
                         {**quick, "iterations": n, "holdout_fraction": 0.05, "check_every": 100}))
    for seed in (int(s) for s in args.seeds.split(",")):
        mask = draw_mask(X, "mcar", 0.2, np.random.default_rng(seed))
        for arm, label, params in plan:
            imputer = hyperimpute_gain(seed) if arm == "hyperimpute" else make_imputer("gain", params, random_state=seed)
            emit({"label": label, "seed": seed, "rows": len(X), **timed_imputation(imputer.fit_transform, X, mask)},
                 args.log)


if __name__ == "__main__":
    main()
