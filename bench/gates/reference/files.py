"""Reference sets on disk: finding and reading a set (its rows checked against the manifest's
checksum first), writing one, the mask checksums a results folder stores, and the report's edge
(the store's rows with the named set's usable rows merged in).

A set written since samples were added carries, beside its rows, ``NAME.samples.parquet``: the
samples of true vs imputed cells the site's histograms draw (:mod:`imputebench.protocol.samples`),
of the jobs the histograms show and of no others: per dataset one condition
(:func:`imputebench.reports.facts.reference_jobs`: in-sample, MCAR, the rate nearest 0.2, the lowest
seed), every imputer's job under it, each job's sample as the store keeps it (at most
``SAMPLE_CELLS`` = 500 masked cells of each of its first 3 features with a masked cell). So at most
1,500 cells per dataset and imputer. Its checksum is in the manifest (so the set's checksum and a
signature cover it); a set written before has none, and stays valid."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ... import PROTOCOL_VERSION
from ..comparison import mask_keys
from ...errors import ImputeBenchError, UsageError
from .compare import merge_reference
from .plan import expected_params, select_grid
from .schema import GRID_AXES, manifest_problem

FORMAT = 1  # the manifest's own layout
SAMPLES_SUFFIX = ".samples.parquet"  # NAME.samples.parquet beside NAME.parquet
PACKAGE_FOLDER = Path(str(resources.files("imputebench").joinpath("data", "reference")))
# What a set keeps of each run that computed its rows (the run records of ``results/runs/``).
RUN_FIELDS = ("run_id", "started_at", "finished_at", "command", "imputebench_version", "protocol_version", "profile",
              "versions", "machine", "executor", "cpu_seconds", "statuses")


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


def canonical_manifest(manifest: Mapping[str, Any]) -> bytes:
    """The manifest as the set's checksum and signatures read it: JSON with sorted keys and no spaces,
    UTF-8, so neither whitespace nor key order (an editor, a line-ending conversion) changes them."""
    return json.dumps(manifest, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


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
    def samples_path(self) -> Path | None:
        """The samples file beside the manifest; None for a set that predates samples."""
        name = self.manifest.get("samples_file")
        return self.manifest_path.with_name(name) if name else None

    @property
    def profile(self) -> str:
        return str(self.manifest["profile"])

    @property
    def grid(self) -> Mapping[str, list]:
        return self.manifest["grid"]

    @property
    def sha256(self) -> str:
        """The rows file's SHA-256, as the manifest records it."""
        return str(self.manifest["rows_sha256"])

    @property
    def set_sha256(self) -> str:
        """The set's checksum: SHA-256 of its canonical manifest, which records the rows file's own, so
        this one value stands for both files (the value a publisher prints in the release notes)."""
        return hashlib.sha256(canonical_manifest(self.manifest)).hexdigest()

    @property
    def signature_path(self) -> Path:
        """Where a detached signature of the set sits: beside its manifest (``NAME.sig``)."""
        return self.manifest_path.with_suffix(".sig")

    def check(self) -> None:
        """The rows file is the one the manifest names (a damaged or edited file is refused)."""
        files = [(self.rows_path, self.sha256)]
        if self.samples_path is not None:
            files.append((self.samples_path, str(self.manifest.get("samples_sha256"))))
        for path, expected in files:
            if not path.is_file():
                raise ReferenceSetError(f"reference set {self.name!r}: its file {path} is missing; "
                                        "reinstall imputebench or download the set again")
            actual = file_sha256(path)
            if actual != expected:
                raise ReferenceSetError(f"reference set {self.name!r}: {path.name} has checksum {actual[:16]}…, "
                                        f"its manifest says {expected[:16]}…; the file is damaged or was edited")

    def rows(self) -> pd.DataFrame:
        import pyarrow.parquet as pq

        from ...harness.store import SCHEMA

        self.check()
        return pq.read_table(self.rows_path, schema=SCHEMA).to_pandas()

    def samples(self) -> pd.DataFrame | None:
        """The set's samples of true vs imputed cells (a ``job_key`` column; checksums checked first);
        None for a set that predates samples."""
        import pyarrow.parquet as pq

        if self.samples_path is None:
            return None
        self.check()
        return pq.read_table(self.samples_path).to_pandas()

    def sampled_imputers(self) -> list[str]:
        """The imputers whose jobs the samples file holds cells of ([] for a set that predates samples):
        a set extended by one imputer after samples began carries that imputer's only."""
        samples = self.samples()
        if samples is None:
            return []
        rows = self.rows()
        return sorted(set(rows.loc[rows["job_key"].isin(set(samples["job_key"])), "imputer"]))

    def summary(self) -> dict[str, Any]:
        m = self.manifest
        planned = math.prod(len(self.grid[k]) for k in GRID_AXES)
        return {"name": self.name, "profile": self.profile, "protocol_version": m["protocol_version"],
                "rows": m["n_rows"], "planned": planned, "bytes": m["rows_bytes"], "cpu_seconds": m.get("cpu_seconds"),
                "sha256": self.sha256, "set_sha256": self.set_sha256, "signed": self.signature_path.is_file(),
                "path": str(self.manifest_path)}


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
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise ReferenceSetError(f"{manifest_path} has manifest format {found!r}; this imputebench "
                                f"reads format {FORMAT}: upgrade imputebench or use a matching set")
    problem = manifest_problem(manifest)
    if problem:
        raise ReferenceSetError(f"reference manifest {manifest_path} is damaged or was edited: {problem}")
    return ReferenceSet(str(manifest.get("name", manifest_path.stem)), manifest_path, manifest)


