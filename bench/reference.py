"""Reference sets (PROTOCOL §8): precomputed rows of every built-in imputer on a fixed grid, so that a
user runs only their own imputer and ranks it against the rest.

A reference set is two files, ``NAME.parquet`` (rows of :data:`imputebench.store.SCHEMA`) and
``NAME.json`` (its manifest: grid, profile, protocol version, the checksum of the rows file, each
dataset's checksum, each imputer's parameters, each mask's checksum and the provenance of every run
that computed rows). The package carries its sets in ``imputebench/data/reference/``; a downloaded
set is named by the path of its manifest.

The pure part is here: which reference rows may stand beside rows computed here
(:func:`merge_reference`), which rows a verification re-runs (:func:`sample_for_verify`) and whether
they reproduce (:func:`compare_rows`). Reading, writing and running are at the edges
(:func:`find_reference`, :func:`export_reference`, ``imputebench reference``).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from . import PROTOCOL_VERSION
from .errors import ImputeBenchError, UsageError

FORMAT = 1  # the manifest's own layout
PACKAGE_FOLDER = Path(__file__).parent / "data" / "reference"
# What a set keeps of each run that computed its rows (the run records of ``results/runs/``).
RUN_FIELDS = ("run_id", "started_at", "finished_at", "command", "imputebench_version", "protocol_version", "profile", "versions", "machine",
              "executor", "cpu_seconds", "statuses")
CELL = ["dataset", "mechanism", "rate", "seed", "setting"]  # one mask and one setting (PROTOCOL §2-3)
# A verification's tolerance: an imputer that draws no random numbers must give the same numbers to
# this relative precision (only floating-point summation order may differ between machines); any
# other imputer must land within this many seed standard deviations of the reference value.
EXACT_RTOL = 1e-7
NOISE_SDS = 3.0
# Imputers without a random draw (PROTOCOL §8): verified exactly. Every other one within seed noise.
DETERMINISTIC = frozenset({"mean", "median", "knn", "em", "pcai", "softimpute"})


class ReferenceSetError(ImputeBenchError):
    """A reference set is missing, damaged or does not fit this run."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def mask_checksum(mask: np.ndarray) -> str:
    """A mask's identity: its shape and cells (True = observed)."""
    mask = np.asarray(mask, dtype=bool)
    digest = hashlib.sha256(json.dumps(list(mask.shape)).encode())
    digest.update(np.packbits(mask.ravel()).tobytes())
    return digest.hexdigest()[:32]


@dataclass(frozen=True)
class ReferenceSet:
    """A reference set on disk: its manifest, and its rows read on demand (checksum first)."""

    name: str
    manifest_path: Path
    manifest: Mapping[str, Any]

    @property
    def rows_path(self) -> Path:
        return self.manifest_path.with_name(self.manifest["rows_file"])

    @property
    def profile(self) -> str:
        return str(self.manifest["profile"])

    @property
    def grid(self) -> Mapping[str, list]:
        return self.manifest["grid"]

    @property
    def sha256(self) -> str:
        return str(self.manifest["rows_sha256"])

    def check(self) -> None:
        """The rows file is the one the manifest names (a damaged or edited file is refused)."""
        if not self.rows_path.is_file():
            raise ReferenceSetError(f"reference set {self.name!r}: its rows file {self.rows_path} is missing; "
                                 "reinstall imputebench or download the set again")
        actual = file_sha256(self.rows_path)
        if actual != self.sha256:
            raise ReferenceSetError(f"reference set {self.name!r}: {self.rows_path.name} has checksum {actual[:16]}…, "
                                 f"its manifest says {self.sha256[:16]}…; the file is damaged or was edited")

    def rows(self) -> pd.DataFrame:
        from .store import SCHEMA

        self.check()
        import pyarrow.parquet as pq

        return pq.read_table(self.rows_path, schema=SCHEMA).to_pandas()

    def summary(self) -> dict[str, Any]:
        m = self.manifest
        grid = self.grid
        planned = math.prod(len(grid[k]) for k in ("datasets", "imputers", "mechanisms", "rates", "seeds", "settings"))
        return {"name": self.name, "profile": self.profile, "protocol_version": m["protocol_version"],
                "rows": m["n_rows"], "planned": planned, "bytes": m["rows_bytes"], "cpu_seconds": m.get("cpu_seconds"),
                "sha256": self.sha256, "path": str(self.manifest_path)}


