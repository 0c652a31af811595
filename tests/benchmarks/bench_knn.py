"""KNN imputation at scale: ours against scikit-learn's KNNImputer, and a 100,000-row job.

    python tests/benchmarks/bench_knn.py [--before REV] [--rows 20000] [--big-rows 100000] [--out FILE]

Needs the dataset mirror (``IMPUTEBENCH_MIRROR``) for Letter (20,000 x 16). One MCAR mask at 20 %
(seed 0), ``n_neighbors=5``, one thread for everything. Measures, side by side in one process:

- ``--rows`` rows of Letter: ours, scikit-learn's ``KNNImputer`` on the min-max-scaled table and,
  with ``--before REV``, this repository's ``registry/knn.py`` at git revision REV: CPU seconds of
  fit + transform (``process_time``: the machine is shared), RMSE on masked cells (PROTOCOL §5),
  peak traced memory of ours, and how many cells differ from the other two, with how many of
  those have a tie between the 5th and 6th nearest donor (where any choice is right);
- ``--big-rows`` rows built from Letter stacked with small uniform noise (+-0.05 in units where
  Letter's values are the integers 0-15, so rows differ but stay Letter-like): ours, and with
  ``--before REV`` that revision too, in alternating pairs (ours, before, ours, before; the lower of
  each pair's figures), and whether its output is identical to ours;
- on both tables, 300 random imputed cells checked against a brute-force float64 reference (every
  donor's exact distance, ties to the earlier donor row): the count that differ must be 0.

Writes a markdown table to ``tests/benchmarks/knn.md``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"  # one thread for every side, before numpy loads a BLAS

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Callable  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.impute import KNNImputer as SklearnKNN  # noqa: E402

from imputebench.datasets import load_dataset  # noqa: E402
from imputebench.registry.knn import TIE_TOLERANCE, KNNImputer  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
OUT = Path(__file__).with_name("knn.md")
K = 5


def mcar(shape: tuple[int, int], rate: float, seed: int) -> np.ndarray:
    observed = np.random.default_rng(seed).random(shape) >= rate
    observed[0, ~observed.any(axis=0)] = True  # never a fully missing column (PROTOCOL §2)
    return observed


def scaled_rmse(truth: np.ndarray, guess: np.ndarray, observed: np.ndarray) -> float:
    lo, hi = truth.min(axis=0), truth.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    return float(np.sqrt((((truth - guess) / span)[~observed] ** 2).mean()))


def cpu_seconds(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.process_time()
    result = fn()
    return time.process_time() - start, result


def module_at(rev: str) -> Any:
    """``registry/knn.py`` at git revision ``rev``, imported as a module of this package."""
    source = subprocess.run(["git", "-C", str(REPO), "show", f"{rev}:registry/knn.py"], check=True,
                            capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp()) / "knn_before.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("imputebench.registry.knn_before", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def sklearn_knn(X: np.ndarray) -> np.ndarray:
    lo, hi = np.nanmin(X, axis=0), np.nanmax(X, axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    return SklearnKNN(n_neighbors=K).fit_transform((X - lo) / span) * span + lo


def brute_force_cell(Z: np.ndarray, observed: np.ndarray, row: int, col: int) -> tuple[float, bool]:
    """(the mean of the k nearest donors' scaled values, whether the k-th and (k+1)-th tie), from
    every donor's exact nan-euclidean distance, ties to the earlier donor row."""
    donors = np.flatnonzero(observed[:, col])
    both = observed[donors] & observed[row]
    diff = np.where(both, np.nan_to_num(Z[donors]) - np.nan_to_num(Z[row]), 0.0)
    shared = both.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        dist = np.where(shared > 0, (diff ** 2).sum(axis=1) / shared, np.inf)
    ordered = np.sort(dist)
    with np.errstate(invalid="ignore"):  # inf - inf: the unreachable donors tie
        gaps = np.diff(ordered) > TIE_TOLERANCE
    tie_class = np.concatenate([[0], np.cumsum(gaps)])[np.searchsorted(ordered, dist)]
    nearest = donors[np.lexsort((donors, tie_class))[:K]]
    tie = ordered.size > K and abs(ordered[K] - ordered[K - 1]) <= TIE_TOLERANCE
    return float(np.nan_to_num(Z[nearest, col]).mean()), bool(tie)


def check_cells(imputer: KNNImputer, X: pd.DataFrame, out: np.ndarray, observed: np.ndarray, n: int,
                seed: int) -> int:
    """Random imputed cells whose value differs from the brute-force reference (want 0)."""
    Z = imputer.encoder_.encode(X)
    cells = np.argwhere(~observed)
    picked = cells[np.random.default_rng(seed).choice(len(cells), size=min(n, len(cells)), replace=False)]
    wrong = 0
    for row, col in picked:
        scaled, _ = brute_force_cell(Z, observed, row, col)
        value = scaled * imputer.encoder_.scale_[col] + imputer.encoder_.loc_[col]
        wrong += not np.isclose(value, out[row, col], rtol=1e-9, atol=1e-9)
    return wrong


def differing(imputer: KNNImputer, X: pd.DataFrame, ours: np.ndarray, other: np.ndarray,
              observed: np.ndarray) -> tuple[int, int]:
    """(cells where ``other`` differs from ours, of which the 5th and 6th nearest donor tie)."""
    Z = imputer.encoder_.encode(X)
    cells = np.argwhere(~np.isclose(ours, other, rtol=1e-9, atol=1e-9))
    ties = sum(brute_force_cell(Z, observed, r, c)[1] for r, c in cells)
    return len(cells), ties


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--big-rows", type=int, default=100000, help="0 skips the big table")
    parser.add_argument("--before", help="git revision whose registry/knn.py to time beside ours")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    letter = load_dataset("letter").X
    lines = []
    X = letter.iloc[:args.rows]
    observed = mcar(X.shape, 0.2, 0)
    Xm = X.mask(~observed)
    truth = X.to_numpy(dtype=float)
    load_before = os.getloadavg()[0]
    ours_s, ours = cpu_seconds(lambda: KNNImputer(K).fit(Xm).transform(Xm).to_numpy(dtype=float))
    print(f"ours {ours_s:.2f}s", flush=True)
    theirs_s, theirs = cpu_seconds(lambda: sklearn_knn(Xm.to_numpy(dtype=float)))
    print(f"sklearn {theirs_s:.2f}s", flush=True)
    fitted = KNNImputer(K).fit(Xm)
    tracemalloc.start()
    fitted.transform(Xm)
    peak_mb = tracemalloc.get_traced_memory()[1] / 2 ** 20
    tracemalloc.stop()
    rows = [("ours", ours_s, scaled_rmse(truth, ours, observed), f"{peak_mb:.0f} MB peak traced (transform)")]
    diff, ties = differing(fitted, Xm, ours, theirs, observed)
    rows.append(("scikit-learn KNNImputer", theirs_s, scaled_rmse(truth, theirs, observed),
                 f"{diff} cells differ from ours, {ties} of them at a 5th/6th-neighbour tie"))
    if args.before:
        before_s, before = cpu_seconds(
            lambda: module_at(args.before).KNNImputer(K).fit(Xm).transform(Xm).to_numpy(dtype=float))
        diff, ties = differing(fitted, Xm, ours, before, observed)
        rows.append((f"ours at {args.before}", before_s, scaled_rmse(truth, before, observed),
                     f"{diff} cells differ from ours, {ties} of them at a 5th/6th-neighbour tie"))
    wrong = check_cells(fitted, Xm, ours, observed, 300, seed=1)
    load_after = os.getloadavg()[0]
    lines += [f"### Letter, first {args.rows:,} rows x 16, MCAR 20 %, k={K} (load average {load_before:.1f} "
              f"-> {load_after:.1f})", "",
              "| imputer | CPU s | time / ours | RMSE | notes |", "|---|---|---|---|---|"]
    lines += [f"| {name} | {s:.2f} | {s / ours_s:.2f}x | {rmse:.4f} | {note} |" for name, s, rmse, note in rows]
    lines += ["", f"Brute-force float64 check of 300 random imputed cells: {wrong} differ.", ""]

    if args.big_rows:
        copies = -(-args.big_rows // len(letter))
        raw = np.tile(letter.to_numpy(dtype=float), (copies, 1))[:args.big_rows]
        raw += np.random.default_rng(2).uniform(-0.05, 0.05, raw.shape)
        big = pd.DataFrame(raw, columns=letter.columns)
        observed = mcar(big.shape, 0.2, 0)
        bigm = big.mask(~observed)
        load_before = os.getloadavg()[0]
        big_s, out = cpu_seconds(lambda: KNNImputer(K).fit(bigm).transform(bigm).to_numpy(dtype=float))
        print(f"ours at {args.big_rows} rows {big_s:.1f}s", flush=True)
        before_line = ""
        if args.before:  # alternating pairs: ours was first, so the old code runs, then ours again
            old = module_at(args.before).KNNImputer
            old_s, old_out = cpu_seconds(lambda: old(K).fit(bigm).transform(bigm).to_numpy(dtype=float))
            again_s, _ = cpu_seconds(lambda: KNNImputer(K).fit(bigm).transform(bigm).to_numpy(dtype=float))
            old_s2, _ = cpu_seconds(lambda: old(K).fit(bigm).transform(bigm).to_numpy(dtype=float))
            print(f"before {old_s:.1f}s {old_s2:.1f}s, ours again {again_s:.1f}s", flush=True)
            before_line = (f"| ours at {args.before} | {min(old_s, old_s2):.1f} (of {old_s:.1f}, {old_s2:.1f}; ours "
                           f"{big_s:.1f}, {again_s:.1f}) | {scaled_rmse(raw, old_out, observed):.4f} | | "
                           f"{'identical to ours' if np.array_equal(old_out, out) else 'differs from ours'} |")
            big_s = min(big_s, again_s)
        load_after = os.getloadavg()[0]
        mean_rmse = scaled_rmse(raw, bigm.fillna(bigm.mean()).to_numpy(dtype=float), observed)
        wrong = check_cells(KNNImputer(K).fit(bigm), bigm, out, observed, 300, seed=3)
        lines += [f"### {args.big_rows:,} rows: Letter x {copies} with +-0.05 uniform noise, MCAR 20 %, k={K} "
                  f"(load average {load_before:.1f} -> {load_after:.1f})", "",
                  "| imputer | CPU s | RMSE | mean-imputation RMSE | brute-force check |", "|---|---|---|---|---|",
                  f"| ours | {big_s:.1f} | {scaled_rmse(raw, out, observed):.4f} | {mean_rmse:.4f} | "
                  f"{wrong} of 300 cells differ |"] + ([before_line] if before_line else []) + [""]

    command = "python tests/benchmarks/bench_knn.py " + " ".join(sys.argv[1:])
    header = (f"# KNN at scale\n\nGenerated by `{command}` on a shared 2-core machine (other sessions' jobs "
              f"running: read times with the load average beside them; the ratios are measured in one "
              f"process, one after the other). CPU seconds of fit + transform on one thread; RMSE on masked "
              f"cells, min-max scaled by the complete column (PROTOCOL §5).\n\n")
    args.out.write_text(header + "\n".join(lines))
    print("\n".join(lines))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
