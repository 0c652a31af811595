"""Every built-in imputer, declared once, readable without importing any implementation: listing,
planning and ``imputers info`` need no torch, xgboost or scikit-learn.

A built-in is one :class:`~imputebench.registry.info.row.BuiltinImputer` row in
:mod:`~imputebench.registry.info.classical`, :mod:`~imputebench.registry.info.deep` or
:mod:`~imputebench.registry.info.seeds`: its class's dotted path, its
:class:`~imputebench.imputer_info.ImputerInfo` (family, reference, profiles, deviations), the
optional packages it needs and the extra that installs them, and whether the default run includes it.
The tables below are views of those rows. Each implementation module points its class's ``info`` at
its row's, so there is one declaration.

To add a built-in: write its module (a subclass of :class:`imputebench.imputer.Imputer` whose ``info``
is ``BUILTIN_INFO[name]``) and add one row to the ``ROWS`` of the module its family belongs in.
"""

from __future__ import annotations

from ...imputer_info import ImputerInfo
from . import classical, deep, seeds
from .row import BuiltinImputer

BUILTIN_IMPUTERS: dict[str, BuiltinImputer] = {row.name: row for row in (*classical.ROWS, *deep.ROWS, *seeds.ROWS)}

# Views of the rows (one declaration each, above).
BUILTIN_INFO: dict[str, ImputerInfo] = {name: row.info for name, row in BUILTIN_IMPUTERS.items()}
DEFAULT_RUN: tuple[str, ...] = tuple(name for name, row in BUILTIN_IMPUTERS.items() if row.default_run)