def reference_names(folder: Path = PACKAGE_FOLDER) -> list[str]:
    """The reference sets the package carries."""
    return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []


def find_reference(name: str, folder: Path = PACKAGE_FOLDER) -> ReferenceSet:
    """A reference set by name (one the package carries) or by the path of its manifest."""
    path = Path(name)
    if path.suffix == ".json" or path.is_file():
        manifest_path = path
    else:
        manifest_path = folder / f"{name}.json"
        if not manifest_path.is_file():
            names = reference_names(folder)
            raise UsageError(f"unknown reference set {name!r}; valid: {', '.join(names) or 'none shipped'} "
                             "(or the path of a downloaded set's .json manifest)")
    if not manifest_path.is_file():
        raise UsageError(f"no reference manifest at {manifest_path}; give a set's name or its .json manifest")
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ReferenceSetError(f"cannot read the reference manifest {manifest_path}: {exc}") from None
    if manifest.get("format") != FORMAT:
        raise ReferenceSetError(f"{manifest_path} has manifest format {manifest.get('format')!r}; this imputebench "
                             f"reads format {FORMAT}: upgrade imputebench or use a matching set")
    return ReferenceSet(str(manifest.get("name", manifest_path.stem)), manifest_path, manifest)


# -- merging reference rows with rows computed here (pure) ------------------------------------------
@dataclass
class Merge:
    """Rows computed here plus the reference rows that may stand beside them (column ``origin``:
    ``"here"`` or ``"reference"``), and the reference rows left out with the reason why."""

    rows: pd.DataFrame
    excluded: pd.DataFrame  # imputer, dataset, mechanism, rate, seed, setting, reason

    def reasons(self) -> pd.DataFrame:
        """Left-out rows counted per reason and imputer (what the report shows)."""
        if not len(self.excluded):
            return pd.DataFrame(columns=["reason", "imputer", "rows"])
        return (self.excluded.groupby(["reason", "imputer"]).size().rename("rows").reset_index()
                .sort_values(["rows", "reason", "imputer"], ascending=[False, True, True]).reset_index(drop=True))


