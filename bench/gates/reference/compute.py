"""Reference sets and the runner: compute or extend a set resumably (``reference compute``), and
re-run a sample of a set's jobs to check that they reproduce here (``reference verify``)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

import pandas as pd

from ..comparison import mask_keys, stale_params
from ...errors import ImputeBenchError, UsageError
from .compare import Verdict, held_metrics, sample_for_verify, unverified_metrics, verify_verdicts
from ...protocol.samples import encode_samples
from ...reports.samples import read_samples
from .files import PACKAGE_FOLDER, ReferenceSet, existing_set, export_reference, histogram_jobs, stored_mask_checksums
from .plan import expected_params, extend_grid, select_grid
from .render import unfinished_line, written_line

if TYPE_CHECKING:
    from ...harness.job import DataSource
    from ...harness.store import ResultStore

Echo = Callable[[str], None]


def _loadable_datasets(names: Sequence[str], source: "DataSource") -> list[str]:
    from ... import datasets as dsmod

    return [d for d, why in dsmod.availability(list(names), mirror=source.mirror, data_home=source.data_home,
                                               allow_network=source.allow_network).items() if why is None]


def _grid_defaults(profile, source: "DataSource") -> dict[str, Callable[[], list]]:
    """A new set's axes when not asked for: every dataset loadable here, every built-in, the profile's masks."""
    from ... import datasets as dsmod
    from ...registry import BUILTINS

    return {"datasets": lambda: _loadable_datasets(dsmod.dataset_names(data_home=source.data_home), source),
            "imputers": lambda: list(BUILTINS), "mechanisms": lambda: list(profile.mechanisms),
            "rates": lambda: list(profile.rates), "seeds": lambda: list(profile.seeds),
            "settings": lambda: list(profile.settings)}


def _import_set_rows(name: str, old: ReferenceSet, store: "ResultStore", params: Mapping[str, str],
                     echo: Echo) -> None:
    """Resume: the committed set's rows count as done (masks are drawn again alike), except those of
    an imputer whose parameters changed since (computed again)."""
    old_rows = old.rows()
    stale = stale_params(old_rows, params)
    if stale.any():
        names = ", ".join(sorted(old_rows.loc[stale, "imputer"].unique()))
        echo(f"left out {int(stale.sum())} rows of {name} computed with other parameters ({names}); "
             "they are computed again")
    old_rows = old_rows[~stale]
    missing = old_rows[~old_rows["job_key"].isin(set(store.load()["job_key"]))]
    if len(missing):
        samples = old.samples()  # the set's samples go with its rows, so the set written again keeps them
        by_job = {} if samples is None else {
            key: part.drop(columns="job_key") for key, part in samples.groupby("job_key", sort=False)
            if key in set(missing["job_key"])}
        store.append(missing.to_dict("records"), {str(k): encode_samples(str(k), v) for k, v in by_job.items()})
        echo(f"imported {len(missing)} rows of {name} into {store.root}")


def _masks(old: ReferenceSet | None, rows: pd.DataFrame, results: Path) -> dict[str, str]:
    """The set's mask checksums with those of the masks drawn here; a mask drawn otherwise here is refused."""
    masks = dict(old.manifest["masks"]) if old else {}
    here = stored_mask_checksums(results, mask_keys(rows))
    changed = sorted(k for k, v in here.items() if masks.get(k, v) != v)
    if changed:
        raise ImputeBenchError(f"{len(changed)} masks drawn here differ from the set's (e.g. {changed[0]}): this "
                               "imputebench draws other masks, so start a new set instead of extending this one")
    return masks | here


