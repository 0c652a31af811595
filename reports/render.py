"""The edge between the store and the site: load rows, gather provenance, build the site.

Used by ``imputebench run`` (at the end) and ``imputebench report``. A site is current when the
content hash of its inputs (the store's files, the samples and run records beside them, the site's
own code and templates, the options) equals the one in its manifest: then nothing is re-rendered.
"""

from __future__ import annotations

import hashlib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from .publish import OLD_SUFFIX, read_manifest, recover

if TYPE_CHECKING:
    import pandas as pd

# This module is imported by ``imputebench report`` before it knows whether anything changed, so it
# imports neither the site builder nor the store (pandas, pyarrow, scipy, jinja2): an unchanged site
# costs a hash of the results folder and nothing else.
SKIPPED_FOLDERS = ("_masks",)  # inputs of jobs, not of the site
SITE_FOLDER = "site"  # ResultStore.site_dir's name, repeated here so that the check needs no pandas


def default_site_dir(results_dir: Path) -> Path:
    return Path(results_dir) / SITE_FOLDER


def _hash_tree(digest: "hashlib._Hash", root: Path, skip: set[Path]) -> None:
    """Names and bytes of every file under ``root``, in a fixed order; hidden files and folders
    (temporary files, staging folders) and the folders in ``skip`` are left out."""
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if (not path.is_file() or any(part.startswith(".") or part.endswith(OLD_SUFFIX) for part in rel.parts)
                or any(s == path or s in path.parents for s in skip)):
            continue
        digest.update(rel.as_posix().encode() + b"\0" + path.read_bytes())


def inputs_hash(results_dir: Path, out_dir: Path, max_plots: int | None = None) -> str:
    """Content hash of everything a site is built from: the results folder (jobs, samples, run
    records; not the masks, nor the site itself), the code and templates that draw it, the options."""
    results_dir, out_dir = Path(results_dir), Path(out_dir)
    digest = hashlib.sha256()
    try:
        digest.update(version("imputebench").encode())
    except PackageNotFoundError:
        pass
    digest.update(f"max_plots={max_plots}".encode())
    package = Path(__file__).parent
    _hash_tree(digest, package, {package / "__pycache__"})
    skip = {results_dir / name for name in SKIPPED_FOLDERS} | {out_dir}
    _hash_tree(digest, results_dir, skip)
    for manifest in _reference_manifests(results_dir):  # a set the runs named may have changed since
        digest.update(manifest.read_bytes() if manifest.is_file() else b"missing")
    return digest.hexdigest()


def _reference_manifests(results_dir: Path) -> list[Path]:
    """Manifests of the reference sets the store's run records name (PROTOCOL §8)."""
    import json

    found = []
    for record in sorted((results_dir / "runs").glob("*.json")):
        try:
            named = json.loads(record.read_text()).get("reference")
        except (OSError, ValueError):
            continue
        if named and named.get("path"):
            found.append(Path(named["path"]))
    return found


def site_is_current(results_dir: Path, out_dir: Path | None = None, max_plots: int | None = None) -> bool:
    """True when the site exists and was built from exactly these inputs (content hash).
    ``max_plots``: None draws every figure. What a killed report left beside the site is cleared
    first (:func:`.publish.recover`), so the answer is about the site as it stands."""
    out = Path(out_dir) if out_dir else default_site_dir(results_dir)
    recover(out.resolve() if out.is_symlink() else out)  # a killed report's leftovers go first
    manifest = read_manifest(out)
    return (manifest is not None and (out / "index.html").exists()
            and manifest.get("inputs") == inputs_hash(results_dir, out, max_plots))


def render_report(results_dir: Path, out_dir: Path | None = None, command: str = "imputebench report",
                  max_plots: int | None = None, force: bool = False,
                  extend_rows: Callable[[pd.DataFrame, list, Path], tuple[pd.DataFrame, Any]] | None = None) -> Path:
    """Render the site for a results directory (with the samples the runner left beside the
    rows); the path of its index.html. A site already built from the same inputs is kept as it is
    unless ``force``. ``extend_rows(rows, runs, results_dir) -> (rows, what it added)``: rows from
    elsewhere to stand beside the store's (a reference set a run named, PROTOCOL §8: the gates'
    :func:`imputebench.gates.reference.render_with_reference` passes it), shown on the overview; what
    it added may hold ``samples``, the added rows' samples, drawn beside the store's."""
    out = Path(out_dir) if out_dir else default_site_dir(results_dir)
    if not force and site_is_current(results_dir, out, max_plots):
        return out / "index.html"
    digest = inputs_hash(results_dir, out, max_plots)
    from ..harness.store import ResultStore
    from .provenance import provenance_from_rows
    from .site import build_site

    store = ResultStore(results_dir)
    rows = store.load()
    runs = store.runs()
    provenance = provenance_from_rows(rows, command, runs)
    reference, samples = None, store.root
    if extend_rows is not None:
        rows, reference = extend_rows(rows, runs, Path(results_dir))
    if reference is not None and "samples" in reference:  # a reference set's own samples, beside the store's
        from .samples import samples_with

        extra = reference["samples"]
        reference = {k: v for k, v in reference.items() if k != "samples"}
        samples = samples if extra is None else samples_with(store.root, rows, extra)
    return build_site(rows, out, provenance, samples=samples, max_plots=max_plots, inputs_hash=digest,
                      reference=reference)
