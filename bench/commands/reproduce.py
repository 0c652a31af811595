"""``imputebench reproduce NAME``: rerun a seed paper's setting beside its published numbers.

Each paper's arguments and handler are here; its numbers, reruns and tables are in
``imputebench.gates.reproductions.NAME``."""

from __future__ import annotations

import argparse
import importlib
import json
import math
from pathlib import Path
from typing import Callable

from ..gates.reproductions import REPRODUCTIONS
from .options import (add_json_argument, add_source_arguments, csv_list, folder, imputer_param, params_by_imputer,
                      positive_int, seeds, source_from)


def _gain_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seeds", type=int, default=10, help="number of seeds, 0..N-1 (GAIN: 10)")
    p.add_argument("--profile", default="paper", choices=("paper", "quick", "ci"),
                   help="GAIN's hyper-parameters: 'paper' (default) is the published setting, "
                        "'quick' the cheap one; tables are always complete")
    add_source_arguments(p)
    p.add_argument("--results", type=folder, default=Path("results/reproduce-gain"),
                   help="result store directory (finished jobs are reused)")
    p.add_argument("--iterations", type=int, default=None, help="override GAIN's training iterations (paper: 10000)")
    p.add_argument("--hint", choices=("paper", "reference"), default=None,
                   help="GAIN's hint: the paper's B*M + 0.5(1-B) (default) or the reference code's B*M")
    p.add_argument("--jobs", type=positive_int, default=None, help="parallel jobs (default: one per core)")
    add_json_argument(p, "emit the comparison as JSON")


def _gain(args: argparse.Namespace) -> int:
    from ..gates.reproductions.gain import render, reproduce

    params = {k: v for k, v in (("iterations", args.iterations), ("hint", args.hint)) if v is not None}
    result = reproduce(args.seeds, args.profile, args.results, source_from(args), params, jobs=args.jobs,
                       progress=not args.json)
    print(json.dumps(result, indent=2) if args.json else render(result, args.seeds, args.profile))
    return 0 if all(math.isfinite(r["measured_mean"]) for r in result) else 1  # NaN: nothing measured


def _metagain_arguments(p: argparse.ArgumentParser) -> None:
    from ..gates.reproductions.metagain import METHOD_TO_IMPUTER

    p.add_argument("--datasets", type=csv_list,
                   help="comma-separated (default: every dataset of the paper that can be loaded)")
    p.add_argument("--seeds", type=seeds, default=None, help="e.g. 0,1 or 0-4 (default: the profile's)")
    p.add_argument("--profile", default="quick", help="quick (default), paper or ci")
    p.add_argument("--methods", type=csv_list,
                   help=f"comma-separated paper method names (default: all we have: {', '.join(METHOD_TO_IMPUTER)})")
    p.add_argument("--param", type=imputer_param, action="append", default=[], metavar="IMPUTER.PARAM=VALUE",
                   help="override an imputer's hyper-parameter (repeatable), as in `imputebench run`")
    add_source_arguments(p)
    p.add_argument("--results", type=folder, default=Path("results"), help="results directory (default: ./results)")
    p.add_argument("--ablation", action="store_true",
                   help="also rerun Table 5 (Meta-GAIN with its KL term, meta network and task regulariser "
                        "switched on/off; 8 variants, MCAR, in-sample)")
    add_json_argument(p, "emit rows as JSON instead of tables")


def _metagain(args: argparse.Namespace) -> int:
    from ..gates.reproductions.metagain import report_text, reproduce

    rep = reproduce(datasets=args.datasets, methods=args.methods, seeds=args.seeds, profile=args.profile,
                    results=args.results, source=source_from(args), params=params_by_imputer(args.param),
                    ablation=args.ablation, progress=not args.json)
    print(json.dumps(rep.to_dict(), indent=1, default=str) if args.json
          else report_text(rep, profile=args.profile, ablation=args.ablation))
    return 0


# paper -> (its arguments, its handler)
PAPERS: dict[str, tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = {
    "gain": (_gain_arguments, _gain),
    "metagain": (_metagain_arguments, _metagain),
}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reproduce", help="rerun a seed paper's table beside its published numbers")
    rsub = p.add_subparsers(dest="reproduction", metavar="PAPER", required=True)
    for name, module in REPRODUCTIONS.items():
        try:
            mod = importlib.import_module(module)
        except ImportError:
            continue  # a missing optional dependency
        add_arguments, handler = PAPERS[name]
        # argparse formats help with %: a literal % in a docstring must be escaped
        rp = rsub.add_parser(name, help=(mod.__doc__ or name).strip().splitlines()[0].replace("%", "%%"))
        add_arguments(rp)
        rp.set_defaults(func=handler)
