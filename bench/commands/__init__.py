"""Command modules of the ``imputebench`` CLI (see :mod:`imputebench.cli`)."""

from __future__ import annotations

import argparse


def command_line(args: "argparse.Namespace") -> str:
    """The command as typed, for run records and provenance (``imputebench.cli.main`` sets it; a
    handler called with its own parser falls back to ``sys.argv``)."""
    import shlex
    import sys

    return getattr(args, "command_line", None) or shlex.join(["imputebench", *sys.argv[1:]])
