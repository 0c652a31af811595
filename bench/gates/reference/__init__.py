"""Reference sets (PROTOCOL §8): precomputed rows of every built-in imputer on a fixed grid, so that a
user runs only their own imputer and ranks it against the rest.

A reference set is two files, ``NAME.parquet`` (rows of :data:`imputebench.harness.store.SCHEMA`) and
``NAME.json`` (its manifest: grid, profile, protocol version, the checksum of the rows file, each
dataset's checksum, each imputer's parameters, each mask's checksum and the provenance of every run
that computed rows), ``NAME.samples.parquet`` (the samples of imputed cells the site's histograms
draw, bounded as :mod:`.files` says; absent from a set written before) and, when its publisher signed it,
``NAME.sig``. The package carries its sets in ``imputebench/data/reference/``; a downloaded
set is named by the path of its manifest.

- :mod:`.compare` (pure): which reference rows may stand beside rows computed here, which rows a
  verification re-runs and whether they reproduce; rows are paired as the same job, and judged
  comparable, by :mod:`imputebench.gates.comparison`, the engine the regression gate uses too.
- :mod:`.plan` (pure): a set's grid, the rows inside it, a run planned on it.
- :mod:`.render` (pure): the lines the ``reference`` commands print.
- :mod:`.schema` (pure): the manifest's fields and their rules, checked before a manifest is used.
- :mod:`.files`: reading, checking and writing sets; the report's merge of a set with a store.
- :mod:`.trust`: is a set the published one? Its checksum against a published one, its Ed25519
  signature against a published key (``reference sign`` / ``verify``).
- :mod:`.compute`: computing a set and verifying one with the runner.
"""

from __future__ import annotations

from ..comparison import mask_keys, stale_params
from .compare import (CELL, DETERMINISTIC, EXACT_RTOL, NOISE_SDS, Merge, Verdict, compare_rows, merge_reference,
                      sample_for_verify, seed_noise, verify_verdicts)
from .files import (FORMAT, PACKAGE_FOLDER, RUN_FIELDS, ReferenceSet, ReferenceSetError, describe, existing_set,
                    export_reference, file_sha256, find_reference, mask_checksum, merge_named_reference,
                    merge_with_store, reference_names, reference_summaries, render_with_reference, run_reference,
                    stored_mask_checksums)
from .plan import expected_params, extend_grid, reference_run_config, select_grid, within_reference

__all__ = [
    "CELL", "DETERMINISTIC", "EXACT_RTOL", "FORMAT", "NOISE_SDS", "PACKAGE_FOLDER", "RUN_FIELDS", "Merge",
    "ReferenceSet", "ReferenceSetError", "Verdict", "compare_rows", "describe", "existing_set", "expected_params",
    "export_reference", "extend_grid", "file_sha256", "find_reference", "mask_checksum", "mask_keys",
    "merge_named_reference", "merge_reference", "merge_with_store", "reference_names", "render_with_reference", "reference_run_config", "reference_summaries",
    "run_reference", "sample_for_verify", "seed_noise", "select_grid", "stale_params", "stored_mask_checksums",
    "verify_verdicts", "within_reference",
]
