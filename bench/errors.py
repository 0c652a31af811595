"""Exceptions that carry a one-line, user-facing message (bad input gets a clear error, never a traceback)."""


class ImputeBenchError(Exception):
    """Base class: its message is printed as a single line by the CLI, without a traceback."""


class UsageError(ImputeBenchError):
    """A command-line value is invalid; the message says what is valid."""


class DatasetError(ImputeBenchError):
    """A dataset cannot be found, loaded or verified."""


class InfeasibleMaskError(ImputeBenchError):
    """A missingness mechanism cannot reach the asked rate (PROTOCOL §2): the job is infeasible."""


class ContractViolation(ImputeBenchError):
    """An imputer's output breaks the imputer contract (PROTOCOL §4)."""


class NotApplicableError(ImputeBenchError, ValueError):
    """An imputer cannot, by design, apply to this table or task (e.g. it needs a class target and the
    table has a regression target or none). Raised from ``fit``, it makes the job ``infeasible`` with
    this message rather than ``failed`` (PROTOCOL §4): nothing went wrong, and a re-run cannot help."""