def merge_reference(local: pd.DataFrame, reference: pd.DataFrame, *, expected_params: Mapping[str, str],
                    local_masks: Mapping[str, str], reference_masks: Mapping[str, str],
                    protocol_version: int = PROTOCOL_VERSION) -> Merge:
    """Which reference rows may be ranked beside ``local`` (PROTOCOL §8).

    A reference row is used only for a cell (dataset, mask, setting, profile) that was run here, when its
    protocol version is this one, its dataset checksum is that of the table loaded here, its mask's
    checksum is that of the mask stored here, and its parameters are ``expected_params[imputer]``
    (this version's profile for that imputer). An imputer run here in a cell replaces the reference's
    rows of that imputer there. ``local_masks``/``reference_masks``: mask key -> :func:`mask_checksum`.
    """
    from .job import mask_key

    local = local.assign(origin="here")
    ref = reference.reset_index(drop=True)
    reason = pd.Series("", index=ref.index, dtype=object)

    def flag(where: pd.Series | np.ndarray, why: str | pd.Series) -> None:
        where = pd.Series(np.asarray(where, dtype=bool), index=ref.index) & (reason == "")
        reason[where] = why[where] if isinstance(why, pd.Series) else why

    flag(ref["protocol_version"].astype("Int64") != protocol_version,
         "protocol version " + ref["protocol_version"].astype(str) + f"; this imputebench follows version {protocol_version}")
    local_sums = local.groupby("dataset")["dataset_checksum"].agg(lambda c: set(c.dropna()))
    ran_here = ref["dataset"].map(lambda d: d in local_sums.index)
    flag(~ran_here, "dataset " + ref["dataset"] + " was not run here")
    same_table = [s in local_sums.get(d, set()) for d, s in zip(ref["dataset"], ref["dataset_checksum"])]
    flag(~np.asarray(same_table), "dataset checksum differs from the table loaded here")
    cell_here = pd.MultiIndex.from_frame(local[[*CELL, "profile"]].astype({"rate": float, "seed": int}))
    ref_cells = pd.MultiIndex.from_frame(ref[[*CELL, "profile"]].astype({"rate": float, "seed": int}))
    flag(~ref_cells.isin(cell_here), "mask, setting or profile not run here")
    known = ref["imputer"].isin(list(expected_params))
    flag(~known, "imputer unknown to this imputebench")
    flag(stale_params(ref, expected_params), "parameters differ from this imputebench's profile")
    keys = [mask_key(d, c, m, r, s) for d, c, m, r, s in
            zip(ref["dataset"], ref["dataset_checksum"], ref["mechanism"], ref["rate"], ref["seed"])]
    here_mask = pd.Series([local_masks.get(k) for k in keys], index=ref.index)
    ref_mask = pd.Series([reference_masks.get(k) for k in keys], index=ref.index)
    flag(ref_mask.isna() | here_mask.isna() | (here_mask != ref_mask), "mask differs from the one drawn here")
    local_cells = pd.MultiIndex.from_frame(local[[*CELL, "imputer"]].astype({"rate": float, "seed": int}))
    ref_imputer_cells = pd.MultiIndex.from_frame(ref[[*CELL, "imputer"]].astype({"rate": float, "seed": int}))
    flag(ref_imputer_cells.isin(local_cells), "computed here")
    keep = (reason == "").to_numpy()
    merged = pd.concat([local, ref[keep].assign(origin="reference")], ignore_index=True)
    excluded = ref.loc[~keep, ["imputer", *CELL]].assign(reason=reason[~keep].to_numpy()).reset_index(drop=True)
    return Merge(merged, excluded)


# -- verification (pure) --------------------------------------------------------------------------
def sample_for_verify(rows: pd.DataFrame, n: int, seed: int = 0, datasets: Iterable[str] | None = None,
                      imputers: Iterable[str] | None = None) -> pd.DataFrame:
    """``n`` ok reference rows to re-run, spread over imputers (round robin over a seeded shuffle),
    from ``datasets`` and ``imputers`` (the ones that can be had here) when given."""
    ok = rows[rows["status"] == "ok"]
    if datasets is not None:
        ok = ok[ok["dataset"].isin(list(datasets))]
    if imputers is not None:
        ok = ok[ok["imputer"].isin(list(imputers))]
    if n <= 0 or not len(ok):
        return ok.iloc[:0]
    order = np.random.default_rng(seed).permutation(len(ok))
    shuffled = ok.iloc[order]
    turn = shuffled.groupby("imputer", sort=True).cumcount()  # i-th pick of each imputer
    picked = shuffled.assign(_turn=turn.to_numpy()).sort_values(["_turn", "imputer"], kind="stable").head(n)
    return picked.drop(columns="_turn").reset_index(drop=True)


def seed_noise(rows: pd.DataFrame, metrics: Sequence[str]) -> pd.DataFrame:
    """Standard deviation over seeds of each metric, per (dataset, mechanism, rate, setting, imputer)."""
    ok = rows[rows["status"] == "ok"]
    return ok.groupby(["dataset", "mechanism", "rate", "setting", "imputer"])[list(metrics)].std(ddof=1)


@dataclass(frozen=True)
class Verdict:
    job_key: str
    imputer: str
    dataset: str
    cell: str
    metric: str
    reference: float
    here: float
    tolerance: float
    verdict: str  # "exact", "within seed noise", "differs", "failed here", "not the same job here"

    @property
    def passed(self) -> bool:
        return self.verdict in ("exact", "within seed noise")


