"""``imputebench reference``: the reference sets (PROTOCOL §8) — list, inspect, verify, publish, and
(for maintainers) compute them resumably with the project's own runner."""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from . import command_line
from ..errors import UsageError
from .run import _csv, _rates, _seeds, add_source_arguments, source_from


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1; got {text!r}")
    return value


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reference", help="reference sets: rank your imputer without re-running the baselines",
                       description="Precomputed rows of every built-in imputer on a fixed grid (PROTOCOL §8). "
                                   "Rank your imputer against one with `imputebench run --imputers X --reference NAME`.")
    rsub = p.add_subparsers(dest="reference_command", metavar="ACTION", required=True)
    ls = rsub.add_parser("list", help="the reference sets this imputebench carries")
    ls.set_defaults(func=_list)

    info = rsub.add_parser("info", help="a set's grid, rows per imputer, checksums and provenance")
    info.add_argument("name", help="a set's name, or the path of its .json manifest")
    info.add_argument("--json", action="store_true", help="the whole manifest as JSON")
    info.set_defaults(func=_info)

    verify = rsub.add_parser("verify", help="re-run a random sample of the set's jobs here and check they reproduce")
    verify.add_argument("name")
    verify.add_argument("--sample", type=_positive, default=20, metavar="N", help="jobs to re-run (default: 20)")
    verify.add_argument("--seed", type=int, default=0, help="which sample (default: 0)")
    verify.add_argument("--results", type=Path, default=None, metavar="DIR",
                        help="where the re-run jobs go (default: a temporary folder)")
    verify.add_argument("--jobs", type=_positive, default=None, help="worker processes (default: one per core)")
    verify.add_argument("--json", action="store_true", help="one JSON object per re-run job")
    add_source_arguments(verify)
    verify.set_defaults(func=_verify)

    site = rsub.add_parser("site", help="render the set alone as a static leaderboard site (what CI publishes)")
    site.add_argument("name")
    site.add_argument("--out", type=Path, required=True, metavar="DIR", help="site directory")
    site.set_defaults(func=_site)

    compute = rsub.add_parser("compute", help="maintainers: compute or extend a set with the runner, resumably")
    compute.add_argument("name", help="the set to create or extend")
    compute.add_argument("--results", type=Path, required=True, metavar="DIR",
                         help="the working results folder (kept between sessions; the set's rows are imported into it)")
    compute.add_argument("--out", type=Path, default=None, metavar="DIR",
                         help="where the set's files go (default: the package's reference folder)")
    compute.add_argument("--profile", default=None, help="a new set's profile (default: quick)")
    compute.add_argument("--datasets", type=_csv, help="datasets to add (default: the set's, or every one loadable here)")
    compute.add_argument("--imputers", type=_csv, help="imputers to add (default: the set's, or every built-in)")
    compute.add_argument("--mechanisms", type=_csv)
    compute.add_argument("--rates", type=_rates)
    compute.add_argument("--seeds", type=_seeds)
    compute.add_argument("--setting", type=_csv)
    compute.add_argument("--jobs", type=_positive, default=None)
    compute.add_argument("--description", default=None, help="one line saying what the set is for")
    compute.add_argument("--export-only", action="store_true", help="write the set from the results folder, run nothing")
    compute.add_argument("--retry-failed", action="store_true",
                         help="re-run the jobs held as failed or timeout (the set's imported rows included)")
    add_source_arguments(compute)
    compute.set_defaults(func=_compute)


def _hours(seconds: float | None) -> str:
    return "n/a" if not seconds else f"{seconds / 3600:.1f} CPU h"


def _list(args: argparse.Namespace) -> int:
    from ..reference import find_reference, reference_names

    names = reference_names()
    if not names:
        print("no reference set is shipped with this imputebench")
        return 0
    for name in names:
        s = find_reference(name).summary()
        print(f"{name:<12} {s['profile']:<6} protocol {s['protocol_version']}  {s['rows']}/{s['planned']} jobs  "
              f"{s['bytes'] / 1e6:.1f} MB  {_hours(s['cpu_seconds'])}  sha256 {s['sha256'][:12]}")
    return 0


