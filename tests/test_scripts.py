"""imputebench in scripts: one exit status table for every command (the README's), one stderr line
per error, paths and grid values checked when the command line is read, `--json` on every listing."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pandas as pd
import pytest

from imputebench import cli
from imputebench.commands import options

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text()


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


def parse_error(capsys, argv: list[str]) -> str:
    """A command line refused while it is read: status 2 and one stderr line."""
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    assert exit_.value.code == cli.EXIT_USAGE
    return one_error_line(capsys)


# -- exit status -------------------------------------------------------------------------------------
def test_the_readme_table_is_the_exit_status_of_the_cli():
    section = README[README.index("## Scripts: JSON, errors and exit status"):]
    section = section[:section.index("\n## ", 1)]
    documented = {int(code) for code in re.findall(r"^\| (\d+) \|", section, flags=re.M)}
    assert documented == {value for name, value in vars(cli).items() if name.startswith("EXIT_")}


@pytest.mark.parametrize("raised, code, start", [
    (RuntimeError("boom\n  on two lines"), cli.EXIT_INTERNAL,
     "imputebench: internal error: RuntimeError: boom on two lines (a bug in imputebench or a plugin;"),
    (PermissionError(13, "Permission denied", "results/jobs"), cli.EXIT_USAGE,
     "imputebench: error: [Errno 13] Permission denied: 'results/jobs'"),
    (KeyboardInterrupt(), cli.EXIT_INTERRUPTED, "imputebench: interrupted"),
])
def test_an_unexpected_failure_is_one_line_and_its_own_status(monkeypatch, capsys, raised, code, start):
    from imputebench.commands import reference

    def fail(args: argparse.Namespace) -> int:
        raise raised

    monkeypatch.setattr(reference, "_list", fail)
    monkeypatch.delenv("IMPUTEBENCH_DEBUG", raising=False)
    assert cli.main(["reference", "list"]) == code
    assert one_error_line(capsys).startswith(start)
    if code == cli.EXIT_INTERNAL:  # the traceback, on request
        monkeypatch.setenv("IMPUTEBENCH_DEBUG", "1")
        assert cli.main(["reference", "list"]) == code
        err = capsys.readouterr().err
        assert "Traceback" in err and err.rstrip().splitlines()[-1].startswith(start)


# -- paths -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("argv", [
    ["report", "--results", "{file}/x"],
    ["report", "--out", "{file}/x"],
    ["report", "--out", "{file}"],
    ["baseline", "save", "{file}/b.parquet"],
    ["baseline", "save", "b.parquet", "--results", "{file}/r"],
    ["baseline", "show", "{dir}"],
    ["check", "--baseline", "b.parquet", "--results", "{file}/x"],
    ["check", "--baseline", "b.parquet", "--junit", "{file}/junit.xml"],
    ["check", "--baseline", "b.parquet", "--summary", "{dir}"],
    ["reference", "site", "quick-v1", "--out", "{file}/site"],
    ["reference", "verify", "quick-v1", "--results", "{file}/v"],
    ["reference", "compute", "x", "--results", "{file}/w"],
    ["reference", "sign", "quick-v1", "--key", "{dir}"],
    ["reproduce", "gain", "--results", "{file}/g"],
    ["datasets", "list", "--mirror", "{file}/mirror"],
    ["run", "--data-home", "{file}"],
    ["run", "--results", "{file}/r"],
    ["run", "--results", "{file}"],
    ["export", "paper", "--out", "{file}/paper"],
    ["export", "paper", "--results", "{file}/r", "--out", "{dir}/paper"],
    ["datasets", "add", "mine", "{dir}", "--target", "y"],
])
def test_a_path_that_cannot_work_is_refused_when_read(tmp_path, capsys, argv):
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    argv = [a.format(file=a_file, dir=tmp_path) for a in argv]
    err = parse_error(capsys, argv)
    assert str(tmp_path) in err and ("is a file" in err or "is a folder" in err), err


def test_path_types_accept_what_can_be_made(tmp_path):
    assert options.folder(str(tmp_path / "new" / "deeper")) == tmp_path / "new" / "deeper"
    assert options.output_file(str(tmp_path / "new" / "b.parquet")) == tmp_path / "new" / "b.parquet"
    (tmp_path / "f").write_text("")
    assert options.existing_file(str(tmp_path / "f")) == tmp_path / "f"
    with pytest.raises(argparse.ArgumentTypeError, match="does not exist"):
        options.existing_file(str(tmp_path / "absent"))


@pytest.mark.parametrize("argv, message", [
    (["run", "--jobs", "0"], "argument --jobs: expected a whole number of at least 1; got '0'"),
    (["run", "--jobs", "two"], "argument --jobs: expected a whole number of at least 1; got 'two'"),
    (["export", "paper", "--out", "p", "--max-columns", "0"], "argument --max-columns: expected a whole number"),
    (["datasets", "add", "mine", "absent.csv", "--target", "y"], "'absent.csv' does not exist"),
    (["datasets", "add", "mine", "uci:x", "--target", "y"], "a table by id is uci:ID with a whole number"),
])
def test_counts_and_tables_are_refused_when_read(tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    assert message in parse_error(capsys, argv)


def test_datasets_add_takes_a_file_or_a_table_by_id(tmp_path):
    from imputebench.cli import build_parser

    (tmp_path / "t.csv").write_text("a,y\n1,2\n")
    for table in (str(tmp_path / "t.csv"), "openml:61", "uci:53"):
        args = build_parser("datasets").parse_args(["datasets", "add", "mine", table, "--target", "y"])
        assert args.table == table


# -- grid values at the job key's precision ------------------------------------------------------------
def test_rates_are_canonical_and_once():
    assert options.rates("0.2,0.2000001,0.5,0.50000004") == [0.2, 0.5]
    assert options.rates("1e-7") == [1e-7]
    for text, message in [("0.9999999", "at the 6 significant digits of a job key (1)"), ("1.5", "outside (0, 1)"),
                          ("0", "outside (0, 1)"), ("x", "rates must be numbers")]:
        with pytest.raises(argparse.ArgumentTypeError, match=re.escape(message)):
            options.rates(text)


GRID = ["--datasets", "iris", "--imputers", "mean", "--profile", "ci", "--mechanisms", "mcar", "--seeds", "0",
        "--setting", "in-sample", "--rates", "0.2,0.2000001"]


def test_rates_equal_at_the_key_plan_one_rate(tmp_path, capsys):
    from imputebench.commands.run import config_from
    from imputebench.harness.runner import check_grid

    args = cli.build_parser("run").parse_args(["run", *GRID, "--results", str(tmp_path / "r")])
    assert check_grid(config_from(args)).rates == [0.2]
    assert "at the 6 significant digits" in parse_error(capsys, ["run", "--rates", "0.99999999"])


@pytest.mark.slow
def test_rates_equal_at_the_key_run_once(tmp_path, capsys):
    results = tmp_path / "r"
    assert cli.main(["run", *GRID, "--results", str(results), "--no-report", "--quiet", "--jobs", "1"]) == 0
    assert capsys.readouterr().out.startswith("1 jobs:")
    rows = pd.read_parquet(results / "jobs")
    assert len(rows) == 1 and rows["job_key"].is_unique and rows["rate"].tolist() == [0.2]


# -- --json ------------------------------------------------------------------------------------------
def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    found = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(found[0].choices) if found else {}


def test_every_listing_and_show_takes_json():
    listings = []
    for name, command in subcommands(cli.build_parser()).items():
        for action, parser in subcommands(command).items():
            if action in {"list", "info", "show", "tasks"}:
                listings.append(f"{name} {action}")
                assert "--json" in parser._option_string_actions, f"`imputebench {name} {action}` has no --json"
    assert {"reference list", "reference info", "baseline show", "imputers list", "datasets list"} <= set(listings)
