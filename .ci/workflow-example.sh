#!/usr/bin/env bash
# The GitHub Actions example a plugin author copies (docs/github-actions-imputebench.yml), run step by
# step as a fresh job would: a wheel built here stands for the release's, a copy of
# examples/imputebench-example for the user's repository (see .ci/workflow_example.py).
# Usage: .ci/workflow-example.sh PYTHON   (a python with build and pyyaml: the dev extra)
set -euo pipefail
cd "$(dirname "$0")/.."
"${1:-python}" .ci/workflow_example.py