def compare_rows(ref: Mapping[str, Any], here: Mapping[str, Any] | None, metrics: Sequence[str],
                 noise: Mapping[str, float]) -> Verdict:
    """Does a re-run row reproduce a reference row? Imputers in :data:`DETERMINISTIC` must match to
    :data:`EXACT_RTOL`; the others within :data:`NOISE_SDS` seed standard deviations (``noise``: per
    metric, from the reference set's own seeds). The verdict is that of the worst metric."""
    cell = f"{ref['mechanism']} {ref['rate']:g} seed {ref['seed']} {ref['setting']}"
    base = dict(job_key=ref["job_key"], imputer=ref["imputer"], dataset=ref["dataset"], cell=cell)
    if here is None:
        return Verdict(**base, metric="", reference=math.nan, here=math.nan, tolerance=math.nan,
                       verdict="not the same job here")
    if here.get("status") != "ok":
        return Verdict(**base, metric="status", reference=math.nan, here=math.nan, tolerance=math.nan,
                       verdict="failed here")
    worst: Verdict | None = None
    exact_only = ref["imputer"] in DETERMINISTIC
    for metric in metrics:
        a, b = ref.get(metric), here.get(metric)
        if a is None or b is None or (pd.isna(a) and pd.isna(b)):
            continue
        a, b = float(a), float(b)
        exact_tol = EXACT_RTOL * max(1.0, abs(a))
        noise_tol = NOISE_SDS * float(noise.get(metric, math.nan))
        gap = abs(a - b) if not (math.isnan(a) or math.isnan(b)) else math.inf
        if gap <= exact_tol:
            v = Verdict(**base, metric=metric, reference=a, here=b, tolerance=exact_tol, verdict="exact")
        elif not exact_only and gap <= noise_tol:
            v = Verdict(**base, metric=metric, reference=a, here=b, tolerance=noise_tol, verdict="within seed noise")
        else:
            tol = exact_tol if exact_only or math.isnan(noise_tol) else noise_tol
            v = Verdict(**base, metric=metric, reference=a, here=b, tolerance=tol, verdict="differs")
        rank = {"exact": 0, "within seed noise": 1, "differs": 2}
        if worst is None or rank[v.verdict] > rank[worst.verdict]:
            worst = v
    return worst or Verdict(**base, metric="", reference=math.nan, here=math.nan, tolerance=math.nan, verdict="exact")


# -- writing a set (maintainers: ``imputebench reference compute``) --------------------------------
def stored_mask_checksums(results_dir: Path, keys: Iterable[str]) -> dict[str, str]:
    """Checksums of the masks a results folder stores, for these mask keys (absent ones left out)."""
    from .store import ResultStore

    store = ResultStore(results_dir)
    out = {}
    for key in sorted(set(keys)):
        hit = store.load_mask(key)
        if hit is not None and not hit[1].get("infeasible"):
            out[key] = mask_checksum(hit[0])
    return out


def rows_mask_keys(rows: pd.DataFrame) -> list[str]:
    from .job import mask_key

    return [mask_key(d, c, m, r, s) for d, c, m, r, s in
            zip(rows["dataset"], rows["dataset_checksum"], rows["mechanism"], rows["rate"], rows["seed"])]