def reference_summaries(folder: Path = PACKAGE_FOLDER) -> list[dict[str, Any]]:
    """:meth:`ReferenceSet.summary` of every set the package carries (``reference list``)."""
    return [find_reference(name, folder).summary() for name in reference_names(folder)]


def existing_set(name: str, out_dir: Path) -> ReferenceSet | None:
    """The set ``name`` already written in ``out_dir``, if any (``reference compute`` extends it)."""
    manifest_path = Path(out_dir) / f"{name}.json"
    return find_reference(str(manifest_path)) if manifest_path.is_file() else None


# -- masks a results folder stores ------------------------------------------------------------------
def stored_mask_checksums(results_dir: Path, keys: Iterable[str]) -> dict[str, str]:
    """Checksums of the masks a results folder stores, for these mask keys (absent ones left out)."""
    from ...harness.store import ResultStore

    store = ResultStore(results_dir)
    out = {}
    for key in sorted(set(keys)):
        hit = store.load_mask(key)
        if hit is not None and not hit[1].get("infeasible"):
            out[key] = mask_checksum(hit[0])
    return out


# -- writing a set (maintainers: ``imputebench reference compute``) --------------------------------
def _manifest(rows: pd.DataFrame, masks: Mapping[str, str], params: pd.Series, keys: list[str], *, name: str,
              grid: Mapping[str, Sequence], profile: str, runs: Sequence[Mapping[str, Any]], rows_file: Path,
              description: str) -> dict[str, Any]:
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
    return manifest


def histogram_jobs(rows: pd.DataFrame) -> set[str]:
    """The jobs whose samples a set carries: those the site's histograms show (module docstring)."""
    from ...reports.facts import reference_jobs

    return set(reference_jobs(rows)["job_key"])


def _write_samples(samples: pd.DataFrame, rows: pd.DataFrame, path: Path) -> dict[str, Any]:
    """Write the samples of the set's histogram jobs to ``path``; the manifest's fields for them."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from ...atomic import atomic_write

    kept = samples[samples["job_key"].isin(histogram_jobs(rows))].sort_values("job_key", kind="stable")
    table = pa.Table.from_pandas(kept.reset_index(drop=True), preserve_index=False)
    atomic_write(path, lambda tmp: pq.write_table(table, tmp, compression="zstd", compression_level=19))
    return {"samples_file": path.name, "samples_sha256": file_sha256(path), "samples_bytes": path.stat().st_size,
            "n_samples": len(kept)}


def export_reference(rows: pd.DataFrame, masks: Mapping[str, str], *, name: str, grid: Mapping[str, Sequence],
                     profile: str, runs: Sequence[Mapping[str, Any]], out_dir: Path,
                     description: str = "", samples: pd.DataFrame | None = None) -> ReferenceSet:
    """Write a reference set (rows file, samples file, then manifest, each atomically) from a store's
    rows and the checksums of their masks; ``runs``: the provenance of every run that computed a row;
    ``samples``: the store's samples (:func:`imputebench.reports.samples.read_samples`), of which the
    set keeps those of :func:`histogram_jobs`; None writes a set without samples."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from ...atomic import atomic_write
    from ...harness.store import SCHEMA

    rows = select_grid(rows, grid, profile)
    keys = mask_keys(rows)
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
    manifest = _manifest(rows, masks, params, keys, name=name, grid=grid, profile=profile, runs=runs,
                         rows_file=rows_file, description=description)
    if samples is not None:
        manifest |= _write_samples(samples, rows, out_dir / f"{name}{SAMPLES_SUFFIX}")
    text = json.dumps(manifest, indent=1, sort_keys=False, default=str).encode() + b"\n"
    manifest_path = out_dir / f"{name}.json"
    atomic_write(manifest_path, lambda f: f.write(text))
    ref = find_reference(str(manifest_path))
    ref.signature_path.unlink(missing_ok=True)  # it signed the previous manifest: sign the new one again
    return ref


