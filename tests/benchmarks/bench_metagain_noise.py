"""Meta-GAIN's input noise: the paper's S ~ U[0, 1] (Eq. 5) against GAIN's U(0, 0.01).

    OMP_NUM_THREADS=1 IMPUTEBENCH_MIRROR=DIR nice python tests/benchmarks/bench_metagain_noise.py [--seeds 2]

Letter capped at 2,000 rows (the quick run's table, PROTOCOL §1), 20% MCAR, in-sample ARMSE, the quick
profile, the same masks and seeds for both noises; mean imputation beside them. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import os

import numpy as np
import torch

from imputebench.datasets import load_dataset
from imputebench.protocol.masks import apply_mask, draw_mask
from imputebench.protocol.metrics import imputation_metrics
from imputebench.registry import make_imputer, resolve


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--profile", default="quick")
    args = ap.parse_args()
    torch.set_num_threads(1)
    ds = load_dataset("letter", max_rows=2000, mirror=os.environ.get("IMPUTEBENCH_MIRROR"), allow_network=False)
    params = {**resolve("metagain").info.params_for(args.profile), "device": "cpu"}
    print("| seed | mean imputation | Meta-GAIN, S ~ U[0, 1] (Eq. 5) | Meta-GAIN, S ~ U(0, 0.01) (GAIN) |")
    print("|---|---|---|---|")
    for seed in range(args.seeds):
        mask = draw_mask(ds.X, "mcar", 0.2, np.random.default_rng(seed))
        X = apply_mask(ds.X, mask)
        scores = [imputation_metrics(ds.X, make_imputer("mean").fit(X).transform(X), mask)["armse"]]
        for noise in (1.0, 0.01):
            imp = make_imputer("metagain", {**params, "input_noise": noise}, random_state=seed).fit(X, ds.y)
            scores.append(imputation_metrics(ds.X, imp.transform(X), mask)["armse"])
        print(f"| {seed} | " + " | ".join(f"{v:.4f}" for v in scores) + " |", flush=True)


if __name__ == "__main__":
    main()
