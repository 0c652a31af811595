"""docs/quickstart.md runs as written: every command of its ```bash blocks, in order, in one shell
started in a fresh temporary folder (so ``cd`` and ``export`` carry over as they would for a reader),
each of which must exit 0. The data home is a temporary folder too; nothing uses the network."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "quickstart.md"
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "imputebench-example" / "src" / "imputebench_example" / "__init__.py"
_HEREDOC = re.compile(r"<<-?\s*'?\"?(\w+)'?\"?")
_MARK = "__imputebench_quickstart_step__"


def bash_blocks(markdown: str) -> list[str]:
    """The bodies of the ```bash fenced blocks, in order."""
    return re.findall(r"^```bash\n(.*?)^```", markdown, flags=re.S | re.M)


def commands(block: str) -> list[str]:
    """A block's commands: one per line, a line ending in ``\\`` continued, a here-document (``<<'EOF'``)
    up to its closing word; blank lines and comments skipped."""
    out: list[str] = []
    lines = block.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        command = [line]
        while command[-1].endswith("\\") and i < len(lines):
            command.append(lines[i])
            i += 1
        heredoc = _HEREDOC.search(line)
        if heredoc:
            while i < len(lines) and lines[i].strip() != heredoc.group(1):
                command.append(lines[i])
                i += 1
            command.append(lines[i] if i < len(lines) else heredoc.group(1))
            i += 1
        out.append("\n".join(command))
    return out


def script(steps: list[str]) -> str:
    """One bash script that runs ``steps`` in order and stops at the first that fails, marking each
    step's start and exit status on stdout."""
    parts = ["set -o pipefail"]
    for n, step in enumerate(steps):
        parts += [f"echo '{_MARK} {n} start'", step, f"rc=$?; echo \"{_MARK} {n} exit $rc\"; [ $rc -eq 0 ] || exit $rc"]
    return "\n".join(parts) + "\n"


def test_commands_are_split_as_a_reader_types_them() -> None:
    block = ("# a comment\nimputebench run --a \\\n    --b\n\ncat > f.py <<'EOF'\nx = 1\n\n# kept\nEOF\n"
             "python - <<EOF\nprint(1)\nEOF\necho done\n")
    assert commands(block) == ["imputebench run --a \\\n    --b", "cat > f.py <<'EOF'\nx = 1\n\n# kept\nEOF",
                               "python - <<EOF\nprint(1)\nEOF", "echo done"]


def test_the_plugin_in_the_quickstart_is_the_example_plugin() -> None:
    heredoc = next(c for block in bash_blocks(DOC.read_text()) for c in commands(block) if c.startswith("cat > hotdeck.py"))
    body = heredoc.split("\n", 1)[1].rsplit("\n", 1)[0]
    assert body + "\n" == EXAMPLE.read_text()


@pytest.mark.slow
def test_every_quickstart_command_runs_from_a_fresh_folder(tmp_path: Path) -> None:
    steps = [c for block in bash_blocks(DOC.read_text()) for c in commands(block)]
    assert len(steps) >= 10 and any(s.startswith("imputebench datasets add") for s in steps)
    bin_dir = str(Path(sys.executable).parent)  # the imputebench of this environment first
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMPUTEBENCH_")}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", IMPUTEBENCH_DATA_HOME=str(tmp_path / "data-home"),
               OMP_NUM_THREADS="1", HOME=str(tmp_path))
    work = tmp_path / "fresh"
    work.mkdir()
    done = subprocess.run(["bash", "-c", script(steps)], cwd=work, env=env, capture_output=True, text=True,
                          timeout=600)
    exits = dict(re.findall(rf"^{_MARK} (\d+) exit (\d+)$", done.stdout, flags=re.M))
    failed = next((int(n) for n, rc in exits.items() if rc != "0"), None)
    tail = f"\nstdout:\n{done.stdout[-3000:]}\nstderr:\n{done.stderr[-3000:]}"
    assert failed is None, f"quickstart command {failed + 1} failed:\n{steps[failed]}{tail}"
    assert len(exits) == len(steps) and done.returncode == 0, f"stopped after {len(exits)} of {len(steps)} commands{tail}"
    site = work / "quickstart" / "results" / "site" / "index.html"
    assert site.is_file() and "hotdeck" in site.read_text()
    assert "plants" in (tmp_path / "data-home" / "user_datasets.json").read_text()