# -- the report's edge: merge the set a run named ---------------------------------------------------
def describe(ref: ReferenceSet) -> dict[str, Any]:
    """What a report says about a set: its identity, size, cost and the runs that computed it."""
    summary = ref.summary()
    runs = [{k: r.get(k) for k in ("started_at", "command", "imputebench_version", "cpu_seconds")}
            | {"machine": (r.get("machine") or {}).get("platform", "")} for r in ref.manifest.get("runs", [])]
    return {"name": ref.name, "sha256": ref.sha256, "description": ref.manifest.get("description", ""),
            "profile": ref.profile, "standalone": False, "changed": False, "n_rows": summary["rows"],
            "n_planned": summary["planned"], "n_used": summary["rows"], "n_excluded": 0, "imputers": [],
            "reasons": [], "cpu_seconds": summary["cpu_seconds"], "runs": runs,
            "has_samples": ref.samples_path is not None, "datasets": sorted(ref.manifest["datasets"]),
            "all_imputers": sorted(ref.manifest["rows_per_imputer"])}


def run_reference(runs: Sequence[Mapping[str, Any]]) -> Mapping[str, str] | None:
    """The reference set named by the latest run that named one (``run --reference``)."""
    named = [r["reference"] for r in runs if r.get("reference")]
    return named[-1] if named else None


def merge_with_store(rows: pd.DataFrame, named: Mapping[str, str], results_dir: Path) -> tuple[pd.DataFrame, dict]:
    """The store's rows with the named set's usable rows merged in, and what the report says about
    the set (its provenance, what was used and what was left out, and why), with, under ``samples``,
    the set's samples of the rows used (None when the set predates samples)."""
    path = Path(named.get("path", ""))
    ref = find_reference(str(path) if path.is_file() else str(named["name"]))
    ref_rows = ref.rows()
    from ...tracks import rows_of

    main = rows_of(rows)  # reference sets hold the default (main) track's grid (PROTOCOL §8)
    other = rows[~rows["job_key"].isin(set(main["job_key"]))]
    here_keys = mask_keys(ref_rows[ref_rows["dataset"].isin(set(main["dataset"]))])
    merge = merge_reference(main, ref_rows, expected_params=expected_params(ref.profile, ref_rows["imputer"].unique()),
                            local_masks=stored_mask_checksums(results_dir, here_keys),
                            reference_masks=ref.manifest["masks"])
    used = merge.rows[merge.rows["origin"] == "reference"]
    samples = ref.samples()
    info = describe(ref) | {
        "changed": ref.sha256 != named.get("sha256"), "n_used": len(used), "n_excluded": len(merge.excluded),
        "imputers": sorted(set(used["imputer"])), "reasons": merge.reasons().to_dict("records"),
        # the histograms' cells of the rows used (the report draws them beside the store's own)
        "samples": None if samples is None else samples[samples["job_key"].isin(set(used["job_key"]))]}
    return pd.concat([merge.rows, other.assign(origin="here")], ignore_index=True), info


def merge_named_reference(rows: pd.DataFrame, runs: list, results_dir: Path) -> tuple[pd.DataFrame, dict | None]:
    """The store's rows with the reference set its runs named merged in (PROTOCOL §8), and what the
    report says about it; the rows unchanged (and None) when no run named one."""
    named = run_reference(runs)
    return merge_with_store(rows, named, results_dir) if named else (rows, None)


def render_with_reference(results_dir: Path, out_dir: Path | None = None, command: str = "imputebench report",
                          max_plots: int | None = None, force: bool = False) -> Path:
    """The report of a results folder (:func:`imputebench.reports.render.render_report`), with the rows
    of the reference set a run named standing beside the store's."""
    from ...reports.render import render_report

    return render_report(results_dir, out_dir, command=command, max_plots=max_plots, force=force,
                         extend_rows=merge_named_reference)
