"""What the benchmarks that compare an imputer with its peers on the same masks share
(bench_gain_vs_hyperimpute.py, bench_missforest_peers.py; bench_gain_spread.py logs its runs the
same way): one timed imputation scored on its mask, its JSON line, and the RMSE-vs-CPU table with
the Pareto front. Numeric tables only (the peers compared take numbers)."""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from imputebench.protocol.masks import apply_mask
from imputebench.protocol.metrics import imputation_metrics


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_imputation(impute: Callable[[pd.DataFrame], Any], X: pd.DataFrame, mask: np.ndarray) -> dict[str, float]:
    """Impute ``X`` under ``mask`` (True = observed) with ``impute``: CPU seconds (this process and
    any children it waited for), wall seconds, the load, and the RMSE on the masked cells (PROTOCOL
    §5). An output whose columns are ``X``'s in another order is put back in ``X``'s order by name."""
    Xm = apply_mask(X, mask)
    c0, w0, ch0 = time.process_time(), time.perf_counter(), _children_cpu()
    out = impute(Xm)
    cpu = time.process_time() - c0 + _children_cpu() - ch0
    wall = time.perf_counter() - w0
    if isinstance(out, pd.DataFrame) and set(out.columns) == set(X.columns):
        out = out[X.columns]  # e.g. the MissForest package returns its columns sorted by missingness
    out = pd.DataFrame(np.asarray(out, dtype=float), columns=X.columns, index=X.index)
    return {"rmse": float(imputation_metrics(X, out, mask)["rmse"]), "cpu_s": round(cpu, 2),
            "wall_s": round(wall, 2), "load": round(os.getloadavg()[0], 1)}


def emit(record: Mapping[str, Any], log: Path | None) -> None:
    """Print one run as a JSON line, and append it to ``log`` when given."""
    line = json.dumps(dict(record))
    print(line, flush=True)
    if log:
        with Path(log).open("a") as fh:
            fh.write(line + "\n")


def read_runs(log: Path) -> list[dict]:
    return [json.loads(line) for line in Path(log).read_text().splitlines() if line.strip()]


def front_table(runs: list[dict], key: str, base: str) -> str:
    """Markdown, one row per arm (``run[key]``, in order of appearance): runs, RMSE mean ± sd, mean
    CPU seconds, CPU against arm ``base``, and whether the arm is on the Pareto front (no other arm
    at most as costly and as wrong, and strictly better in one)."""
    arms: dict[str, list[dict]] = {}
    for r in runs:
        arms.setdefault(r[key], []).append(r)
    stats = {a: (float(np.mean([r["rmse"] for r in rs])), float(np.mean([r["cpu_s"] for r in rs])))
             for a, rs in arms.items()}
    base_cpu = stats[base][1] if base in stats else float("nan")
    lines = [f"| arm | seeds | RMSE mean ± sd | CPU s mean | CPU / {base} | Pareto front |", "|---|---|---|---|---|---|"]
    for arm, rs in arms.items():
        rmse, cpu = stats[arm]
        dominated = any(o != arm and c <= cpu and e <= rmse and (c < cpu or e < rmse) for o, (e, c) in stats.items())
        sd = float(np.std([r["rmse"] for r in rs], ddof=1)) if len(rs) > 1 else 0.0
        lines.append(f"| {arm} | {len(rs)} | {rmse:.4f} ± {sd:.4f} | {cpu:.1f} | {cpu / base_cpu:.2f}x | "
                     f"{'no' if dominated else 'yes'} |")
    return "\n".join(lines)


def add_log_options(parser: argparse.ArgumentParser) -> None:
    """``--log FILE`` (append each run's JSON line) and ``--summarize FILE`` (print a log's table)."""
    parser.add_argument("--log", type=Path, default=None)
    parser.add_argument("--summarize", type=Path, default=None)


def summarized(args: argparse.Namespace, summarize: Callable[[Path], str]) -> bool:
    """Print ``summarize(args.summarize)`` when asked; True when it did (the script then stops)."""
    if args.summarize:
        print(summarize(args.summarize))
    return bool(args.summarize)
