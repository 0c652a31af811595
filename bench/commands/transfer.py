"""``imputebench transfer``: the transfer track's tasks (PROTOCOL §7). Runs go through
``imputebench run --track transfer`` (one runner, one store)."""

from __future__ import annotations

import argparse
import json
import sys

from .options import add_json_argument, add_source_arguments, source_from
from .options import csv_list


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("transfer", help="transfer-track tasks (run them with `run --track transfer`)",
                       description="The transfer track's tasks: a dataset split into source and target domains.")
    tsub = p.add_subparsers(dest="transfer_command", metavar="SUBCOMMAND")
    t = tsub.add_parser("tasks", help="list the tasks with domain sizes and domain-gap AUC")
    add_json_argument(t)
    t.add_argument("names", nargs="*", help="only these tasks")
    add_source_arguments(t)
    t.set_defaults(func=tasks_main)
    a = tsub.add_parser("add", help="add a task on a dataset (catalog or `datasets add`)")
    a.add_argument("name")
    a.add_argument("--dataset", required=True, help="dataset name")
    a.add_argument("--column", required=True, help="the column whose values define the target domain")
    a.add_argument("--values", type=csv_list, help="comma-separated values of the target domain")
    a.add_argument("--threshold", help="target domain: rows above this number (or 'median')")
    a.add_argument("--min-target-rows", type=int, default=None, metavar="N",
                   help="smallest target domain (default 1,500, PROTOCOL §7: the test part is the target rows "
                        "minus the largest n_target, 1,000); at least 1,100")
    a.add_argument("--note", default="")
    a.add_argument("--replace", action="store_true")
    add_source_arguments(a)
    a.set_defaults(func=add_main)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def tasks_main(args: argparse.Namespace) -> int:
    from ..datasets import data_home
    from ..errors import DatasetError
    from ..tracks.transfer.domains import task_summary
    from ..tracks.transfer.tasks import select_tasks

    source = source_from(args)
    home = data_home(source.data_home)
    names = [t.name for t in select_tasks(args.names, home)]  # only these tasks' gaps are computed
    out = []
    for i, name in enumerate(names, 1):
        # A task's first listing loads its dataset and fits the domain-gap classifier (a minute on a
        # large table; cached after): say which one is being worked on.
        print(f"imputebench: transfer tasks: {i}/{len(names)} {name}", file=sys.stderr, flush=True)
        try:
            out.append(task_summary(name, source))
        except DatasetError as exc:
            out.append({"task": name, "unavailable": str(exc)})
    if args.json:
        print(json.dumps(out, indent=1))
        return 0
    print(f"{'task':<22} {'dataset':<15} {'source':>7} {'target':>7} {'gap AUC':>7}  rule")
    for r in out:
        if "unavailable" in r:
            print(f"{r['task']:<22} unavailable: {r['unavailable']}")
        else:
            print(f"{r['task']:<22} {r['dataset']:<15} {r['source_rows']:>7} {r['target_rows']:>7} "
                  f"{r['domain_gap_auc']:>7.3f}  {r['rule']}")
    return 0


def add_main(args: argparse.Namespace) -> int:
    from ..datasets import data_home
    from ..tracks.grid import check_dataset_names
    from ..tracks.transfer.domains import domain_gap, load_domains, user_task_check
    from ..tracks.transfer.tasks import MIN_TARGET_ROWS, TransferTask, add_user_task, parse_threshold

    source = source_from(args)
    check_dataset_names([args.dataset], source.data_home)
    task = TransferTask(args.name, args.dataset, args.column, values=tuple(args.values or ()),
                        threshold=None if args.threshold is None else parse_threshold(args.threshold),
                        note=args.note, min_target_rows=args.min_target_rows or MIN_TARGET_ROWS)
    home = data_home(source.data_home)
    if bool(task.values) == (task.threshold is not None):
        from ..errors import UsageError

        raise UsageError("give the target domain as --values V1,V2 or as --threshold X (a number or 'median'), "
                         "exactly one")
    sizes = user_task_check(task, source)  # a rule that gives no usable target domain fails here
    add_user_task(home, task, replace=args.replace)
    print(f"added transfer task {task.name}: {task.dataset}, {task.rule}: "
          f"{sizes['source_rows']} source rows, {sizes['target_rows']} target rows")
    # Only this task's domain gap (PROTOCOL §7), cached in the data home for `transfer tasks` and runs.
    print(f"domain gap (AUC of telling source rows from target rows): "
          f"{domain_gap(load_domains(task.name, source), source.data_home):.3f}")
    return 0
