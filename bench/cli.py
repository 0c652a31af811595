"""The ``imputebench`` command line. Each command area lives in its own module under
``imputebench.commands`` and exposes ``register(subparsers)``; a handler returns an exit code."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from . import __version__
from .errors import ImputeBenchError

COMMAND_MODULES = (
    "imputebench.commands.run",
    "imputebench.commands.report",
    "imputebench.commands.imputers",
    "imputebench.commands.reproduce",
    "imputebench.commands.datasets",
    "imputebench.commands.baseline",
    "imputebench.commands.check",
    "imputebench.commands.transfer",
)


class OneLineParser(argparse.ArgumentParser):
    """Bad input gets one line naming what was wrong and where to look."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="imputebench", description="Benchmark missing-data imputers under one protocol."
    )
    parser.add_argument("--version", action="version", version=f"imputebench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    for module in COMMAND_MODULES:
        importlib.import_module(module).register(sub)
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


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    if not argv:
        argv = ["run"]  # the embedded default (README's first command)
    args = parser.parse_args(argv)
    _log_to_stderr()
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except ImputeBenchError as exc:
        print(f"imputebench: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("imputebench: interrupted; finished jobs are kept in the store", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
