"""Start-up of the command line: what users wait for before anything happens.

    python tests/benchmarks/bench_startup.py                   # this checkout only
    python tests/benchmarks/bench_startup.py --before 14ad508  # side by side with an older commit

Times whole processes (interpreter start included): a bare ``python -c "import pandas"`` as the
yardstick, ``imputebench --help``, ``imputebench imputers list``, ``imputebench imputers info mean``
and a process that resolves and builds ``mean`` (what a worker or a user script pays), and counts
which heavy modules each one imported. With ``--before REV`` the same commands run from a copy of
REV's package (``git archive``, laid out as the ``imputebench`` package) in alternating order, so
both see the same machine load. Median of ``--repeats`` runs. Writes startup.md beside this file.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
HEAVY = ("torch", "xgboost", "sklearn", "scipy", "matplotlib", "pandas")
PACKAGE_DIRS = {"bench": "imputebench", "registry": "imputebench/registry", "datasets": "imputebench/datasets",
                "reports": "imputebench/reports"}

CLI = "import sys; from imputebench.cli import main; sys.argv[0] = 'imputebench'; sys.exit(main(sys.argv[1:]))"
CASES = {
    'python -c "import pandas"': ["-c", "import pandas"],
    "imputebench --help": ["-c", CLI, "--help"],
    "imputebench imputers list": ["-c", CLI, "imputers", "list"],
    "imputebench imputers info mean": ["-c", CLI, "imputers", "info", "mean"],
    "make_imputer('mean') in a script": ["-c", "from imputebench.registry import make_imputer; make_imputer('mean')"],
    # One job end to end (plan, worker, store) into a fresh results folder: what `run` costs beyond the job.
    "imputebench run --imputers mean (1 job)": ["-c", CLI, "run", "--imputers", "mean", "--datasets", "iris",
                                                "--profile", "ci", "--mechanisms", "mcar", "--setting", "in-sample",
                                                "--jobs", "1", "--no-report", "--quiet", "--results", "{fresh}"],
}
# Runs at exit (sys.exit included): which heavy modules the process had imported.
PROBE = ("import atexit, sys; atexit.register(lambda: print('HEAVY=' + ','.join(m for m in %r if m in sys.modules), "
         "file=sys.stderr)); " % (HEAVY,))


def package_of(rev: str, into: Path) -> Path:
    """REV's source laid out as an importable ``imputebench`` package under ``into``."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev, *PACKAGE_DIRS], check=True,
                             capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        for member in tar.getmembers():
            top, _, rest = member.name.partition("/")
            if top in PACKAGE_DIRS and member.isfile():
                member.name = f"{PACKAGE_DIRS[top]}/{rest}"
                tar.extract(member, into, filter="data")
    return into


def run_once(args: list[str], pythonpath: str | None) -> tuple[float, str]:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    if pythonpath:
        env["PYTHONPATH"] = pythonpath  # ahead of the editable install's finder
    fresh = tempfile.mkdtemp(prefix="bench-startup-")
    argv = [a.replace("{fresh}", fresh) for a in args[2:]]
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", PROBE + args[1], *argv], capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - t0
    shutil.rmtree(fresh, ignore_errors=True)
    if out.returncode != 0:
        raise SystemExit(f"{args} failed: {out.stderr.strip()[-500:]}")
    heavy = next((line[6:] for line in out.stderr.splitlines() if line.startswith("HEAVY=")), "?")
    return elapsed, heavy


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", metavar="REV", help="also time this git revision, alternating with this checkout")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--out", type=Path, default=HERE / "startup.md")
    args = ap.parse_args()
    trees: dict[str, str | None] = {"after": None}
    tmp = tempfile.TemporaryDirectory()
    if args.before:
        trees = {"before": str(package_of(args.before, Path(tmp.name))), "after": None}
    times: dict[tuple[str, str], list[float]] = {}
    heavy: dict[tuple[str, str], str] = {}
    load = [os.getloadavg()[0]]
    for _ in range(args.repeats):
        for case, argv in CASES.items():
            for label, path in trees.items():
                seconds, imported = run_once(argv, path)
                times.setdefault((case, label), []).append(seconds)
                heavy[(case, label)] = imported
    load.append(os.getloadavg()[0])
    base = {label: statistics.median(times[(next(iter(CASES)), label)]) for label in trees}
    lines = [
        "# Start-up of the command line",
        "",
        f"`python tests/benchmarks/bench_startup.py{' --before ' + args.before if args.before else ''}`: whole "
        f"processes, median of {args.repeats} runs, before/after alternating in one loop. Machine: "
        f"{os.cpu_count()} cores shared with other work (1-minute load average {load[0]:.1f} before, "
        f"{load[1]:.1f} after), Python {sys.version.split()[0]}. Ratios are to `import pandas` measured in the same loop.",
        "",
        "| command | " + " | ".join(f"{label} s (x pandas) | {label} imports" for label in trees) + " |",
        "|---|" + "---|---|" * len(trees),
    ]
    for case in CASES:
        cells = []
        for label in trees:
            median = statistics.median(times[(case, label)])
            cells.append(f"{median:.2f} ({median / base[label]:.2f}x) | {heavy[(case, label)] or 'none of them'}")
        lines.append(f"| `{case}` | " + " | ".join(cells) + " |")
    from importlib.metadata import entry_points

    plugins = sorted(ep.name for ep in entry_points(group="imputebench.imputers"))
    lines += ["", f"Heavy modules looked for: {', '.join(HEAVY)}. Entry-point plugins installed: "
              f"{', '.join(plugins) or 'none'} (`imputers list` imports the installed plugins to say whether they "
              "work; a plugin built on `imputebench.imputer` brings scikit-learn with it).", ""]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    tmp.cleanup()


if __name__ == "__main__":
    main()
