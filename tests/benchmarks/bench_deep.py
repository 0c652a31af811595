"""Fit time of the five deep imputers on Letter (20% MCAR), quick and paper profiles.

    python tests/benchmarks/bench_deep.py [--mirror DIR] [--device cpu|cuda|auto] [--out FILE]

- quick: the harness's quick setting, i.e. the 2000-row subsample (quick profile max_rows) with
  each imputer's ``quick`` hyper-parameters, timed in full.
- paper: all 20,000 rows with the ``paper`` hyper-parameters. Training is linear in its
  iterations/epochs, so a fixed fraction of them is timed and the full figure extrapolated
  (measured seconds x full units / measured units, x the number of models for MIDAE's multiple
  imputation); the table says which figures are extrapolated.

Writes a markdown table (default ``tests/benchmarks/deep_fit_times.md``).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from imputebench.registry.neural import resolve_device
from imputebench.registry import make_imputer, resolve

HERE = Path(__file__).resolve().parent
NAMES = ("gain", "midae", "vaei", "hivae", "miwae")
QUICK_ROWS = 2000  # imputebench.protocol.profiles quick max_rows
# What a paper fit's time is linear in, and how much of it is timed.
PAPER_UNIT = {"gain": ("iterations", 500), "midae": ("epochs", 2), "vaei": ("epochs", 5),
              "hivae": ("epochs", 10), "miwae": ("epochs", 1)}


def letter(mirror: Path) -> pd.DataFrame:
    return pd.read_csv(mirror / "letter.csv").drop(columns=["lettr"]).astype("float64")


def masked(X: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    observed = np.random.default_rng(seed).random(X.shape) >= 0.2
    return X.mask(~observed)


def time_fit(name: str, params: dict, X: pd.DataFrame) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of one fit. On a shared machine the CPU time of a
    one-thread fit is the better estimate of its wall time on an idle core."""
    imputer = make_imputer(name, params, random_state=0)
    start, cpu = time.perf_counter(), time.process_time()
    imputer.fit(X)
    if params.get("device", "auto") != "cpu" and torch.cuda.is_available():
        torch.cuda.synchronize()
    return time.perf_counter() - start, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", type=Path, default=Path(os.environ.get("IMPUTEBENCH_MIRROR", HERE.parents[2] / "shared" / "datasets")),
                        help="dataset mirror holding letter.csv (default: $IMPUTEBENCH_MIRROR or ../shared/datasets)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", type=Path, default=HERE / "deep_fit_times.md")
    parser.add_argument("--imputers", nargs="*", default=list(NAMES))
    args = parser.parse_args()
    if not (args.mirror / "letter.csv").is_file():
        parser.error(f"no letter.csv in {args.mirror}; pass --mirror DIR or set IMPUTEBENCH_MIRROR")

    device = str(resolve_device(args.device))
    full = masked(letter(args.mirror))
    quick_table = masked(letter(args.mirror).sample(QUICK_ROWS, random_state=0).reset_index(drop=True))
    rows = []
    make_imputer("gain", {"iterations": 5, "device": device}).fit(quick_table)  # warm torch up, untimed
    for name in args.imputers:
        info = resolve(name).info
        quick = {**info.params_for("quick"), "device": device}
        wall, cpu = time_fit(name, quick, quick_table)
        rows.append((name, "quick", len(quick_table), "all", f"{wall:.1f}", f"{cpu:.1f}", f"{wall:.1f}",
                     f"{cpu:.1f}", "measured"))
        print(rows[-1], flush=True)

        paper = {**info.params_for("paper"), "device": device}
        unit, measured_units = PAPER_UNIT[name]
        full_units = int(paper.get(unit, getattr(make_imputer(name, {}), unit)))
        models = int(paper.get("n_imputations", 1))
        trial = {**paper, unit: measured_units}
        if "n_imputations" in paper:
            trial["n_imputations"] = 1
        wall, cpu = time_fit(name, trial, full)
        scale = full_units / measured_units * models
        note = f"{measured_units}/{full_units} {unit}" + (f", 1/{models} models" if models > 1 else "")
        rows.append((name, "paper", len(full), note, f"{wall:.1f}", f"{cpu:.1f}", f"{wall * scale:,.0f}",
                     f"{cpu * scale:,.0f}", "extrapolated"))
        print(rows[-1], flush=True)

    load = os.getloadavg() if hasattr(os, "getloadavg") else ("n/a",)
    lines = [
        "# Deep imputers: fit time on Letter (20% MCAR)",
        "",
        f"Device `{device}`, torch {torch.__version__}, {torch.get_num_threads()} torch thread(s), "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, {platform.processor() or platform.machine()}, "
        f"load average at the end {load[0]:.1f} on {os.cpu_count()} cores (a shared machine: "
        "figures are upper bounds).",
        "",
        "quick: 2000-row subsample (the quick run profile's row cap), quick hyper-parameters, timed in full. "
        "paper: all 20,000 rows, paper hyper-parameters; the timed fraction of training is scaled "
        "linearly to the full run (`extrapolated`). Fit only; MIWAE's transform with L=10,000 "
        "importance samples is extra.",
        "",
        "Wall seconds are inflated by other users' load; CPU seconds of the one-thread fit estimate "
        "its wall time on an idle core.",
        "",
        "| imputer | profile | rows | timed | timed wall s | timed CPU s | full fit wall s | full fit CPU s | figure |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    lines += ["| " + " | ".join(map(str, r)) + " |" for r in rows]
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
