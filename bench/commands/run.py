"""``imputebench run``: run the job grid, resume from the store, render the report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import command_line
from ..errors import UsageError
from ..profiles import PROFILES, SETTINGS
from ..runner import DEFAULT_DATASETS, RunConfig, run
from .options import add_source_arguments, source_from
from .options import csv_list as _csv, imputer_param as _param, ints as _ints, limit as _limit, rates as _rates
from .options import seeds as _seeds


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run the benchmark grid (the default command)",
                       description="Run every job of the grid that the store does not hold yet, then render the report.")
    p.add_argument("--datasets", type=_csv, help=f"comma-separated (default: {','.join(DEFAULT_DATASETS)})")
    p.add_argument("--all", action="store_true", help="every dataset of the catalog")
    p.add_argument("--imputers", type=_csv, help="comma-separated names or module:Class paths (default: classical)")
    p.add_argument("--mechanisms", type=_csv, help="comma-separated: mcar,mar,mnar,mnar_logistic")
    p.add_argument("--rates", type=_rates, help="comma-separated missing rates in (0, 1)")
    p.add_argument("--seeds", type=_seeds, help="e.g. 0,1 or 0-4")
    p.add_argument("--setting", type=_csv, help=f"comma-separated: {','.join(SETTINGS)}")
    p.add_argument("--profile", default=None, help=f"one of {', '.join(PROFILES)} (default: quick)")
    p.add_argument("--reference", metavar="NAME",
                   help="rank --imputers against a reference set: run only them on its grid, merge its rows "
                        "in the report (see `imputebench reference list`)")
    p.add_argument("--param", type=_param, action="append", default=[], metavar="IMPUTER.PARAM=VALUE",
                   help="override a hyper-parameter (repeatable)")
    p.add_argument("--results", type=Path, default=Path("results"), help="results directory (default: ./results)")
    p.add_argument("--jobs", type=int, default=None, help="worker processes (default: one per core)")
    p.add_argument("--timeout", type=_limit("seconds"), default=None,
                   help="seconds per job, or 'none' (default: the profile's)")
    p.add_argument("--memory-limit", type=_limit("MB"), default=None, metavar="MB",
                   help="memory per job in MB, or 'none' (default: none)")
    p.add_argument("--retry-failed", action="store_true", help="re-run jobs the store holds as failed or timeout")
    p.add_argument("--executor", default="local", choices=("local", "ray"), help="where jobs run")
    p.add_argument("--address", default=None, help="Ray cluster address (with --executor ray)")
    p.add_argument("--no-report", action="store_true", help="do not render the report at the end")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    # The transfer track (PROTOCOL §7): same runner and store; see `imputebench transfer tasks`.
    p.add_argument("--track", default="main", choices=("main", "transfer"), help="main grid or the transfer track")
    p.add_argument("--tasks", type=_csv, help="transfer tasks, comma-separated (default: every built-in task)")
    p.add_argument("--n-target", type=_ints, help="target train sizes (default: 50,200,1000)")
    p.add_argument("--strategies", type=_csv, help="target-only,source-only,pooled,fine-tune (default: all)")
    add_source_arguments(p)
    p.set_defaults(func=main)


def config_from(args: argparse.Namespace) -> RunConfig:
    profile_given = args.profile is not None
    args.profile = args.profile or "quick"
    if args.profile not in PROFILES:
        raise UsageError(f"unknown profile {args.profile!r}; valid: {', '.join(PROFILES)}")
    if args.jobs is not None and args.jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {args.jobs}")
    if args.track == "transfer" and (args.datasets or args.all or args.setting):
        raise UsageError("--track transfer runs tasks (--tasks; see `imputebench transfer tasks`), "
                         "not --datasets/--all/--setting")
    if args.track == "main" and (args.tasks or args.n_target or args.strategies):
        raise UsageError("--tasks, --n-target and --strategies belong to --track transfer")
    if args.reference and (args.all or args.track != "main"):
        raise UsageError("--reference plans the reference set's own grid: drop --all and --track")
    if args.all:
        from .. import datasets as dsmod

        names = dsmod.dataset_names(data_home=args.data_home)
    else:
        names = args.datasets or (None if args.reference else list(DEFAULT_DATASETS))
    params: dict[str, dict] = {}
    for imputer, param, value in args.param:
        params.setdefault(imputer, {})[param] = value
    opts = {"address": args.address} if args.address else {}
    cfg = RunConfig(
        datasets=names, imputers=args.imputers, mechanisms=args.mechanisms, rates=args.rates,
        seeds=args.seeds, settings=args.setting, profile=args.profile, results_dir=args.results,
        jobs=args.jobs, timeout=args.timeout, memory_limit_mb=args.memory_limit,
        retry_failed=args.retry_failed, source=source_from(args), params=params,
        executor=args.executor, executor_options=opts, progress=not args.quiet,
        command=command_line(args),
        track=args.track, tasks=args.tasks, n_targets=args.n_target, strategies=args.strategies,
    )
    if args.reference:
        from ..reference import find_reference, reference_run_config

        ref = find_reference(args.reference)
        ref.check()  # a damaged set fails before any job runs
        cfg = reference_run_config(cfg, ref, profile_given)
    return cfg


def main(args: argparse.Namespace) -> int:
    import logging

    cfg = config_from(args)
    summary = run(cfg)
    print(summary.line())
    if summary.warning_line():
        logging.getLogger("imputebench").info(summary.warning_line())
    if not args.no_report:
        from ..reports.render import render_report, site_is_current

        if sum(summary.statuses.values()) == 0 and site_is_current(cfg.results_dir):
            print(f"report: {cfg.results_dir / 'site' / 'index.html'} (unchanged)")
        else:
            index = render_report(cfg.results_dir, command=cfg.command)
            print(f"report: {index}")
    # Named datasets that could not be loaded fail the run (after the rest ran); --all means
    # "every dataset that can be had here", whose missing ones are reported and skipped.
    if summary.unavailable and not (args.all or args.reference):
        print(f"imputebench: error: {len(summary.unavailable)} requested datasets could not be loaded: "
              f"{', '.join(sorted(summary.unavailable))}", file=sys.stderr)
        return 1
    return 0
