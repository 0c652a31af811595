"""The ``imputebench`` command line. Each command area lives in its own module under
``imputebench.commands`` and exposes ``register(subparsers)``; a handler returns an exit code."""

from __future__ import annotations

import argparse
import importlib
import logging
import shlex
import sys

from . import __version__
from .errors import ImputeBenchError

# command -> (module, one-line help). A command's module is imported only when that command runs,
# so `imputebench --help` and `imputebench imputers list` pay for no other command's imports.
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("imputebench.commands.run", "run the benchmark grid (the default command)"),
    "report": ("imputebench.commands.report", "render the static leaderboard site from the result store"),
    "imputers": ("imputebench.commands.imputers", "list, inspect and check the registered imputers"),
    "reproduce": ("imputebench.commands.reproduce", "rerun a seed paper's table beside its published numbers"),
    "datasets": ("imputebench.commands.datasets", "the dataset catalog: list, inspect, fetch, add your own"),
    "baseline": ("imputebench.commands.baseline", "save or show a regression baseline (see `imputebench check`)"),
    "check": ("imputebench.commands.check", "compare results with a baseline; non-zero exit when an imputer got worse"),
    "reference": ("imputebench.commands.reference", "reference sets: rank your imputer without re-running the baselines"),
    "transfer": ("imputebench.commands.transfer", "the transfer track's tasks (run them with `run --track transfer`)"),
    "export": ("imputebench.commands.export", "export results for a paper: LaTeX tables, PDF figures, references.bib"),
}


# Exit status, the same for every command (README, "Exit status"):
EXIT_OK = 0  # the command did its work
EXIT_FAILED = 1  # it did, and its verdict is a failure (a check, a verification, a dataset a run could not load)
EXIT_USAGE = 2  # it could not: a bad command line or an unusable input, named in one stderr line
EXIT_INTERNAL = 3  # a bug (in imputebench or a plugin): one stderr line; IMPUTEBENCH_DEBUG=1 adds the traceback
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT); finished jobs are kept
EXIT_BROKEN_PIPE = 141  # the reader of stdout stopped early (128 + SIGPIPE), as a shell reports it


class OneLineParser(argparse.ArgumentParser):
    """Bad input gets one line naming what was wrong and where to look."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser with ``command``'s own arguments (every command's when ``command`` is None);
    the other commands appear with their one-line help only."""
    parser = OneLineParser(
        prog="imputebench", description="Benchmark missing-data imputers under one protocol."
    )
    parser.add_argument("--version", action="version", version=f"imputebench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    for name, (module, help_line) in COMMANDS.items():
        if command is None or name == command:
            importlib.import_module(module).register(sub)
        else:
            sub.add_parser(name, help=help_line, add_help=False)
    return parser


def _log_to_stderr() -> None:
    """The package's own messages as ``imputebench: ...`` lines; other libraries' logs stay quiet."""
    log = logging.getLogger("imputebench")
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("imputebench: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False


def one_line(exc: BaseException) -> str:
    """An exception's message on one line (a multi-line message would break 'one line per error')."""
    return " ".join(str(exc).split()) or type(exc).__name__


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        argv = ["run"]  # the embedded default (README's first command)
    command = next((a for a in argv if not a.startswith("-")), "")
    parser = build_parser(command if command in COMMANDS else "")
    args = parser.parse_args(argv)  # a bad command line exits here with EXIT_USAGE and one line
    args.command_line = shlex.join(["imputebench", *argv])  # what a run record keeps as its command
    _log_to_stderr()
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, inside the handler below, not at interpreter exit
        return code
    except ImputeBenchError as exc:
        print(f"imputebench: error: {one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("imputebench: interrupted; finished jobs are kept in the store", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader stopped early (`| head`): not an error worth a traceback
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the exit-time flush must not raise again
        return EXIT_BROKEN_PIPE
    except OSError as exc:  # the machine refused (permissions, a full disk): the environment, not a bug
        print(f"imputebench: error: {one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:  # noqa: BLE001 - a bug: one line for scripts, the traceback on request
        import os

        if os.environ.get("IMPUTEBENCH_DEBUG"):
            import traceback

            traceback.print_exc()
        print(f"imputebench: internal error: {type(exc).__name__}: {one_line(exc)} (a bug in imputebench or a "
              "plugin; IMPUTEBENCH_DEBUG=1 prints the traceback)", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
