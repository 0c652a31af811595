"""The declaration of one built-in imputer: one row, from which the registry derives listing, lazy
loading, optional requirements, families and the default run (:mod:`imputebench.registry.info`)."""

from __future__ import annotations

from dataclasses import dataclass

from ...imputer_info import ImputerInfo


@dataclass(frozen=True)
class BuiltinImputer:
    """A built-in imputer: where its class is (imported on first use), what it is (``info``: name,
    family, profiles, deviations), which optional packages it needs beyond the core dependencies and
    the extra that installs them, and whether a run that names no imputers includes it."""

    target: str  # "module:Class"
    info: ImputerInfo
    requires: tuple[str, ...] = ()
    extra: str | None = None
    default_run: bool = False

    @property
    def name(self) -> str:
        return self.info.name


# The deep-learning imputers' requirement: PyTorch, from the ``deep`` extra.
DEEP = {"requires": ("torch",), "extra": "deep"}
