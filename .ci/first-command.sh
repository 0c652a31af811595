#!/usr/bin/env bash
# CI starts where a user starts: README's first command, read from README.md itself (the first
# line of its first bash block, comment removed), run in a bare venv of this clean clone before
# anything else is installed. It must exit 0 and leave the report. A README edit that breaks the
# first command breaks CI.
set -euo pipefail
cd "$(dirname "$0")/.."
cmd="$(python3 - <<'PY'
import re, sys
text = open("README.md", encoding="utf-8").read()
block = re.search(r"```bash\n(.*?)```", text, re.S)
if not block:
    sys.exit("README.md has no bash block: the first command cannot be found")
line = block.group(1).splitlines()[0]
print(re.sub(r"\s+#.*$", "", line).strip())
PY
)"
echo "README's first command: $cmd"
venv="$(mktemp -d)/bare-venv"
python3 -m venv "$venv"
# A subshell: the bare venv is active only for the user's command.
(
  source "$venv/bin/activate"
  python -m pip install -q --upgrade pip
  rm -rf results/site results/jobs results/runs results/_masks results/samples
  start=$(date +%s)
  bash -c "$cmd"
  echo "first command: exit 0 in $(( $(date +%s) - start )) s"
)
test -s results/site/index.html || { echo "README's first command left no results/site/index.html" >&2; exit 1; }
rm -rf "$venv"
