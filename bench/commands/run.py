"""``imputebench run``: run the job grid, resume from the store, render the report."""

from __future__ import annotations

import argparse
import sys

from . import command_line
from ..errors import UsageError
from ..harness.config import DEFAULT_DATASETS, DEFAULT_TRACK, RunConfig
from ..protocol.profiles import PROFILES
from .options import DEFAULT_RESULTS, add_source_arguments, csv_list, folder, imputer_param, ints, limit
from .options import params_by_imputer, positive_int, rates, seeds, source_from


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run the benchmark grid (the default command)",
                       description="Run every job of the grid that the store does not hold yet, then render the report.")
    p.add_argument("--imputers", type=csv_list, help="comma-separated names or module:Class paths (default: classical)")
    p.add_argument("--mechanisms", type=csv_list, help="comma-separated: mcar,mar,mnar,mnar_logistic")
    p.add_argument("--rates", type=rates, help="comma-separated missing rates in (0, 1)")
    p.add_argument("--seeds", type=seeds, help="e.g. 0,1 or 0-4")
    p.add_argument("--profile", default=None, help=f"one of {', '.join(PROFILES)} (default: quick)")
    p.add_argument("--reference", metavar="NAME",
                   help="rank --imputers against a reference set: run only them on its grid, merge its rows "
                        "in the report (see `imputebench reference list`)")
    p.add_argument("--param", type=imputer_param, action="append", default=[], metavar="IMPUTER.PARAM=VALUE",
                   help="override a hyper-parameter (repeatable)")
    p.add_argument("--results", type=folder, default=DEFAULT_RESULTS, metavar="DIR",
                   help=f"results directory (default: ./{DEFAULT_RESULTS})")
    p.add_argument("--jobs", type=positive_int, default=None, help="worker processes (default: one per core)")
    p.add_argument("--timeout", type=limit("seconds"), default=None,
                   help="seconds per job, or 'none' (default: the profile's)")
    p.add_argument("--memory-limit", type=limit("MB"), default=None, metavar="MB",
                   help="memory per job in MB, or 'none' (default: none)")
    p.add_argument("--retry-failed", action="store_true", help="re-run jobs the store holds as failed or timeout")
    p.add_argument("--executor", default="local", choices=("local", "ray"), help="where jobs run")
    p.add_argument("--address", default=None, help="Ray cluster address (with --executor ray)")
    p.add_argument("--no-report", action="store_true", help="do not render the report at the end")
    p.add_argument("--quiet", action="store_true", help="no progress bar or progress lines")
    add_track_arguments(p)
    add_source_arguments(p)
    p.set_defaults(func=main)


OPTION_TYPES = {"list": csv_list, "ints": ints}  # a TrackOption's kind -> its parser ("flag": on/off)


def add_track_arguments(p: argparse.ArgumentParser) -> None:
    """``--track`` and every known track's own options, each in the track's argument group."""
    from ..tracks import all_tracks

    tracks = all_tracks()
    p.add_argument("--track", default=DEFAULT_TRACK, choices=[t.name for t in tracks],
                   help=f"which track's grid to run (default: {DEFAULT_TRACK})")
    for track in tracks:
        group = p.add_argument_group(f"--track {track.name}", track.description)
        for o in track.options:
            dest = option_dest(track.name, o.dest)
            if o.kind == "flag":
                group.add_argument(o.flag, dest=dest, action="store_true", help=o.help)
            else:
                group.add_argument(o.flag, dest=dest, type=OPTION_TYPES[o.kind], metavar=o.metavar or o.dest.upper(),
                                   help=o.help)


def option_dest(track: str, name: str) -> str:
    """Where argparse keeps a track's option: per track, as two tracks may name an option alike."""
    return f"track:{track}:{name}"


def track_options_from(args: argparse.Namespace) -> dict:
    """The chosen track's options as given; another track's option is a one-line UsageError."""
    from ..tracks import all_tracks, get_track

    chosen = get_track(args.track)
    given = {t.name: {o.flag: getattr(args, option_dest(t.name, o.dest), None) for o in t.options} for t in all_tracks()}
    for track, values in given.items():
        flags = [flag for flag, value in values.items() if value not in (None, False)]
        if track != chosen.name and flags:
            own = ", ".join(o.flag for o in chosen.options) or "no options of its own"
            raise UsageError(f"{', '.join(flags)} belong{'s' if len(flags) == 1 else ''} to --track {track}; "
                             f"--track {chosen.name} takes {own}")
    return {o.dest: given[chosen.name][o.flag] for o in chosen.options if given[chosen.name][o.flag] not in (None, False)}


def config_from(args: argparse.Namespace, options: dict | None = None) -> RunConfig:
    """The run's configuration from the command line; ``options``: the track's, as
    :func:`track_options_from` gives them."""
    profile_given = args.profile is not None
    args.profile = args.profile or "quick"
    if args.profile not in PROFILES:
        raise UsageError(f"unknown profile {args.profile!r}; valid: {', '.join(PROFILES)}")
    from ..tracks import get_track

    options = track_options_from(args) if options is None else options
    if args.reference and (options.get("all") or not get_track(args.track).reference_sets):
        raise UsageError("--reference plans the reference set's own grid: drop --all and --track")
    params = params_by_imputer(args.param)
    opts = {"address": args.address} if args.address else {}
    cfg = RunConfig(
        datasets=None if args.reference else list(DEFAULT_DATASETS), imputers=args.imputers,
        mechanisms=args.mechanisms, rates=args.rates, seeds=args.seeds, profile=args.profile,
        results_dir=args.results, jobs=args.jobs, timeout=args.timeout, memory_limit_mb=args.memory_limit,
        retry_failed=args.retry_failed, source=source_from(args), params=params,
        executor=args.executor, executor_options=opts, progress=not args.quiet,
        command=command_line(args), track=args.track,
    )
    cfg = get_track(args.track).configure(cfg, options)
    if args.reference:
        from ..gates.reference import find_reference, reference_run_config

        ref = find_reference(args.reference)
        ref.check()  # a damaged set fails before any job runs
        cfg = reference_run_config(cfg, ref, profile_given)
    return cfg


def main(args: argparse.Namespace) -> int:
    import logging

    from ..harness.runner import run

    options = track_options_from(args)
    cfg = config_from(args, options)
    summary = run(cfg)
    print(summary.line())
    if summary.warning_line():
        logging.getLogger("imputebench").info(summary.warning_line())
    if not args.no_report:
        from ..gates.reference import render_with_reference
        from ..reports.render import site_is_current

        if sum(summary.statuses.values()) == 0 and site_is_current(cfg.results_dir):
            print(f"report: {cfg.results_dir / 'site' / 'index.html'} (unchanged)")
        else:
            from ..harness.progress import Progress

            with Progress(cfg.progress, every_seconds=cfg.progress_seconds).phase("writing the report"):
                index = render_with_reference(cfg.results_dir, command=cfg.command)
            print(f"report: {index}")
    # Named datasets that could not be loaded fail the run (after the rest ran); --all means
    # "every dataset that can be had here", whose missing ones are reported and skipped. The runner
    # has named each one, with why, in its own stderr line: this line only gives the verdict.
    if summary.unavailable and not (options.get("all") or args.reference):
        n = len(summary.unavailable)
        print(f"imputebench: error: {n} requested dataset{'s' * (n != 1)} could not be loaded (skipped, see "
              f"above); the other jobs ran", file=sys.stderr)
        return 1
    return 0
