"""Command modules of the ``imputebench`` CLI (see :mod:`imputebench.cli`)."""
