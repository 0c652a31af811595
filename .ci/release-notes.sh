#!/usr/bin/env bash
# A release: build the wheel and sdist (the files .ci/wheel.sh checks) into DIST, and print the
# release notes' install section: the wheel's URL and SHA-256, and the published checksum of every
# reference set it ships (what `imputebench reference verify NAME --checksum` compares with).
# Attach DIST's files to the GitHub release of tag vVERSION.
# Usage: .ci/release-notes.sh PYTHON DIST   (a python with build: the dev extra)
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${1:-python}"
DIST="${2:-dist}"
version="$("$PY" -c 'import imputebench; print(imputebench.__version__)')"
"$PY" -m build --outdir "$DIST" . >/dev/null
wheel="imputebench-$version-py3-none-any.whl"
test -f "$DIST/$wheel"
sha="$("$PY" -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$DIST/$wheel")"
url="https://github.com/OWNER/imputebench/releases/download/v$version/$wheel"
cat <<NOTES
## Install

\`\`\`bash
pip install "imputebench @ $url#sha256=$sha"
\`\`\`

imputebench is not on PyPI: install the wheel attached to this release (extras: \`imputebench[deep,ray,trust] @ URL\`).

## Reference sets shipped (\`imputebench reference verify NAME --checksum SHA256\`)

NOTES
"$PY" -m imputebench.cli reference list --json | "$PY" -c '
import json, sys
for s in json.load(sys.stdin):
    print("- `{name}` set sha256 `{set_sha256}` ({rows} jobs, {profile} profile)".format(**s))'
