"""Reference sets in words (pure): the lines of ``reference list``, ``info``, ``verify`` and
``compute``."""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

import pandas as pd

from .compare import Verdict
from .files import ReferenceSet


def hours(seconds: float | None) -> str:
    return "n/a" if not seconds else f"{seconds / 3600:.1f} CPU h"


def list_lines(summaries: Iterable[Mapping[str, Any]]) -> list[str]:
    """One line per set: name, profile, protocol, jobs, size, cost, checksum."""
    lines = [f"{s['name']:<12} {s['profile']:<6} protocol {s['protocol_version']}  {s['rows']}/{s['planned']} jobs  "
             f"{s['bytes'] / 1e6:.1f} MB  {hours(s['cpu_seconds'])}  set sha256 {s['set_sha256'][:16]}"
             + ("  signed" if s["signed"] else "") for s in summaries]
    return lines or ["no reference set is shipped with this imputebench"]


def info_lines(ref: ReferenceSet, builtins: Sequence[str], signature: Mapping[str, Any] | None = None,
               sampled: Sequence[str] = ()) -> list[str]:
    """A set's files, checksum and signature, grid, jobs, cost, rows per imputer, the built-ins it lacks
    and its runs (who computed it, with what commands)."""
    s, m = ref.summary(), ref.manifest
    signed = (f"{ref.signature_path.name} by key ID {signature['key_id']}, signed {signature.get('signed_at')} "
              "(check it: reference verify NAME --public-key KEY)" if signature else
              "none (compare the checksum with the published one: reference verify NAME --checksum SHA256)")
    lines = [
        f"{ref.name}: {m.get('description', '')}",
        f"  files      {ref.manifest_path} and {ref.rows_path.name} ({s['bytes'] / 1e6:.2f} MB, sha256 {s['sha256']})",
        f"  checksum   set sha256 {ref.set_sha256}",
        f"  signature  {signed.replace('NAME', ref.name)}",
        f"  profile    {s['profile']}, protocol version {s['protocol_version']}",
    ]
    lines += [f"  {axis:<10} {', '.join(map(str, values))}" for axis, values in ref.grid.items()]
    statuses = ", ".join(f"{n} {k}" for k, n in m["statuses"].items())
    lines += [f"  jobs       {s['rows']} of the grid's {s['planned']} ({statuses})",
              f"  computing  {hours(s['cpu_seconds'])} over {len(m.get('runs', []))} runs",
              "  rows per imputer: " + ", ".join(f"{k} {n}" for k, n in m["rows_per_imputer"].items()),
              samples_line(ref, sampled)]
    absent = [name for name in builtins if name not in m["rows_per_imputer"]]
    if absent:
        lines.append(f"  not in the set yet: {', '.join(absent)} (rank them by running them with --reference)")
    for r in m.get("runs", []):
        machine = (r.get("machine") or {}).get("platform", "machine not recorded")
        cpu = f"{r['cpu_seconds']:.0f} CPU s" if r.get("cpu_seconds") else "CPU not recorded"
        lines.append(f"  run {r.get('started_at')}  imputebench {r.get('imputebench_version')}  {machine}  {cpu}: "
                     f"{r.get('command')}")
    return lines


def samples_line(ref: ReferenceSet, sampled: Sequence[str] = ()) -> str:
    """What the set carries for the site's histograms (and for which imputers, ``sampled``), or that it
    predates samples."""
    m = ref.manifest
    if ref.samples_path is None:
        return ("  samples    none: the set predates samples of imputed cells, so its site's dataset and imputer "
                "pages have no histograms")
    imputers = list(m.get("rows_per_imputer", {}))
    missing = [name for name in imputers if name not in sampled]
    whose = (f" for {', '.join(sampled)} only ({len(sampled)} of {len(imputers)} imputers; the others' rows "
             "predate samples and have no histograms)" if sampled and missing else "")
    return (f"  samples    {ref.samples_path.name}: {m['n_samples']} true vs imputed cells of the jobs the "
            f"histograms show{whose} ({m['samples_bytes'] / 1e6:.2f} MB, sha256 {m['samples_sha256']})")


def verdict_line(v: Verdict) -> str:
    """PASS or FAIL, the job, its verdict and the worst metric (or what made it another job)."""
    if v.metric and v.metric != "status":
        detail = f"{v.metric} {v.reference:.6g} here {v.here:.6g} (tolerance {v.tolerance:.2g})"
    else:
        detail = v.detail
    return f"{'PASS' if v.passed else 'FAIL'}  {v.imputer:<12} {v.dataset:<15} {v.cell:<32} {v.verdict}  {detail}"


def verify_summary(verdicts: Sequence[Verdict], skipped_datasets: Sequence[str],
                   unavailable_imputers: Sequence[str], unchecked_metrics: Sequence[str] = ()) -> str:
    """How many sampled jobs reproduce (how many exactly), and what could not be sampled here."""
    failed = sum(not v.passed for v in verdicts)
    return (f"{len(verdicts) - failed} of {len(verdicts)} sampled jobs reproduce "
            f"({sum(v.verdict == 'exact' for v in verdicts)} exactly)"
            + (f"; datasets not loadable here, not sampled: {', '.join(skipped_datasets)}" if skipped_datasets else "")
            + (f"; imputers unavailable here, not sampled: {', '.join(unavailable_imputers)}"
               if unavailable_imputers else "")
            + (f"; metrics the set has no value of, not verified: {', '.join(unchecked_metrics)}"
               if unchecked_metrics else ""))


def written_line(ref: ReferenceSet) -> str:
    s = ref.summary()
    return (f"wrote {ref.manifest_path} and {ref.rows_path.name}: {s['rows']} of {s['planned']} jobs, "
            f"{s['bytes'] / 1e6:.2f} MB, {hours(s['cpu_seconds'])}")


def unfinished_line(name: str, rows: pd.DataFrame) -> str | None:
    """The set's jobs that did not finish (failed, timeout), which rank as failures; None when none."""
    unfinished = rows[rows["status"].isin(["failed", "timeout"])]
    if not len(unfinished):
        return None
    counts = unfinished.groupby(["imputer", "status"]).size()
    return (f"{len(unfinished)} jobs of {name} did not finish "
            f"({', '.join(f'{imp}: {n} {status}' for (imp, status), n in counts.items())}) and rank as failures; "
            "if load or a since-fixed bug caused them, re-run them with --retry-failed and the set is written again")
