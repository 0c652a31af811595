"""``imputebench export paper``: LaTeX tables, PDF figures, citations and a provenance README from
a results folder or a reference set, ready for a paper or its supplement."""

from __future__ import annotations

import argparse
from pathlib import Path

from . import command_line
from ..errors import UsageError
from .options import DEFAULT_RESULTS, csv_list, folder, positive_int, rates


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="export results for a paper: LaTeX tables, PDF figures, references.bib")
    esub = p.add_subparsers(dest="export_command", metavar="FORMAT", required=True)
    paper = esub.add_parser(
        "paper", help="LaTeX (booktabs), markdown and CSV tables, PDF/PNG figures, references.bib and a README",
        description="Write a folder for a paper or its supplement: per setting and metric a leaderboard and a "
                    "results table (mean ± sd over seeds, best bold, second underlined), the seed papers' layouts "
                    "where the rows hold their grid, CD diagrams, rank heat maps, Pareto and metric-vs-rate plots, "
                    "the citations of every imputer and dataset, and a README naming protocol, grid, "
                    "hyper-parameters, versions and commands.")
    source = paper.add_mutually_exclusive_group()
    source.add_argument("--results", type=folder, default=None, metavar="DIR",
                        help=f"results folder to export (default: {DEFAULT_RESULTS})")
    source.add_argument("--reference", default=None, metavar="NAME",
                        help="export a reference set instead: a shipped set's name (e.g. quick-v1), the path of its "
                             ".json manifest or of its .parquet rows")
    paper.add_argument("--out", type=folder, required=True, metavar="DIR",
                       help="output folder (new, empty, or an earlier export, which is replaced)")
    for flag, alias, kind, what in (("--setting", "--settings", csv_list, "settings (in-sample, downstream)"),
                                    ("--metric", "--metrics", csv_list, "metrics (armse, rmse, mae, downstream, ...)"),
                                    ("--mechanism", "--mechanisms", csv_list, "mechanisms (mcar, mar, mnar)"),
                                    ("--rate", "--rates", rates, "missing rates (0.2,0.5)"),
                                    ("--imputers", "--imputer", csv_list, "imputers"),
                                    ("--datasets", "--dataset", csv_list, "datasets"),
                                    ("--track", "--tracks", csv_list, "tracks (main, transfer)")):
        paper.add_argument(flag, alias, type=kind, default=[], metavar="LIST",
                           help=f"only these comma-separated {what} (default: all in the rows)")
    paper.add_argument("--no-figures", action="store_true", help="tables, citations and README only")
    paper.add_argument("--max-columns", type=positive_int, default=7, metavar="N",
                       help="value columns per LaTeX table before it is split into parts (default: 7)")
    paper.add_argument("--pdf", action="store_true", help="also typeset paper.tex to paper.pdf (needs pdflatex)")
    paper.set_defaults(func=_paper)


def _load(args: argparse.Namespace):
    """(rows, Source) from --reference or --results."""
    from ..reports.paper.readme import Source

    if args.reference:
        from ..gates.reference import find_reference

        name = args.reference
        path = Path(name)
        if path.suffix == ".parquet":
            if path.with_suffix(".json").is_file():
                name = str(path.with_suffix(".json"))
            elif path.is_file():
                import pyarrow.parquet as pq

                from ..harness.store import SCHEMA

                return (pq.read_table(path, schema=SCHEMA).to_pandas(),
                        Source(f"reference rows `{path.name}` (no manifest beside them)"))
            else:
                raise UsageError(f"no reference rows at {path}")
        ref = find_reference(name)
        return ref.rows(), Source(f"reference set `{ref.name}`", list(ref.manifest.get("runs", [])),
                                  str(ref.manifest.get("description", "")))
    from ..gates.reference import merge_with_store, run_reference
    from ..harness.store import ResultStore

    results = args.results or Path(DEFAULT_RESULTS)
    store = ResultStore(results)
    rows, runs = store.load(), store.runs()
    if rows.empty:
        raise UsageError(f"no job rows under {results}; run `imputebench run` first, or give --reference NAME")
    label = f"results folder `{results}`"
    named = run_reference(runs)
    if named:  # PROTOCOL §8: as on the site, the set's usable rows stand beside this store's
        rows, _ = merge_with_store(rows, named, results)
        label += f" with reference set `{named.get('name', '')}`"
    return rows, Source(label, runs)


def _paper(args: argparse.Namespace) -> int:
    from .. import __version__
    from ..reports.paper.export import ExportOptions, compile_pdf, export_paper
    from ..reports.paper.selection import Selection

    rows, source = _load(args)
    selection = Selection(settings=tuple(args.setting), metrics=tuple(args.metric), mechanisms=tuple(args.mechanism),
                          rates=tuple(args.rate), imputers=tuple(args.imputers), datasets=tuple(args.datasets),
                          tracks=tuple(args.track))
    options = ExportOptions(max_columns=args.max_columns, figures=not args.no_figures)
    folder = export_paper(rows, args.out, selection, source, command_line(args), options, __version__)
    contents = folder.contents
    print(f"exported {len(contents.tables)} tables and {len(contents.figures)} figures to {args.out}")
    for warning in contents.warnings:
        print(f"note: {warning}")
    if args.pdf:
        print(f"typeset: {compile_pdf(args.out)}")
    return 0
