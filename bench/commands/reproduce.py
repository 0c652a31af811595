"""``imputebench reproduce NAME``: rerun a seed paper's setting beside its published numbers."""

from __future__ import annotations

import argparse
import importlib

from ..reproductions import REPRODUCTIONS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reproduce", help="rerun a seed paper's table beside its published numbers")
    rsub = p.add_subparsers(dest="reproduction", metavar="PAPER", required=True)
    for name, module in REPRODUCTIONS.items():
        try:
            mod = importlib.import_module(module)
        except ImportError:
            continue  # not written yet, or a missing optional dependency
        # argparse formats help with %: a literal % in a docstring must be escaped
        rp = rsub.add_parser(name, help=(mod.__doc__ or name).strip().splitlines()[0].replace("%", "%%"))
        mod.add_arguments(rp)
        rp.set_defaults(func=mod.run)