def select_grid(rows: pd.DataFrame, grid: Mapping[str, Sequence], profile: str,
                params: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The main-track rows of ``profile`` inside ``grid``, in a fixed order (a set's file is reproducible).
    ``params``: imputer -> the job parameters it has now (:func:`expected_params`); rows of those
    imputers computed with other parameters are left out (stale: the imputer has changed since)."""
    rows = rows[(rows["track"].fillna("main") == "main") & (rows["profile"] == profile)
                & (rows["protocol_version"] == PROTOCOL_VERSION)]
    if params:
        rows = rows[~stale_params(rows, params)]
    for axis, column in (("datasets", "dataset"), ("imputers", "imputer"), ("mechanisms", "mechanism"),
                         ("settings", "setting")):
        rows = rows[rows[column].isin(list(grid[axis]))]
    rows = rows[rows["rate"].astype(float).isin([float(r) for r in grid["rates"]])
                & rows["seed"].astype(int).isin([int(s) for s in grid["seeds"]])]
    return rows.sort_values(["dataset", "imputer", "setting", "mechanism", "rate", "seed"], kind="stable").reset_index(drop=True)


def export_reference(rows: pd.DataFrame, masks: Mapping[str, str], *, name: str, grid: Mapping[str, Sequence],
                     profile: str, runs: Sequence[Mapping[str, Any]], out_dir: Path,
                     description: str = "") -> ReferenceSet:
    """Write a reference set (rows file, then manifest, each atomically) from a store's rows and the
    checksums of their masks; ``runs``: the provenance of every run that computed a row."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from .atomic import atomic_write
    from .store import SCHEMA

    rows = select_grid(rows, grid, profile)
    keys = rows_mask_keys(rows)
    missing = sorted({k for k in keys if k not in masks})
    if missing:
        raise ReferenceSetError(f"{len(missing)} masks of these rows are not stored (e.g. {missing[0]}); "
                             "export from the results folder that computed them")
    params = rows.groupby("imputer")["params"].agg(lambda p: sorted(set(p)))
    mixed = params[params.map(len) > 1]
    if len(mixed):
        raise ReferenceSetError(f"imputer {mixed.index[0]!r} has rows with different parameters; a reference set "
                             "holds one parameter set per imputer (re-run it, or leave it out)")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows_file = out_dir / f"{name}.parquet"
    table = pa.Table.from_pandas(rows, schema=SCHEMA, preserve_index=False)
    atomic_write(rows_file, lambda tmp: pq.write_table(table, tmp, compression="zstd", compression_level=19))
    datasets = rows.groupby("dataset").agg(checksum=("dataset_checksum", "first"), max_rows=("max_rows", "first"),
                                           n_rows=("n_rows", "max"), n_features=("n_features", "max"))
    used_runs = set(rows["run_id"].dropna())
    manifest = {
        "format": FORMAT, "name": name, "description": description, "profile": profile,
        "protocol_version": PROTOCOL_VERSION, "grid": {k: list(v) for k, v in grid.items()},
        "rows_file": rows_file.name, "rows_sha256": file_sha256(rows_file), "rows_bytes": rows_file.stat().st_size,
        "n_rows": len(rows), "statuses": rows["status"].value_counts().sort_index().to_dict(),
        "rows_per_imputer": rows["imputer"].value_counts().sort_index().to_dict(),
        "datasets": {d: {k: (None if pd.isna(v) else (int(v) if k != "checksum" else str(v))) for k, v in r.items()}
                     for d, r in datasets.to_dict("index").items()},
        "params": {imp: p[0] for imp, p in params.items()},
        "masks": {k: masks[k] for k in sorted(set(keys))},
        "runs": [{k: r.get(k) for k in RUN_FIELDS} for r in sorted(runs, key=lambda r: str(r.get("started_at", "")))
                 if r.get("run_id") in used_runs],
    }
    manifest["cpu_seconds"] = round(sum(float(r.get("cpu_seconds") or 0.0) for r in manifest["runs"]), 1)
    text = json.dumps(manifest, indent=1, sort_keys=False, default=str).encode() + b"\n"
    manifest_path = out_dir / f"{name}.json"
    atomic_write(manifest_path, lambda f: f.write(text))
    return find_reference(str(manifest_path))


def stale_params(rows: pd.DataFrame, params: Mapping[str, str]) -> pd.Series:
    """True for rows of an imputer in ``params`` whose parameters are not the ones it has now."""
    now = rows["imputer"].map(dict(params))
    return now.notna() & (rows["params"] != now)


def expected_params(profile: str, imputers: Iterable[str]) -> dict[str, str]:
    """This imputebench's parameters of each built-in imputer under ``profile``, as job keys have them
    (from the metadata table: nothing is imported)."""
    from .registry.info import BUILTIN_INFO
    from .runner import job_params

    return {name: job_params(BUILTIN_INFO[name].params_for(profile)) for name in imputers if name in BUILTIN_INFO}


# -- planning a run against a set -----------------------------------------------------------------
def within_reference(ref: ReferenceSet, axis: str, asked: Sequence | None) -> list:
    """The set's values on one grid axis, or the asked subset of them (anything outside the set's
    grid is refused: there are no reference rows to rank it against)."""
    have = list(ref.grid[axis])
    if asked is None:
        return have
    norm = (lambda v: float(v)) if axis == "rates" else (lambda v: int(v)) if axis == "seeds" else (lambda v: v)
    outside = [a for a in asked if norm(a) not in {norm(h) for h in have}]
    if outside:
        flag = "--setting" if axis == "settings" else f"--{axis}"
        raise UsageError(f"{flag}: {outside[0]} is not in reference set {ref.name!r}, whose {axis} are "
                         f"{', '.join(map(str, have))}")
    return list(asked)


def reference_run_config(cfg: Any, ref: ReferenceSet, profile_given: bool) -> Any:
    """``cfg`` (a :class:`imputebench.runner.RunConfig`) planned on the set's grid (PROTOCOL §8): its
    datasets, masks, settings and profile; flags may narrow the grid but not leave it."""
    from dataclasses import replace

    if not cfg.imputers:
        raise UsageError("--reference ranks your imputers against the set: name them with --imputers "
                         "(e.g. --imputers mypackage:MyImputer)")
    if profile_given and cfg.profile != ref.profile:
        raise UsageError(f"reference set {ref.name!r} is a {ref.profile!r}-profile set; drop --profile {cfg.profile} "
                         f"or use a set of that profile (imputebench reference list)")
    datasets = within_reference(ref, "datasets", None if cfg.datasets is None else list(cfg.datasets))
    return replace(cfg, profile=ref.profile, datasets=datasets,
                   mechanisms=within_reference(ref, "mechanisms", cfg.mechanisms),
                   rates=within_reference(ref, "rates", cfg.rates),
                   seeds=within_reference(ref, "seeds", cfg.seeds),
                   settings=within_reference(ref, "settings", cfg.settings),
                   reference={"name": ref.name, "path": str(ref.manifest_path), "sha256": ref.sha256})


def describe(ref: ReferenceSet) -> dict[str, Any]:
    """What a report says about a set: its identity, size, cost and the runs that computed it."""
    summary = ref.summary()
    runs = [{k: r.get(k) for k in ("started_at", "command", "imputebench_version", "cpu_seconds")}
            | {"machine": (r.get("machine") or {}).get("platform", "")} for r in ref.manifest.get("runs", [])]
    return {"name": ref.name, "sha256": ref.sha256, "description": ref.manifest.get("description", ""),
            "profile": ref.profile, "standalone": False, "changed": False, "n_rows": summary["rows"],
            "n_planned": summary["planned"], "n_used": summary["rows"], "n_excluded": 0, "imputers": [],
            "reasons": [], "cpu_seconds": summary["cpu_seconds"], "runs": runs}


# -- the report's edge: merge the set a run named ---------------------------------------------------
def run_reference(runs: Sequence[Mapping[str, Any]]) -> Mapping[str, str] | None:
    """The reference set named by the latest run that named one (``run --reference``)."""
    named = [r["reference"] for r in runs if r.get("reference")]
    return named[-1] if named else None


def merge_with_store(rows: pd.DataFrame, named: Mapping[str, str], results_dir: Path) -> tuple[pd.DataFrame, dict]:
    """The store's rows with the named set's usable rows merged in, and what the report says about
    the set (its provenance, what was used and what was left out, and why)."""
    path = Path(named.get("path", ""))
    ref = find_reference(str(path) if path.is_file() else str(named["name"]))
    ref_rows = ref.rows()
    is_main = rows["track"].fillna("main") == "main"
    main, other = rows[is_main], rows[~is_main]
    here_keys = rows_mask_keys(ref_rows[ref_rows["dataset"].isin(set(main["dataset"]))])
    merge = merge_reference(main, ref_rows, expected_params=expected_params(ref.profile, ref_rows["imputer"].unique()),
                            local_masks=stored_mask_checksums(results_dir, here_keys),
                            reference_masks=ref.manifest["masks"])
    used = merge.rows[merge.rows["origin"] == "reference"]
    info = describe(ref) | {
        "changed": ref.sha256 != named.get("sha256"), "n_used": len(used), "n_excluded": len(merge.excluded),
        "imputers": sorted(set(used["imputer"])), "reasons": merge.reasons().to_dict("records")}
    return pd.concat([merge.rows, other.assign(origin="here")], ignore_index=True), info
