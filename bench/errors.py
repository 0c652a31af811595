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


def one_line(error: BaseException | str, limit: int | None = 500, *, typed: bool = True,
             first_line: bool = False) -> str:
    """An error as one line of text, for a job row, a listing or a message.

    ``TypeName: message`` for an exception (``typed=False`` leaves the type out; an exception with no
    message is its type name alone), with runs of whitespace, newlines included, collapsed to one
    space; ``first_line=True`` keeps only the first non-empty line (for messages that carry a
    traceback or a long report below their first line). Cut at ``limit`` characters (None: no cut).
    """
    text = str(error)
    if first_line:
        text = next((line for line in text.splitlines() if line.strip()), "")
    text = " ".join(text.split())
    if isinstance(error, BaseException) and (typed or not text):
        text = f"{type(error).__name__}: {text}" if text else type(error).__name__
    return text if limit is None else text[:limit]
