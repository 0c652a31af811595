"""Run docs/github-actions-imputebench.yml's steps as a fresh GitHub Actions job would, on a plugin
repository laid out as a user's (a copy of examples/imputebench-example), with a wheel built here in
place of the release's (IMPUTEBENCH_WHEEL). Called by .ci/workflow-example.sh.

Pass 1 is the workflow's first run in a new repository: no baseline yet, so the install and run steps
pass and the check step fails saying the baseline is missing. The baseline is then saved from that
run's results, as the workflow's header tells a user to, and pass 2 (the baseline committed) must
pass every step and leave every file its upload step names. `uses:` steps stand for themselves:
the copy is the checkout, a fresh venv is setup-python (reused by pass 2, whose install step runs
again), the upload is checked by the files it would upload.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
WORKFLOW = REPO / "docs" / "github-actions-imputebench.yml"
PLUGIN = REPO / "examples" / "imputebench-example"
# The example plugin's imputer, with the control; two built-in datasets keep the job short.
OVERRIDES = {"IMPUTERS": "hotdeck,mean", "DATASETS": "iris,wine"}


def job(flow: dict) -> dict:
    (only,) = flow["jobs"].values()
    return only


def run_steps(steps: list[dict], env: dict[str, str], cwd: Path) -> list[tuple[str, int, str]]:
    """Each step's `run:` script under `bash -e` (Actions' default shell) until one fails, as a job
    does; returns (step, exit status, stderr's last lines) of the steps that ran."""
    done = []
    for step in steps:
        script = step.get("run")
        if script is None:
            continue
        if "${{" in script:
            sys.exit(f"step {step.get('name')!r}: an Actions expression in a run script is not run here")
        name = step.get("name", script.splitlines()[0])
        print(f"--- step: {name}", flush=True)
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-e", "-c", script], cwd=cwd, env=env,
                              capture_output=True, text=True)
        shown = proc.stdout.splitlines() if proc.returncode else proc.stdout.splitlines()[-3:]  # pip is verbose
        print("\n".join(shown), flush=True)
        sys.stderr.write(proc.stderr)
        done.append((name, proc.returncode, proc.stderr))
        if proc.returncode:
            break
    return done


def upload_paths(steps: list[dict], env: dict[str, str]) -> list[str]:
    """The paths the upload step names, with `${{ env.X }}` read from the job's environment."""
    upload = next(s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact"))
    paths = []
    for line in upload["with"]["path"].strip().splitlines():
        line = line.strip()
        for key, value in env.items():
            line = line.replace(f"${{{{ env.{key} }}}}", value)
        paths.append(line)
    return paths


def main() -> int:
    flow = yaml.safe_load(WORKFLOW.read_text())
    spec = job(flow)
    steps = spec["steps"]
    work = Path(tempfile.mkdtemp(prefix="imputebench-workflow-"))
    try:
        subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(work / "dist"), str(REPO)],
                       check=True, stdout=subprocess.DEVNULL)
        (wheel,) = (work / "dist").glob("imputebench-*.whl")
        repo = work / "plugin"
        shutil.copytree(PLUGIN, repo, ignore=shutil.ignore_patterns("*.egg-info", "__pycache__", "build", ".pytest_cache"))
        subprocess.run([sys.executable, "-m", "venv", str(work / "venv")], check=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("IMPUTEBENCH_", "VIRTUAL_ENV", "PYTHON"))}
        env.update({k: str(v) for k, v in spec.get("env", {}).items()})
        assert "IMPUTEBENCH_WHEEL" in env, "the workflow no longer installs imputebench from IMPUTEBENCH_WHEEL"
        env.update(OVERRIDES, IMPUTEBENCH_WHEEL=str(wheel), GITHUB_ACTIONS="true", CI="true",
                   GITHUB_STEP_SUMMARY=str(work / "step-summary.md"), PATH=f"{work / 'venv' / 'bin'}:{env['PATH']}",
                   IMPUTEBENCH_DATA_HOME=str(work / "data-home"))

        first = run_steps(steps, env, repo)
        statuses = [code for _, code, _ in first]
        assert statuses[:-1] == [0] * (len(first) - 1) and statuses[-1] != 0, f"pass 1: {statuses}"
        assert "baseline file" in first[-1][2] and "not found" in first[-1][2], first[-1][2]
        print(f"pass 1 (no baseline): {len(first) - 1} steps passed, then the check failed as documented", flush=True)

        # The user saves the baseline from the first run's results and commits it; the next job
        # starts from the checkout alone.
        imputebench = work / "venv" / "bin" / "imputebench"
        subprocess.run([str(imputebench), "baseline", "save", env["BASELINE"], "--results", env["RESULTS"]],
                       cwd=repo, env=env, check=True)
        shutil.rmtree(repo / env["RESULTS"])
        second = run_steps(steps, env, repo)
        assert [code for _, code, _ in second] == [0] * len(second) == [0] * sum("run" in s for s in steps), second
        missing = [p for p in upload_paths(steps, env) if not (repo / p).exists()]
        assert not missing, f"the upload step would find nothing at {missing}"
        assert (work / "step-summary.md").stat().st_size > 0, "check wrote no step summary"
        print(f"pass 2 (baseline committed): all {len(second)} steps passed; the upload step's files exist")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