def compute_reference(name: str, *, results: Path, source: "DataSource", command: str, out: Path | None = None,
                      profile: str | None = None, axes: Mapping[str, Sequence | None] | None = None,
                      jobs: int | None = None, description: str | None = None, export_only: bool = False,
                      retry_failed: bool = False, echo: Echo = print) -> ReferenceSet:
    """Create or extend the set ``name`` in ``out`` (default: the package's folder): import its rows into
    ``results`` (the working store), run what its grid (extended by ``axes``) lacks, and write the set
    again from the store. ``echo`` receives a line per step."""
    from ...protocol.profiles import get_profile
    from ...harness.runner import RunConfig, run
    from ...harness.store import ResultStore

    if retry_failed and export_only:
        raise UsageError("--retry-failed runs jobs and --export-only runs none: drop one of them")
    out = Path(out or PACKAGE_FOLDER)
    old = existing_set(name, out)
    if old and profile and profile != old.profile:
        raise UsageError(f"set {name!r} is a {old.profile!r}-profile set; a set has one profile")
    prof = get_profile(old.profile if old else (profile or "quick"))
    grid = extend_grid(old.grid if old else {}, dict(axes or {}), _grid_defaults(prof, source))
    store = ResultStore(results)
    store.check_writable()
    params = expected_params(prof.name, grid["imputers"])
    if old:
        _import_set_rows(name, old, store, params, echo)
    if not export_only:
        cfg = RunConfig(datasets=grid["datasets"], imputers=grid["imputers"], mechanisms=grid["mechanisms"],
                        rates=grid["rates"], seeds=grid["seeds"], settings=grid["settings"], profile=prof.name,
                        results_dir=results, jobs=jobs, source=source, command=command, retry_failed=retry_failed)
        echo(run(cfg).line())
    rows = select_grid(store.load(), grid, prof.name, params)
    masks = _masks(old, rows, results)
    runs = {r["run_id"]: r for r in (old.manifest.get("runs", []) if old else [])}
    runs.update({r["run_id"]: r for r in store.runs()})
    description = description or (old.manifest.get("description", "") if old else "")
    samples = read_samples(results, sorted(histogram_jobs(rows)))
    ref = export_reference(rows, masks, name=name, grid=grid, profile=prof.name, runs=list(runs.values()),
                           out_dir=out, description=description, samples=samples)
    echo(written_line(ref))
    unfinished = unfinished_line(name, rows)
    if unfinished:  # a set is read as the imputers' results: one lost to load or a fixed bug misleads
        echo(unfinished)
    return ref


@dataclass(frozen=True)
class Verification:
    """A verification's verdicts, and what could not be sampled here."""

    verdicts: list[Verdict]
    skipped_datasets: list[str]
    unavailable_imputers: list[str]
    unchecked_metrics: list[str] = field(default_factory=list)  # metrics the set predates: nothing to check

    @property
    def passed(self) -> bool:
        return all(v.passed for v in self.verdicts)


def _say_why_not_run(verdicts: list[Verdict], picked: pd.DataFrame, params: Mapping[str, str]) -> list[Verdict]:
    """A sampled job this imputebench plans with other parameters is not run here (its job key differs):
    its verdict names the parameters then and now, so a changed profile or default is found at once."""
    stale = picked[stale_params(picked, params)]
    why = {k: f"params {p} -> {params[i]} here" for k, i, p in zip(stale["job_key"], stale["imputer"], stale["params"])}
    return [replace(v, detail=why[v.job_key]) if v.verdict == "not the same job here" and not v.detail
            and v.job_key in why else v for v in verdicts]


def verify_reference(ref: ReferenceSet, *, sample: int, seed: int, source: "DataSource", command: str,
                     results: Path | None = None, jobs: int | None = None, progress: bool = True) -> Verification:
    """Re-run ``sample`` of the set's ok jobs (of the datasets and imputers that can be had here) with
    the runner and judge each against its reference row, masks included."""
    from ...registry import resolve
    from ...harness.runner import RunConfig, run
    from ...harness.store import METRICS

    rows = ref.rows()
    loadable = _loadable_datasets(sorted(set(rows["dataset"])), source)
    if not loadable:
        raise UsageError("none of the set's datasets can be loaded here; give --mirror DIR or allow the network")
    runnable = [i for i in sorted(set(rows["imputer"])) if resolve(i).available]  # e.g. no torch: no deep ones
    picked = sample_for_verify(rows, sample, seed=seed, datasets=loadable, imputers=runnable)
    results = Path(results) if results else Path(tempfile.mkdtemp(prefix="imputebench-verify-"))
    cfg = RunConfig(datasets=sorted(set(picked["dataset"])), imputers=sorted(set(picked["imputer"])),
                    mechanisms=sorted(set(picked["mechanism"])), rates=sorted(set(picked["rate"])),
                    seeds=sorted(set(picked["seed"].astype(int))), settings=sorted(set(picked["setting"])),
                    profile=ref.profile, results_dir=results, jobs=jobs, source=source, progress=progress,
                    only_keys=frozenset(picked["job_key"]), command=command)
    here = run(cfg).rows
    # The masks themselves, not only their realised rate: the set's checksums against those drawn here.
    picked = picked.assign(mask_checksum=[ref.manifest["masks"].get(k) for k in mask_keys(picked)])
    drawn = stored_mask_checksums(results, mask_keys(here)) if len(here) else {}
    here = here.assign(mask_checksum=[drawn.get(k) for k in mask_keys(here)])
    # A metric an imputer's rows have no value of (they predate the metric) cannot be verified: said, not failed.
    held = held_metrics(rows, METRICS)
    verdicts = _say_why_not_run(verify_verdicts(picked, here, rows, held), picked,
                                expected_params(ref.profile, runnable))
    return Verification(verdicts, sorted(set(rows["dataset"]) - set(loadable)),
                        sorted(set(rows["imputer"]) - set(runnable)), unverified_metrics(held, METRICS))
