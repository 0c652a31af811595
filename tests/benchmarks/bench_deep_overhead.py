"""Deep imputers' per-step overhead: CPU seconds of a fit before vs after a change, and whether the
imputations are bit-identical (issue #32, item 2).

    python tests/benchmarks/bench_deep_overhead.py [--base REV] [--pairs 2] [--imputers miwae midae ...]

"Before" is the imputer as it was at git revision ``--base`` (its module and the shared
``deep_tabular``/``neural`` modules read with ``git show`` and loaded beside the current ones in this
process); "after" is the working tree. Both run on the same table, mask and seed, in alternating
pairs (before, after, before, after, ...) in one process with one torch thread; the table reports
the median CPU seconds of each side.

- quick: Letter's 2000-row subsample (the quick profile's row cap), 20% MCAR, quick hyper-parameters,
  fit timed in full; then transform on the same table.
- paper: all 20,000 rows, paper hyper-parameters with a timed fraction of training (as
  bench_deep.py, but MIDAE keeps all of its models, which one lever trains together); the full
  fit's CPU seconds are extrapolated linearly. MIWAE's transform uses 100 importance samples here
  instead of 10,000 (fit does not depend on it) to keep the check short.

``identical`` compares the transform outputs of before and after with ``numpy.array_equal``; RMSE
is over the masked cells (the same for both when identical).

Writes ``tests/benchmarks/deep_overhead.md`` (``--out``).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from imputebench.registry import make_imputer, resolve

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
NAMES = ("miwae", "midae", "vaei", "hivae", "gain")
QUICK_ROWS = 2000
PAPER_UNIT = {"gain": ("iterations", 500), "midae": ("epochs", 2), "vaei": ("epochs", 5),
              "hivae": ("epochs", 10), "miwae": ("epochs", 1)}
OTHERS = (("adult", "income"), ("magic", "class"))  # (dataset, target column dropped)
SHARED = ("neural", "deep_tabular")  # loaded first, in this order; imputer modules import them
CLASSES = {"miwae": "MIWAEImputer", "midae": "MIDAEImputer", "vaei": "VAEImputer",
           "hivae": "HIVAEImputer", "gain": "GAINImputer"}


def load_baseline(name: str, rev: str) -> type:
    """The imputer class of ``registry/<name>.py`` at ``rev``, with the shared modules at ``rev``."""
    def source(mod: str) -> str:
        text = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:registry/{mod}.py"],
                              check=True, capture_output=True, text=True).stdout
        for shared in SHARED:
            text = text.replace(f"from .{shared} import", f"from .baseline_{shared} import")
        return text

    module = None
    for mod in (*SHARED, name):
        full = f"imputebench.registry.baseline_{mod}"
        if full in sys.modules:
            module = sys.modules[full]
            continue
        spec = importlib.util.spec_from_loader(full, loader=None)
        module = importlib.util.module_from_spec(spec)
        module.__package__ = "imputebench.registry"
        sys.modules[full] = module
        exec(compile(source(mod), f"<{rev}:registry/{mod}.py>", "exec"), module.__dict__)
    return getattr(module, CLASSES[name])


def letter(mirror: Path) -> pd.DataFrame:
    return pd.read_csv(mirror / "letter.csv").drop(columns=["lettr"]).astype("float64")


def masked(X: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    return X.mask(np.random.default_rng(seed).random(X.shape) < 0.2)


def run(cls: type, params: dict, X: pd.DataFrame) -> tuple[float, float, np.ndarray]:
    """(fit CPU s, transform CPU s, imputed values) of one fit + transform with ``random_state=0``."""
    imputer = cls(**{**params, "random_state": 0})
    cpu = time.process_time()
    imputer.fit(X)
    fit_cpu = time.process_time() - cpu
    cpu = time.process_time()
    out = imputer.transform(X).to_numpy()
    return fit_cpu, time.process_time() - cpu, out


def rmse(full: pd.DataFrame, X: pd.DataFrame, out: np.ndarray) -> float:
    """RMSE over the masked cells, each column scaled by its standard deviation in ``full``."""
    truth = full.to_numpy()
    miss = X.isna().to_numpy()
    err = (out - truth) / full.std().to_numpy()
    return float(np.sqrt(np.mean(err[miss] ** 2)))


def compare(name: str, profile: str, rev: str, pairs: int, tables: dict) -> tuple:
    info = resolve(name).info
    params = {**info.params_for(profile), "device": "cpu"}
    params = {k: v for k, v in params.items() if not k.startswith("adapt_")}
    full, X = tables[profile]
    note, scale = "all", 1.0
    if profile == "paper":
        unit, measured = PAPER_UNIT[name]
        total = int(params.get(unit, getattr(make_imputer(name, {}), unit)))
        params[unit] = measured
        note, scale = f"{measured}/{total} {unit}", total / measured
        if name == "miwae":
            params["n_impute_samples"] = 100
    sides = {"before": load_baseline(name, rev), "after": resolve(name).cls}
    fits: dict[str, list[float]] = {"before": [], "after": []}
    outs = {}
    for _ in range(pairs):
        for side, cls in sides.items():
            fit_cpu, _, out = run(cls, params, X)
            fits[side].append(fit_cpu)
            if side in outs and not np.array_equal(outs[side], out, equal_nan=True):
                raise RuntimeError(f"{name} {profile} {side}: two runs with one seed differ")
            outs[side] = out
    before, after = (statistics.median(fits[s]) for s in ("before", "after"))
    same = np.array_equal(outs["before"], outs["after"], equal_nan=True)
    row = (name, profile, len(X), note, f"{before:.2f}", f"{after:.2f}", f"{before * scale:,.0f}",
           f"{after * scale:,.0f}", f"{before / after:.2f}", "yes" if same else "no",
           f"{rmse(full, X, outs['before']):.4f}", f"{rmse(full, X, outs['after']):.4f}")
    print(row, flush=True)
    return row


def other_identity(name: str, rev: str, mirror: Path, dataset: str, target: str) -> str:
    """Whether before and after impute another table (its first 600 rows, categorical columns as
    categories, 20% MCAR) bit-identically, with quick-profile training (two models for MIDAE):
    matmul kernels may sum in another order at other widths, so one table is not proof."""
    table = pd.read_csv(mirror / f"{dataset}.csv", na_values="?").drop(columns=[target]).head(600)
    for col in table.columns:
        table[col] = table[col].astype("float64") if pd.api.types.is_numeric_dtype(table[col]) else table[col].astype("category")
    X = masked(table, seed=1)
    params = {k: v for k, v in resolve(name).info.params_for("quick").items() if not k.startswith("adapt_")}
    params.update({"device": "cpu", **({"n_imputations": 2} if name == "midae" else {})})
    outs = [run(cls, params, X)[2] for cls in (load_baseline(name, rev), resolve(name).cls)]
    same = all(pd.isna(a) and pd.isna(b) or a == b for a, b in zip(outs[0].ravel(), outs[1].ravel()))
    print(name, dataset, "identical:", same, flush=True)
    return "yes" if same else "no"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", type=Path, default=Path(os.environ.get("IMPUTEBENCH_MIRROR", ROOT.parent / "shared" / "datasets")))
    parser.add_argument("--base", default="db2e82d", help="git revision of 'before' (default: this work's base)")
    parser.add_argument("--pairs", type=int, default=2)
    parser.add_argument("--imputers", nargs="*", default=list(NAMES))
    parser.add_argument("--profiles", nargs="*", default=["quick", "paper"])
    parser.add_argument("--out", type=Path, default=HERE / "deep_overhead.md")
    args = parser.parse_args()
    torch.set_num_threads(1)
    full = letter(args.mirror)
    small = full.sample(QUICK_ROWS, random_state=0).reset_index(drop=True)
    tables = {"quick": (small, masked(small)), "paper": (full, masked(full))}
    make_imputer("gain", {"iterations": 5, "device": "cpu"}).fit(tables["quick"][1])  # warm torch up
    rows = [compare(n, p, args.base, args.pairs, tables) for n in args.imputers for p in args.profiles]
    others = {(n, d): other_identity(n, args.base, args.mirror, d, t) for n in args.imputers for d, t in OTHERS}
    load = os.getloadavg()
    lines = [
        "# Deep imputers: per-step overhead, before vs after (issue #32 item 2)",
        "",
        f"CPU seconds (`time.process_time`) of `fit`, median of {args.pairs} alternating before/after pairs in one "
        f"process; torch {torch.__version__}, {torch.get_num_threads()} thread, {platform.machine()}, load average "
        f"{load[0]:.1f} at the end on {os.cpu_count()} shared cores. Before = git `{args.base}`; after = this tree. "
        "Letter, 20% MCAR (seed 0), random_state 0. quick: 2000-row subsample, fit timed in full. paper: "
        "20,000 rows, a timed fraction of training extrapolated linearly to the full fit (MIDAE with all of its "
        "models). `identical`: transform outputs equal (`numpy.array_equal`); RMSE over masked cells in "
        "column standard deviations.",
        "",
        "| imputer | profile | rows | timed | before CPU s | after CPU s | before full fit CPU s | "
        "after full fit CPU s | speed-up | identical | RMSE before | RMSE after |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    lines += ["| " + " | ".join(map(str, r)) + " |" for r in rows]
    lines += ["", "Other tables (first 600 rows, 20% MCAR, quick hyper-parameters, MIDAE with 2 models; Adult has "
              "8 categorical columns, MAGIC 10 numeric ones): transform outputs identical before/after: "
              + ", ".join(f"{n} on {d} {v}" for (n, d), v in others.items()) + "."]
    # The hand-written analysis below the figures ("## Notes" onwards) survives a re-run.
    kept = args.out.read_text(encoding="utf-8") if args.out.is_file() else ""
    notes = kept[kept.index("\n## Notes"):] if "\n## Notes" in kept else ""
    args.out.write_text("\n".join(lines) + "\n" + notes, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