def _info(args: argparse.Namespace) -> int:
    from ..reference import find_reference

    ref = find_reference(args.name)
    if args.json:
        print(json.dumps(ref.manifest, indent=1, default=str))
        return 0
    ref.check()
    s, m = ref.summary(), ref.manifest
    print(f"{ref.name}: {m.get('description', '')}")
    print(f"  files      {ref.manifest_path} and {ref.rows_path.name} ({s['bytes'] / 1e6:.2f} MB, sha256 {s['sha256']})")
    print(f"  profile    {s['profile']}, protocol version {s['protocol_version']}")
    for axis, values in ref.grid.items():
        print(f"  {axis:<10} {', '.join(map(str, values))}")
    print(f"  jobs       {s['rows']} of the grid's {s['planned']} ({', '.join(f'{n} {k}' for k, n in m['statuses'].items())})")
    print(f"  computing  {_hours(s['cpu_seconds'])} over {len(m.get('runs', []))} runs")
    print("  rows per imputer: " + ", ".join(f"{k} {n}" for k, n in m["rows_per_imputer"].items()))
    from ..registry import BUILTINS

    absent = [name for name in BUILTINS if name not in m["rows_per_imputer"]]
    if absent:
        print(f"  not in the set yet: {', '.join(absent)} (rank them by running them with --reference)")
    for r in m.get("runs", []):
        machine = (r.get("machine") or {}).get("platform", "machine not recorded")
        cpu = f"{r['cpu_seconds']:.0f} CPU s" if r.get("cpu_seconds") else "CPU not recorded"
        print(f"  run {r.get('started_at')}  imputebench {r.get('imputebench_version')}  {machine}  {cpu}: {r.get('command')}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from .. import datasets as dsmod
    from ..reference import compare_rows, find_reference, sample_for_verify, seed_noise
    from ..runner import RunConfig, run
    from ..store import METRICS

    ref = find_reference(args.name)
    rows = ref.rows()
    source = source_from(args)
    loadable = [d for d, why in dsmod.availability(sorted(set(rows["dataset"])), mirror=source.mirror,
                                                     data_home=source.data_home,
                                                     allow_network=source.allow_network).items() if why is None]
    if not loadable:
        raise UsageError("none of the set's datasets can be loaded here; give --mirror DIR or allow the network")
    from ..registry import resolve

    runnable = [i for i in sorted(set(rows["imputer"])) if resolve(i).available]  # e.g. no torch: no deep ones
    sample = sample_for_verify(rows, args.sample, seed=args.seed, datasets=loadable, imputers=runnable)
    results = args.results or Path(tempfile.mkdtemp(prefix="imputebench-verify-"))
    cfg = RunConfig(datasets=sorted(set(sample["dataset"])), imputers=sorted(set(sample["imputer"])),
                    mechanisms=sorted(set(sample["mechanism"])), rates=sorted(set(sample["rate"])),
                    seeds=sorted(set(sample["seed"].astype(int))), settings=sorted(set(sample["setting"])),
                    profile=ref.profile, results_dir=results, jobs=args.jobs, source=source, progress=not args.json,
                    only_keys=frozenset(sample["job_key"]), command=command_line(args))
    summary = run(cfg)
    here = summary.rows.set_index("job_key")
    metrics = sorted((m for m in METRICS if m in rows), key=lambda m: m != "rmse")  # RMSE shown when all agree
    noise = seed_noise(rows, metrics)
    verdicts = []
    for ref_row in sample.to_dict("records"):
        key = (ref_row["dataset"], ref_row["mechanism"], ref_row["rate"], ref_row["setting"], ref_row["imputer"])
        sd = noise.loc[key].to_dict() if key in noise.index else {}
        new = here.loc[ref_row["job_key"]].to_dict() if ref_row["job_key"] in here.index else None
        verdicts.append(compare_rows(ref_row, new, metrics, sd))
    for v in verdicts:
        if args.json:
            print(json.dumps(v.__dict__, default=str))
        else:
            detail = (f"{v.metric} {v.reference:.6g} here {v.here:.6g} (tolerance {v.tolerance:.2g})"
                      if v.metric and v.metric != "status" else "")
            print(f"{'PASS' if v.passed else 'FAIL'}  {v.imputer:<12} {v.dataset:<15} {v.cell:<32} {v.verdict}  {detail}")
    failed = sum(not v.passed for v in verdicts)
    skipped = sorted(set(rows["dataset"]) - set(loadable))
    unavailable = sorted(set(rows["imputer"]) - set(runnable))
    print(f"{len(verdicts) - failed} of {len(verdicts)} sampled jobs reproduce "
          f"({sum(v.verdict == 'exact' for v in verdicts)} exactly)"
          + (f"; datasets not loadable here, not sampled: {', '.join(skipped)}" if skipped else "")
          + (f"; imputers unavailable here, not sampled: {', '.join(unavailable)}" if unavailable else ""))
    return 1 if failed else 0


def _site(args: argparse.Namespace) -> int:
    from ..reference import describe, find_reference
    from ..reports.site import build_site, provenance_from_rows

    ref = find_reference(args.name)
    rows = ref.rows()
    runs = list(ref.manifest.get("runs", []))
    provenance = provenance_from_rows(rows, command_line(args), runs)
    about = describe(ref) | {"standalone": True}
    index = build_site(rows, args.out, provenance, samples=None, inputs_hash=ref.sha256, reference=about)
    print(f"site written: {index}")
    return 0


def _compute(args: argparse.Namespace) -> int:
    from .. import datasets as dsmod
    from ..errors import ImputeBenchError
    from ..profiles import get_profile
    from ..reference import (PACKAGE_FOLDER, expected_params, export_reference, find_reference, rows_mask_keys,
                             select_grid, stale_params, stored_mask_checksums)
    from ..registry import BUILTINS
    from ..runner import RunConfig, run
    from ..store import ResultStore

    if args.retry_failed and args.export_only:
        raise UsageError("--retry-failed runs jobs and --export-only runs none: drop one of them")
    out = args.out or PACKAGE_FOLDER
    manifest_path = Path(out) / f"{args.name}.json"
    old = find_reference(str(manifest_path)) if manifest_path.is_file() else None
    if old and args.profile and args.profile != old.profile:
        raise UsageError(f"set {args.name!r} is a {old.profile!r}-profile set; a set has one profile")
    profile = get_profile(old.profile if old else (args.profile or "quick"))
    source = source_from(args)
    grid = {k: list(v) for k, v in (old.grid if old else {}).items()}

    def extend(axis: str, given, default) -> None:
        values = list(grid.get(axis, [])) + [v for v in (given or ([] if old else default)) if v not in grid.get(axis, [])]
        grid[axis] = values

    extend("datasets", args.datasets, [d for d, why in dsmod.availability(
        dsmod.dataset_names(data_home=source.data_home), mirror=source.mirror, data_home=source.data_home,
        allow_network=source.allow_network).items() if why is None])
    extend("imputers", args.imputers, list(BUILTINS))
    extend("mechanisms", args.mechanisms, list(profile.mechanisms))
    extend("rates", args.rates, list(profile.rates))
    extend("seeds", args.seeds, list(profile.seeds))
    extend("settings", args.setting, list(profile.settings))
    store = ResultStore(args.results)
    store.check_writable()
    old_rows = old.rows() if old else None
    params = expected_params(profile.name, grid["imputers"])
    if old_rows is not None:  # resume: the committed set's rows count as done (masks are drawn again alike)
        stale = stale_params(old_rows, params)
        if stale.any():  # an imputer whose parameters changed since: its rows are computed again
            names = ", ".join(sorted(old_rows.loc[stale, "imputer"].unique()))
            print(f"left out {int(stale.sum())} rows of {args.name} computed with other parameters ({names}); "
                  "they are computed again")
        old_rows = old_rows[~stale]
        have = set(store.load()["job_key"])
        missing = old_rows[~old_rows["job_key"].isin(have)]
        if len(missing):
            store.append(missing.to_dict("records"))
            print(f"imported {len(missing)} rows of {args.name} into {args.results}")
    command = command_line(args)
    if not args.export_only:
        cfg = RunConfig(datasets=grid["datasets"], imputers=grid["imputers"], mechanisms=grid["mechanisms"],
                        rates=grid["rates"], seeds=grid["seeds"], settings=grid["settings"], profile=profile.name,
                        results_dir=args.results, jobs=args.jobs, source=source, command=command,
                        retry_failed=args.retry_failed)
        summary = run(cfg)
        print(summary.line())
    rows = select_grid(store.load(), grid, profile.name, params)
    masks = dict(old.manifest["masks"]) if old else {}
    here = stored_mask_checksums(args.results, rows_mask_keys(rows))
    changed = sorted(k for k, v in here.items() if masks.get(k, v) != v)
    if changed:
        raise ImputeBenchError(f"{len(changed)} masks drawn here differ from the set's (e.g. {changed[0]}): this "
                               "imputebench draws other masks, so start a new set instead of extending this one")
    masks.update(here)
    runs = {r["run_id"]: r for r in (old.manifest.get("runs", []) if old else [])}
    runs.update({r["run_id"]: r for r in store.runs()})
    description = args.description or (old.manifest.get("description", "") if old else "")
    ref = export_reference(rows, masks, name=args.name, grid=grid, profile=profile.name, runs=list(runs.values()),
                           out_dir=Path(out), description=description)
    s = ref.summary()
    print(f"wrote {ref.manifest_path} and {ref.rows_path.name}: {s['rows']} of {s['planned']} jobs, "
          f"{s['bytes'] / 1e6:.2f} MB, {_hours(s['cpu_seconds'])}")
    unfinished = rows[rows["status"].isin(["failed", "timeout"])]
    if len(unfinished):  # a set is read as the imputers' results: one lost to load or a fixed bug misleads
        counts = unfinished.groupby(["imputer", "status"]).size()
        print(f"{len(unfinished)} jobs of {args.name} did not finish "
              f"({', '.join(f'{imp}: {n} {status}' for (imp, status), n in counts.items())}) and rank as failures; "
              "if load or a since-fixed bug caused them, re-run them with --retry-failed and the set is written again")
    return 0
