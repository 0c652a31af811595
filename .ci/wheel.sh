#!/usr/bin/env bash
# Users install packages, not editable checkouts: build the sdist and the wheel, check them, install
# the wheel into a fresh venv and run the user-facing commands from a folder outside the clone.
# Usage: .ci/wheel.sh PYTHON   (a python that has build, twine and check-wheel-contents: the dev extra)
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${1:-python}"
work="$(mktemp -d)"
"$PY" -m build --outdir "$work/dist" . >/dev/null
"$PY" -m twine check --strict "$work"/dist/*
"$PY" -m check_wheel_contents "$work"/dist/*.whl
python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q --upgrade pip
"$work/venv/bin/python" -m pip install -q "$work"/dist/*.whl
ib="$work/venv/bin/imputebench"
version="$("$PY" -c 'import imputebench; print(imputebench.__version__)')"
cd "$work"  # outside the clone: nothing may come from the source tree
"$ib" --version | grep -qx "imputebench $version"
"$ib" imputers list >/dev/null
"$ib" run --results "$work/results" --quiet   # the default run, with its report
test -s "$work/results/site/index.html" && test -s "$work/results/site/assets/style.css"
"$ib" reference list >/dev/null
"$ib" reference info quick-v1 >/dev/null
"$ib" imputers check mean >/dev/null
echo "wheel $(basename "$work"/dist/*.whl): installed and ran from outside the clone"
rm -rf "$work"
